"""Fit, evaluate and log one model to the active MLflow run.

Shared by the ``train`` entry point (data from the simulator's logs) and
``bootstrap_champion`` (synthetic pre-launch data).
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass

import mlflow
import numpy
import pandas
import scipy
import sklearn
from mlflow.models import infer_signature
from sklearn.model_selection import train_test_split

from .model import HYPERPARAMETERS, build_pipeline, classification_metrics, degrade_labels

# The artifact name of the model in the run (``runs:/<run id>/model``).
MODEL_NAME_IN_RUN = "model"
# Fewer labelled rows than this is not a training set, whatever the window says.
MIN_ROWS_FLOOR = 20


class TrainingDataError(Exception):
    """The data cannot make a model (too few rows, a single team); the message says what was found."""


@dataclass
class TrainingResult:
    run_id: str
    model_uri: str
    model_id: str
    metrics: dict[str, float]


def fit_evaluate_log(
    texts: list[str], labels: list[str], *, seed: int, degrade: float, holdout: float, min_rows: int
) -> TrainingResult:
    run = mlflow.active_run()
    if run is None:
        raise RuntimeError("fit_evaluate_log needs an active MLflow run")
    needed = max(min_rows, MIN_ROWS_FLOOR)
    counts = Counter(labels)
    if len(labels) < needed:
        raise TrainingDataError(f"{len(labels)} labelled rows, at least {needed} needed (min_rows)")
    if len(counts) < 2:
        raise TrainingDataError(f"all {len(labels)} labelled rows are {next(iter(counts))!r}: need two teams or more")
    if not 0 < holdout < 1:
        raise TrainingDataError(f"holdout is the validation share in (0, 1), got {holdout}")

    frame = pandas.DataFrame({"text": texts})
    # Stratify when every team has two rows or more; otherwise a plain split.
    stratify = labels if min(counts.values()) >= 2 else None
    x_train, x_val, y_train, y_val = train_test_split(
        frame, labels, test_size=holdout, random_state=seed, stratify=stratify
    )
    began = time.perf_counter()
    pipeline = build_pipeline(seed).fit(x_train, degrade_labels(list(y_train), degrade, seed))
    fit_seconds = time.perf_counter() - began

    metrics = classification_metrics(y_val, pipeline.predict(x_val), "val")
    metrics.update(classification_metrics(y_train, pipeline.predict(x_train), "train"))
    metrics.update(
        {
            "train_rows": float(len(y_train)),
            "val_rows": float(len(y_val)),
            "fit_seconds": fit_seconds,
            **{f"rows_{team}": float(n) for team, n in sorted(counts.items())},
        }
    )
    mlflow.log_params(
        {"seed": seed, "degrade": degrade, "holdout": holdout, **{f"model_{k}": v for k, v in HYPERPARAMETERS.items()}}
    )
    mlflow.log_metrics(metrics)

    example = x_val.head(3).reset_index(drop=True)
    began = time.perf_counter()
    info = mlflow.sklearn.log_model(
        pipeline,
        name=MODEL_NAME_IN_RUN,
        input_example=example,
        signature=infer_signature(example, pipeline.predict(example)),
        # Given explicitly: inferring them starts a subprocess that costs
        # seconds on every training run.
        pip_requirements=[
            f"mlflow=={mlflow.__version__}",
            f"scikit-learn=={sklearn.__version__}",
            f"pandas=={pandas.__version__}",
            f"numpy=={numpy.__version__}",
            f"scipy=={scipy.__version__}",
        ],
    )
    # Where ctpilot finds the model to register (MLflow 3 keeps it as a
    # logged model beside the run; model-versions/create wants this source).
    mlflow.set_tags({"support_tickets.model_uri": info.model_uri, "support_tickets.model_id": info.model_id})
    mlflow.log_metric("model_log_seconds", time.perf_counter() - began)
    return TrainingResult(run_id=run.info.run_id, model_uri=info.model_uri, model_id=info.model_id, metrics=metrics)
