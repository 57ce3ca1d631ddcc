"""Entry point ``bootstrap_champion``: the first champion, idempotently.

Trains on synthetic pre-launch tickets (drift 0), registers the model under
``--model-name`` and points the alias (``champion``) at it. Run again, it
changes nothing: an existing alias is kept; a version this script registered
before an interruption is reused rather than trained again.

Prints one JSON line: model_name, alias, version, run_id, created, and the
validation metrics when it trained.
"""

from __future__ import annotations

import argparse
import json
import os
import sys

import mlflow
from mlflow import MlflowClient

from .generator import synthetic_frame
from .registry import BOOTSTRAP_TAG, AliasNotFoundError, find_bootstrap_version, resolve_alias
from .training import fit_evaluate_log


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m support_tickets.bootstrap_champion", description=__doc__.split("\n")[0])
    parser.add_argument("--model-name", required=True, help="registered model name")
    parser.add_argument("--alias", default="champion", help="alias to point at the first version")
    parser.add_argument("--experiment", default="support-tickets", help="experiment of the bootstrap run (when not under `mlflow run`)")
    parser.add_argument("--rows", type=float, default=4000, help="synthetic pre-launch tickets to train on")
    parser.add_argument("--seed", type=float, default=7, help="seed of the data, the split and the model")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    client = MlflowClient()
    summary: dict = {"model_name": args.model_name, "alias": args.alias, "created": False}

    try:
        existing = resolve_alias(args.model_name, args.alias, client)
    except AliasNotFoundError:
        existing = None
    if existing is not None:
        summary.update(version=existing.version, run_id=existing.run_id)
        if os.environ.get("MLFLOW_RUN_ID"):
            # Under `mlflow run` a run exists already; say why it holds no model.
            with mlflow.start_run():
                mlflow.set_tag(BOOTSTRAP_TAG, f"skipped: {args.alias} is version {existing.version}")
        print(json.dumps(summary))
        return 0

    version = find_bootstrap_version(args.model_name, client)
    if version is None:
        if not os.environ.get("MLFLOW_RUN_ID"):
            mlflow.set_experiment(args.experiment)
        with mlflow.start_run(run_name=None if os.environ.get("MLFLOW_RUN_ID") else "bootstrap-champion"):
            mlflow.set_tag(BOOTSTRAP_TAG, "true")
            seed = int(args.seed)
            frame = synthetic_frame(int(args.rows), seed, drift=0.0)
            mlflow.log_params({"data_uri": "synthetic", "synthetic_rows": int(args.rows), "synthetic_drift": 0.0})
            result = fit_evaluate_log(
                list(frame["text"]), list(frame["label"]), seed=seed, degrade=0.0, holdout=0.25, min_rows=50
            )
        registered = mlflow.register_model(result.model_uri, args.model_name, tags={BOOTSTRAP_TAG: "true"})
        version = str(registered.version)
        summary.update(created=True, run_id=result.run_id, val_accuracy=round(result.metrics["val_accuracy"], 4))
    else:
        summary["run_id"] = client.get_model_version(args.model_name, version).run_id
    client.set_registered_model_alias(args.model_name, args.alias, version)
    summary["version"] = version
    print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())
