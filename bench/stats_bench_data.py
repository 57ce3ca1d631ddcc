"""The benchmark data, described once for both languages (bench/stats-bench-data.ts is the twin)."""
KS_A = {"seed": 9001, "n": 1_000_000}
KS_B = {"seed": 9002, "n": 1_000_000, "loc": 0.002}
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
