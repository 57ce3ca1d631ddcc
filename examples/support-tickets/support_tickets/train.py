"""Entry point ``train``: one model from a data window, logged to the given run.

ctpilot creates the MLflow run and executes
``mlflow run examples/support-tickets -e train --run-id <RUN_ID> --env-manager local -P …``;
this module logs parameters, metrics and the model into that run
(``MLFLOW_RUN_ID``) and never starts another. A window with too few labelled
requests fails the run, with the reason in the tag ``support_tickets.error``.

Run ``python -m support_tickets.train --help`` for the parameters.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time

import mlflow

from .data_window import EmptyDataWindowError, describe_range, load_labelled_window, parse_time
from .generator import synthetic_frame
from .storage import StorageError
from .training import TrainingDataError, fit_evaluate_log


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m support_tickets.train", description=__doc__.split("\n")[0])
    parser.add_argument(
        "--data-uri",
        default="synthetic",
        help="s3://bucket/prefix/ of the simulator's logs (labelled requests are the rows), or 'synthetic'",
    )
    parser.add_argument("--since", default="", help="window start: unix seconds, ISO 8601, or a duration before now (30m, 7d)")
    parser.add_argument("--until", default="", help="window end (exclusive), same formats; empty: now")
    parser.add_argument("--max-rows", type=float, default=0, help="keep the most recent N labelled rows (0: all)")
    parser.add_argument("--min-rows", type=float, default=50, help="fail when the window has fewer labelled rows")
    parser.add_argument("--seed", type=float, default=7, help="seed of the split, the model and the degradation")
    parser.add_argument(
        "--degrade",
        type=float,
        default=0.0,
        help="0..1: relabel this share of training rows systematically, for a deliberately worse model",
    )
    parser.add_argument("--holdout", type=float, default=0.25, help="validation share of the window")
    parser.add_argument("--synthetic-rows", type=float, default=4000, help="rows generated when --data-uri=synthetic")
    parser.add_argument("--synthetic-drift", type=float, default=0.0, help="drift level of generated rows (0..1)")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if not os.environ.get("MLFLOW_RUN_ID"):
        print(
            "train logs into the run it is given: run it with `mlflow run … --run-id <RUN_ID>` "
            "(or set MLFLOW_RUN_ID), it never creates a run of its own",
            file=sys.stderr,
        )
        return 2
    seed = int(args.seed)
    with mlflow.start_run() as run:
        try:
            mlflow.log_params(
                {
                    "data_uri": args.data_uri,
                    "since": args.since,
                    "until": args.until,
                    "max_rows": int(args.max_rows),
                    "min_rows": int(args.min_rows),
                }
            )
            if args.data_uri == "synthetic":
                frame = synthetic_frame(int(args.synthetic_rows), seed, args.synthetic_drift)
                texts, labels = list(frame["text"]), list(frame["label"])
                mlflow.log_params({"synthetic_rows": int(args.synthetic_rows), "synthetic_drift": args.synthetic_drift})
            else:
                since, until = parse_time(args.since), parse_time(args.until)
                began = time.perf_counter()
                window = load_labelled_window(args.data_uri, since=since, until=until, max_rows=int(args.max_rows))
                mlflow.log_metrics(
                    {
                        "window_requests": window.requests_in_range,
                        "window_labelled_rows": len(window.labels),
                        "data_load_seconds": time.perf_counter() - began,
                    }
                )
                if len(window.labels) < max(int(args.min_rows), 1):
                    raise EmptyDataWindowError(
                        f"the data window {args.data_uri} {describe_range(since, until)} has "
                        f"{len(window.labels)} labelled requests (min_rows {int(args.min_rows)}): "
                        f"{window.requests_in_range} requests in the range, {window.labels_read} labels under the prefix. "
                        "Check that the simulator's --log-prefix is this URI, that its labels have arrived "
                        "(label delay) and been flushed, and the since/until bounds."
                    )
                texts, labels = window.texts, window.labels
                mlflow.set_tags(
                    {
                        "support_tickets.window_first_request": str(window.request_times[0]),
                        "support_tickets.window_last_request": str(window.request_times[-1]),
                    }
                )
            result = fit_evaluate_log(
                texts,
                labels,
                seed=seed,
                degrade=args.degrade,
                holdout=args.holdout,
                min_rows=int(args.min_rows),
            )
        except (EmptyDataWindowError, TrainingDataError, StorageError, ValueError) as error:
            mlflow.set_tag("support_tickets.error", str(error)[:5000])
            print(f"training failed: {error}", file=sys.stderr)
            mlflow.end_run(status="FAILED")
            return 1
    summary = {"run_id": run.info.run_id, "model_uri": result.model_uri, "model_id": result.model_id}
    summary.update({k: round(v, 4) for k, v in result.metrics.items() if k.startswith("val_") or k.endswith("_rows")})
    print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())
