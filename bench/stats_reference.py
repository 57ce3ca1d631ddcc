"""Python side of bench/stats.bench.ts: the same seeded data, timed in SciPy /
Evidently. Usage (run by the bench, in .venv-parity):

    python bench/stats_reference.py ks|wasserstein|drift-report REPEATS

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
from stats_bench_data import KS_A, KS_B, WIDE_ROWS, wide_columns  # noqa: E402


def rss_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def timed(fn, repeats):
    out, res = [], None
    for _ in range(repeats):
        t = time.perf_counter()
        res = fn()
        out.append(time.perf_counter() - t)
    return out, res


def main(task, repeats):
    from scipy import stats
    if task in ("ks", "wasserstein"):
        a, b = sample(KS_A), sample(KS_B)
        before = rss_mb()
        if task == "ks":
            secs, r = timed(lambda: stats.ks_2samp(a, b), repeats)
            result = {"statistic": float(r.statistic), "pvalue": float(r.pvalue)}
        else:
            secs, r = timed(lambda: stats.wasserstein_distance(a, b), repeats)
            result = {"distance": float(r)}
    elif task == "drift-report":
        import pandas as pd
        from evidently import Report
        from evidently.presets import DataDriftPreset
        from generate_parity import categories
        def table(side):
            cols = {}
            for name, kind, spec in wide_columns(side):
                cols[name] = sample(spec) if kind == "numeric" else categories(spec)
            return pd.DataFrame(cols)
        ref, cur = table("reference"), table("current")
        before = rss_mb()
        def run():
            snap = Report([DataDriftPreset()]).run(current_data=cur, reference_data=ref)
            return snap.dict()
        secs, d = timed(run, repeats)
        count = d["metrics"][0]["value"]
        result = {"drifted": float(count["count"]), "share": float(count["share"]), "rows": WIDE_ROWS}
    else:
        raise SystemExit(f"No task named '{task}'. Available: ks, wasserstein, drift-report")
    print(json.dumps({"task": task, "seconds": secs, "rss_before_mb": before, "peak_rss_mb": rss_mb(), "result": result}))


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 3)
