"""The classifier: TF-IDF over words and word pairs, then a linear model.

The pipeline takes a DataFrame with one string column ``text`` and predicts
the team name. It is built from scikit-learn parts only (no function of
ours is pickled), so ``mlflow models serve`` and any pyfunc loader can load
it without this package on the path.
"""

from __future__ import annotations

import random

from sklearn.compose import ColumnTransformer
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, f1_score, precision_score, recall_score
from sklearn.pipeline import Pipeline

from .vocabulary import CATEGORIES

HYPERPARAMETERS = {"ngram_max": 2, "min_df": 2, "max_features": 20000, "C": 10.0}


def build_pipeline(seed: int) -> Pipeline:
    vectorizer = TfidfVectorizer(
        ngram_range=(1, HYPERPARAMETERS["ngram_max"]),
        min_df=HYPERPARAMETERS["min_df"],
        max_features=HYPERPARAMETERS["max_features"],
        sublinear_tf=True,
    )
    return Pipeline(
        [
            # A column name given as a string (not a list) hands the vectorizer
            # the 1-D column of strings it expects.
            ("features", ColumnTransformer([("text", vectorizer, "text")])),
            ("classifier", LogisticRegression(C=HYPERPARAMETERS["C"], max_iter=1000, random_state=seed)),
        ]
    )


def degrade_labels(labels: list[str], degrade: float, seed: int) -> list[str]:
    """The training labels of a deliberately worse model.

    A share ``degrade`` of the rows is relabelled systematically: each team's
    tickets go to the next team in ``CATEGORIES``. Unlike uniform label noise,
    which a linear model averages away, a consistent wrong mapping is
    learned, so the resulting model is measurably worse on clean labels (about
    1 - degrade accuracy once degrade passes one half). Only training labels
    change; validation always uses the true ones, so the run's metrics tell
    the truth about the model.
    """
    if not 0 <= degrade <= 1:
        raise ValueError(f"degrade is a share of relabelled training rows in [0, 1], got {degrade}")
    if degrade == 0:
        return list(labels)
    rng = random.Random(f"degrade:{seed}")
    following = {c: CATEGORIES[(i + 1) % len(CATEGORIES)] for i, c in enumerate(CATEGORIES)}
    return [following.get(label, label) if rng.random() < degrade else label for label in labels]


def classification_metrics(truth, predicted, prefix: str) -> dict[str, float]:
    """Accuracy and macro-averaged precision, recall and F1, plus F1 per team."""
    metrics = {
        f"{prefix}_accuracy": accuracy_score(truth, predicted),
        f"{prefix}_precision_macro": precision_score(truth, predicted, average="macro", zero_division=0),
        f"{prefix}_recall_macro": recall_score(truth, predicted, average="macro", zero_division=0),
        f"{prefix}_f1_macro": f1_score(truth, predicted, average="macro", zero_division=0),
    }
    per_class = f1_score(truth, predicted, labels=list(CATEGORIES), average=None, zero_division=0)
    for category, value in zip(CATEGORIES, per_class):
        metrics[f"{prefix}_f1_{category}"] = value
    return {k: float(v) for k, v in metrics.items()}
