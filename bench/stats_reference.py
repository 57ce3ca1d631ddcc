"""Python side of bench/stats.bench.ts: the same seeded data, timed in SciPy /
Evidently. Usage (run by the bench, in .venv-parity):

    python bench/stats_reference.py ks|ks-null|wasserstein|drift-report|drift-report-columns|diagnosis|diagnosis-columns REPEATS

diagnosis: Evidently's DataDriftPreset + DataSummaryPreset (the presets for drift and
data quality); diagnosis-columns: DataDriftPreset + the column-level metrics that match
ctpilot's quality checks (MissingValueCount, OutRangeValueCount against the reference's
[min, max], OutListValueCount against the reference's categories).

Prints one JSON line: {"task", "seconds": [...], "rss_before_mb", "peak_rss_mb", "result"}.
"""
import json
import os
import resource
import sys
import time
import warnings

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "test", "fixtures", "stats"))
os.environ.setdefault("DO_NOT_TRACK", "1")
warnings.simplefilter("ignore")

import numpy as np  # noqa: E402
from parity_data import sample  # noqa: E402

sys.path.insert(0, os.path.dirname(__file__))
from stats_bench_data import (  # noqa: E402
    DIAGNOSIS_BROKEN,
    DIAGNOSIS_FEATURES,
    DIAGNOSIS_ROWS,
    KS_A,
    KS_B,
    KS_NULL,
    WIDE_ROWS,
    diagnosis_table,
    wide_columns,
)


def rss_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def timed(fn, repeats):
    out, res = [], None
    for _ in range(repeats):
        t = time.perf_counter()
        res = fn()
        out.append(time.perf_counter() - t)
    return out, res


def column_quality_metrics(ref, columns):
    """ctpilot's quality checks as Evidently column metrics: missing values, and values
    outside the reference's range (numeric) or categories (categorical)."""
    from evidently.metrics import MissingValueCount, OutListValueCount, OutRangeValueCount
    metrics = []
    for c in columns:
        metrics.append(MissingValueCount(column=c))
        if ref[c].dtype == object:
            metrics.append(OutListValueCount(column=c, values=sorted(ref[c].dropna().unique().tolist())))
        else:
            metrics.append(OutRangeValueCount(column=c, left=float(ref[c].min()), right=float(ref[c].max())))
    return metrics


def diagnosis(task, repeats):
    import pandas as pd
    from evidently import Report
    from evidently.presets import DataDriftPreset, DataSummaryPreset
    ref = pd.DataFrame(diagnosis_table("reference"))
    cur = pd.DataFrame(diagnosis_table("current"))
    before = rss_mb()
    # The columns ctpilot's covariate stage tests: the features and the score.
    drift_columns = DIAGNOSIS_FEATURES + ["score"]

    def run():
        quality = [DataSummaryPreset()] if task == "diagnosis" else column_quality_metrics(ref, drift_columns)
        snap = Report([DataDriftPreset(columns=drift_columns), *quality]).run(current_data=cur, reference_data=ref)
        return snap.dict()

    secs, d = timed(run, repeats)
    drifted, missing = [], None
    for m in d["metrics"]:
        cfg = m["config"]
        kind = cfg["type"].rsplit(":", 1)[-1]
        if kind == "ValueDrift" and cfg["column"] in DIAGNOSIS_FEATURES:
            # Evidently: a p-value test drifts below its threshold, a distance at or above it.
            p_value = "p_value" in cfg["method"]
            if (m["value"] < cfg["threshold"]) if p_value else (m["value"] >= cfg["threshold"]):
                drifted.append(cfg["column"])
        elif kind == "MissingValueCount" and cfg["column"] == DIAGNOSIS_BROKEN:
            missing = float(m["value"]["share"])
    result = {
        "drifted_features": len(drifted),
        "drifted": ",".join(sorted(drifted)),
        f"{DIAGNOSIS_BROKEN}_missing": missing,
        "rows": f"{DIAGNOSIS_ROWS['reference']}x{DIAGNOSIS_ROWS['current']}",
    }
    return secs, before, result


def main(task, repeats):
    from scipy import stats
    if task in ("ks", "ks-null", "wasserstein"):
        a, b = sample(KS_A), sample(KS_NULL if task == "ks-null" else KS_B)
        before = rss_mb()
        if task != "wasserstein":
            secs, r = timed(lambda: stats.ks_2samp(a, b), repeats)
            result = {"statistic": float(r.statistic), "pvalue": float(r.pvalue)}
        else:
            secs, r = timed(lambda: stats.wasserstein_distance(a, b), repeats)
            result = {"distance": float(r)}
    elif task in ("drift-report", "drift-report-columns"):
        import pandas as pd
        from evidently import Report
        from evidently.metrics import ValueDrift
        from evidently.presets import DataDriftPreset
        from generate_parity import categories
        def table(side):
            cols = {}
            for name, kind, spec in wide_columns(side):
                cols[name] = sample(spec) if kind == "numeric" else categories(spec)
            return pd.DataFrame(cols)
        ref, cur = table("reference"), table("current")
        before = rss_mb()
        # The preset as a user calls it, or only its per-column drift tests (Evidently's defaults for each
        # column), without the preset's other metrics and widgets: the same tests ctpilot runs.
        metrics = [DataDriftPreset()] if task == "drift-report" else [ValueDrift(column=c) for c in ref.columns]

        def run():
            return Report(metrics).run(current_data=cur, reference_data=ref).dict()
        secs, d = timed(run, repeats)
        if task == "drift-report":
            count = d["metrics"][0]["value"]
            drifted = float(count["count"])
        else:
            drifted = 0.0
            for m in d["metrics"]:
                cfg = m["config"]
                p_value = "p_value" in cfg["method"]
                drifted += (m["value"] < cfg["threshold"]) if p_value else (m["value"] >= cfg["threshold"])
        result = {"drifted": drifted, "share": drifted / len(ref.columns), "rows": WIDE_ROWS}
    elif task in ("diagnosis", "diagnosis-columns"):
        secs, before, result = diagnosis(task, repeats)
    else:
        raise SystemExit(
            f"No task named '{task}'. Available: ks, ks-null, wasserstein, drift-report, drift-report-columns, diagnosis, diagnosis-columns"
        )
    print(json.dumps({"task": task, "seconds": secs, "rss_before_mb": before, "peak_rss_mb": rss_mb(), "result": result}))


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 3)
