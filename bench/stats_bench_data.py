"""The benchmark data, described once for both languages (bench/stats-bench-data.ts is the twin)."""
import math
import os

KS_A = {"seed": 9001, "n": 1_000_000}
KS_B = {"seed": 9002, "n": 1_000_000, "loc": 0.002}
# The same population as KS_A: the no-drift case most production windows are in.
KS_NULL = {"seed": 9003, "n": 1_000_000}
WIDE_ROWS = 350_000


def wide_columns(side):
    """50 columns: 40 numeric (uniform, some shifted, some on a grid), 10 categorical."""
    base = 10_000 if side == "reference" else 20_000
    cols = []
    for j in range(40):
        drift = side == "current" and j % 4 == 0
        spec = {"seed": base + j, "n": WIDE_ROWS, "dist": "uniform", "loc": 0.2 * j + (0.05 if drift else 0.0),
                "scale": 1.0 + 0.1 * (j % 5)}
        if j % 10 == 9:
            spec["quantum"] = 10
        cols.append((f"num_{j:02d}", "numeric", spec))
    for j in range(10):
        drift = side == "current" and j % 3 == 0
        spec = {"seed": base + 100 + j, "n": WIDE_ROWS, "k": 3 + j, "skew": 1.25 if drift else 1.0}
        cols.append((f"cat_{j:02d}", "categorical", spec))
    return cols


# The diagnosis benchmark (diagnosisTable in bench/stats-bench-data.ts is the twin):
# 7 numeric + 3 categorical features, score, 0/1 label (30 % missing in current), segment.
# Current: num_00 +0.5 sigma, cat_01 skewed, num_03 45 % missing.
DIAGNOSIS_SCALE = float(os.environ.get("CTPILOT_BENCH_DIAGNOSIS_SCALE", "1"))
DIAGNOSIS_ROWS = {"reference": math.floor(20_000 * DIAGNOSIS_SCALE), "current": math.floor(6_000 * DIAGNOSIS_SCALE)}
DIAGNOSIS_FEATURES = [f"num_{j:02d}" for j in range(7)] + [f"cat_{j:02d}" for j in range(3)]
DIAGNOSIS_BROKEN = "num_03"
DIAGNOSIS_DRIFTED = ["num_00", "cat_01"]


def diagnosis_table(side):
    """Dict of column name -> NumPy array (float64 with NaN, or object array of letters)."""
    import numpy as np
    from generate_parity import categories
    from parity_data import sample
    base = 30_000 if side == "reference" else 40_000
    n = DIAGNOSIS_ROWS[side]
    current = side == "current"
    t = {}
    for j in range(7):
        if j % 2 == 0:
            spec = {"seed": base + j, "n": n, "dist": "normal", "loc": j + (0.5 if current and j == 0 else 0.0),
                    "scale": 1 + 0.25 * j}
        else:
            spec = {"seed": base + j, "n": n, "dist": "uniform", "loc": float(-j), "scale": float(2 * j)}
        if j == 6:
            spec["quantum"] = 4
        name = f"num_{j:02d}"
        values = sample(spec)
        if current and name == DIAGNOSIS_BROKEN:
            u = sample({"seed": base + 200, "n": n, "dist": "uniform"})
            values[u < 0.45] = np.nan
        t[name] = values
    for j in range(3):
        spec = {"seed": base + 100 + j, "n": n, "k": 3 + 2 * j, "skew": 1.5 if current and j == 1 else 1.0}
        t[f"cat_{j:02d}"] = categories(spec)
    t["segment"] = categories({"seed": base + 150, "n": n, "k": 3})
    score = sample({"seed": base + 160, "n": n, "dist": "uniform"})
    draw = sample({"seed": base + 170, "n": n, "dist": "uniform"})
    label = np.where(draw < score, 1.0, 0.0)
    if current:
        label[sample({"seed": base + 180, "n": n, "dist": "uniform"}) < 0.3] = np.nan
    t["score"] = score
    t["label"] = label
    return t
