"""What the simulator does, without the HTTP: score, label, drift, reload.

Every scored production request (simulated or from a client) is logged and
counted under the model version that answered it; a label that arrives is
joined to that prediction, counted as correct or not, and logged. Accuracy
is therefore only ever computed over labelled requests.
"""

from __future__ import annotations

import itertools
import threading
import time
from collections import OrderedDict, deque

import pandas

from ..storage import LABELS, REQUESTS, iso
from ..vocabulary import CATEGORIES
from .metrics import Counter, Gauge, Histogram, Registry
from .models import LoadedModel, ModelStore
from .request_log import RequestLog

LATENCY_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)
# Predictions kept in memory awaiting their label; older ones can still be
# joined offline from the logs.
MAX_AWAITING_LABEL = 100_000


class SimulatorService:
    def __init__(
        self, models: ModelStore, log: RequestLog | None, registry: Registry, *, instance: str, accuracy_window: int
    ) -> None:
        self.models, self.log, self.instance = models, log, instance
        self.started_at = time.time()
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        # id -> (prediction, version, drift epoch at scoring time)
        self._awaiting: OrderedDict[str, tuple[str, str, int]] = OrderedDict()
        self._window: deque[bool] = deque(maxlen=accuracy_window)
        self.drift_level = 0.0
        self.drift_changed_at = self.started_at
        self._drift_epoch = 0
        # Labels of requests scored since the last drift change / by the
        # serving version: when these reach the accuracy window, the gauge
        # describes only the new situation.
        self.labels_since_drift_change = 0
        self.labels_for_serving_version = 0
        self.requests_total = 0
        self.labels_total = 0

        r = registry
        self.m_predictions = Counter(
            r, "support_tickets_predictions_total", "Production predictions, by model version and predicted team.",
            ("model_version", "predicted"),
        )
        self.m_labels = Counter(
            r, "support_tickets_labels_total",
            "Labels received and joined to a prediction, by the version that predicted and the true team.",
            ("model_version", "label"),
        )
        self.m_correct = Counter(
            r, "support_tickets_correct_predictions_total", "Labelled predictions that were right, by model version.",
            ("model_version",),
        )
        self.m_unmatched = Counter(
            r, "support_tickets_labels_unmatched_total", "Labels for requests this process no longer (or never) held."
        )
        self.m_accuracy = Gauge(
            r, "support_tickets_accuracy", "Accuracy over the most recent labelled predictions (see the window size)."
        )
        self.m_window = Gauge(
            r, "support_tickets_accuracy_window_labels", "Labelled predictions behind support_tickets_accuracy."
        )
        self.m_latency = Histogram(
            r, "support_tickets_request_duration_seconds", "Time to score one request (parse, predict, log), by model version.",
            ("model_version",), LATENCY_BUCKETS,
        )
        self.m_invalid = Counter(r, "support_tickets_invalid_requests_total", "Scoring requests answered with 400.")
        self.m_drift = Gauge(r, "support_tickets_drift_level", "Share of simulated tickets written after the launch (0..1).")
        self.m_info = Gauge(
            r, "support_tickets_model_info", "The model version serving production traffic (value 1).",
            ("model_name", "alias", "model_version", "run_id"),
        )
        self.m_loaded_at = Gauge(r, "support_tickets_model_loaded_timestamp_seconds", "When the serving version was loaded.")
        self.m_reloads = Counter(
            r, "support_tickets_model_reloads_total", "Deploy hook calls, by outcome (ok, error, rejected).", ("outcome",)
        )
        self.m_shadow = Counter(
            r, "support_tickets_shadow_predictions_total",
            "Predictions of non-serving versions (/versions/…, /aliases/…), by model version.", ("model_version",),
        )
        for outcome in ("ok", "error", "rejected"):
            self.m_reloads.touch(outcome=outcome)

    # ----- serving

    def serving_loaded(self, model: LoadedModel) -> None:
        """Publishes a newly serving version; its series start at zero so rate() sees their first increments."""
        with self._lock:
            self.labels_for_serving_version = 0
        self.m_info.clear()
        self.m_info.set(1, model_name=model.name, alias=self.models.alias, model_version=model.version, run_id=model.run_id)
        self.m_loaded_at.set(model.loaded_at)
        for team in CATEGORIES:
            self.m_predictions.touch(model_version=model.version, predicted=team)
            self.m_labels.touch(model_version=model.version, label=team)
        self.m_correct.touch(model_version=model.version)

    def score(self, frame: pandas.DataFrame, *, source: str, request_id: str | None = None, extra: dict | None = None):
        """Predicts with the champion and logs every row; returns (predictions, ids, version)."""
        began = time.perf_counter()
        model = self.models.champion  # one read: the whole request is answered by one version
        if len(frame) == 0:
            return [], [], model.version  # scikit-learn refuses zero rows; the protocol allows them
        predictions = [str(p) for p in model.pyfunc.predict(frame)]
        now = time.time()
        if request_id and len(predictions) == 1:
            ids = [request_id]
        elif request_id:
            ids = [f"{request_id}-{i}" for i in range(len(predictions))]
        else:
            ids = [f"{self.instance}-{next(self._ids):08d}" for _ in predictions]
        latency = time.perf_counter() - began
        texts = frame["text"].tolist()
        with self._lock:
            self.requests_total += len(predictions)
            for request, prediction in zip(ids, predictions):
                self._awaiting[request] = (prediction, model.version, self._drift_epoch)
            while len(self._awaiting) > MAX_AWAITING_LABEL:
                self._awaiting.popitem(last=False)
        for request, text, prediction in zip(ids, texts, predictions):
            self.m_predictions.inc(model_version=model.version, predicted=prediction)
            if self.log is not None:
                self.log.append(
                    REQUESTS,
                    {
                        "id": request,
                        "ts": iso(now),
                        "ts_unix": round(now, 3),
                        "source": source,
                        "inputs": {"text": text},
                        "prediction": prediction,
                        "model_name": model.name,
                        "model_version": model.version,
                        "latency_ms": round(latency * 1000, 3),
                        "batch_size": len(predictions),
                        **(extra or {}),
                    },
                )
        self.m_latency.observe(time.perf_counter() - began, model_version=model.version)
        return predictions, ids, model.version

    def score_simulated(self, text: str, extra: dict) -> str:
        _, ids, _ = self.score(pandas.DataFrame({"text": [text]}), source="simulator", extra=extra)
        return ids[0]

    def score_other(self, model: LoadedModel, frame: pandas.DataFrame) -> list[str]:
        """A non-serving version (shadow scoring): not logged, not production traffic."""
        if len(frame) == 0:
            return []
        predictions = [str(p) for p in model.pyfunc.predict(frame)]
        self.m_shadow.inc(len(predictions), model_version=model.version)
        return predictions

    # ----- labels

    def record_label(self, request_id: str, label: str, labelled_at: float | None = None) -> bool:
        """Joins a label to its prediction; returns whether the prediction was still held."""
        labelled_at = time.time() if labelled_at is None else labelled_at
        with self._lock:
            found = self._awaiting.pop(request_id, None)
            self.labels_total += 1
            if found is not None:
                if found[2] == self._drift_epoch:
                    self.labels_since_drift_change += 1
                if found[1] == self.models.champion.version:
                    self.labels_for_serving_version += 1
                self._window.append(found[0] == label)
                accuracy = sum(self._window) / len(self._window)
                window = len(self._window)
        if found is None:
            self.m_unmatched.inc()
        else:
            prediction, version, _ = found
            self.m_labels.inc(model_version=version, label=label)
            if prediction == label:
                self.m_correct.inc(model_version=version)
            self.m_accuracy.set(accuracy)
            self.m_window.set(window)
        if self.log is not None:
            record = {"id": request_id, "label": label, "labelled_at": iso(labelled_at), "ts_unix": round(labelled_at, 3)}
            if found is not None:
                record.update(prediction=found[0], model_version=found[1])
            self.log.append(LABELS, record)
        return found is not None

    # ----- drift

    def set_drift(self, level: float) -> float:
        with self._lock:
            previous, self.drift_level = self.drift_level, level
            self.drift_changed_at = time.time()
            self._drift_epoch += 1
            self.labels_since_drift_change = 0
        self.m_drift.set(level)
        return previous

    def accuracy(self) -> tuple[float | None, int]:
        with self._lock:
            return (sum(self._window) / len(self._window) if self._window else None), len(self._window)
