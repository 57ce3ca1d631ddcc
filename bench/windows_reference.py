"""pandas' side of bench/windows.bench.ts: the same local file, read the way
pandas users read it, then the same numbers computed (count, mean, median of
`amount`; counts of `country`). Run by the bench in .venv-parity:

    python bench/windows_reference.py jsonl|csv|parquet PATH whole|chunked

`whole` loads the file (pandas' usual way); `chunked` streams JSON Lines / CSV
in 100,000-row chunks and keeps running counts, pandas' bounded-memory way
(no exact median then). Prints one JSON line like bench/windows-task.ts.
"""
import json
import resource
import sys
import time

import pandas as pd


def rss_mb():
    """Peak RSS of this process's own address space (VmHWM): getrusage's ru_maxrss
    keeps the parent's peak across fork and exec on Linux."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def whole(fmt, path):
    cols = ["amount", "country"]
    if fmt == "parquet":
        df = pd.read_parquet(path, columns=cols)
    elif fmt == "jsonl":
        df = pd.read_json(path, lines=True)[cols]
    else:
        df = pd.read_csv(path, usecols=cols)
    amount = df["amount"]
    df["country"].value_counts()
    return len(df), {"count": int(amount.count()), "mean": float(amount.mean()), "p50": float(amount.median())}


def chunked(fmt, path):
    """Bounded memory: running count, sum and category counts per chunk (no exact median)."""
    reader = (
        pd.read_json(path, lines=True, chunksize=100_000)
        if fmt == "jsonl"
        else pd.read_csv(path, usecols=["amount", "country"], chunksize=100_000)
    )
    rows, count, total, countries = 0, 0, 0.0, None
    for chunk in reader:
        rows += len(chunk)
        count += int(chunk["amount"].count())
        total += float(chunk["amount"].sum())
        vc = chunk["country"].value_counts()
        countries = vc if countries is None else countries.add(vc, fill_value=0)
    return rows, {"count": count, "mean": total / count}


def main(fmt, path, mode):
    before = rss_mb()
    t = time.perf_counter()
    rows, result = whole(fmt, path) if mode == "whole" else chunked(fmt, path)
    seconds = time.perf_counter() - t
    print(
        json.dumps(
            {"seconds": [seconds], "rss_before_mb": before, "peak_rss_mb": rss_mb(), "rows": rows, "result": result}
        )
    )


if __name__ == "__main__":
    main(*sys.argv[1:4])
