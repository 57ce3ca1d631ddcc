"""Wiring and lifecycle: load the champion, listen, send traffic, stop cleanly."""

from __future__ import annotations

import json
import os
import sys
import threading
import time

from ..registry import AliasNotFoundError
from ..storage import check_bucket, s3_client
from .config import Config
from .http import Server
from .metrics import Registry
from .models import ModelStore
from .request_log import RequestLog
from .service import SimulatorService
from .signature import verify
from .traffic import DelayedLabels, Traffic


class App:
    def __init__(self, config: Config) -> None:
        self.config = config
        self.hook_secret = config.hook_secret
        self.registry = Registry()
        self.models = ModelStore(config.model_name, config.alias)
        self.log: RequestLog | None = None
        self.server: Server | None = None
        self._server_thread: threading.Thread | None = None
        self._targets_file: str | None = None
        self.stopping = threading.Event()

    # ----- lifecycle

    def start(self) -> dict:
        config = self.config
        if config.log_bucket is not None:
            client = s3_client()
            check_bucket(client, config.log_bucket)  # fail at start, not on the first flush
            self.log = RequestLog(
                client, config.log_bucket, config.log_prefix or "", config.instance, self.registry,
                flush_seconds=config.flush_seconds, flush_records=config.flush_records,
            )
        self.service = SimulatorService(
            self.models, self.log, self.registry, instance=config.instance, accuracy_window=config.accuracy_window
        )
        _, champion = self.models.load_champion()
        self.service.serving_loaded(champion)
        self.service.set_drift(config.drift)

        self.labels = DelayedLabels(self.service.record_label, config.label_delay)
        self.traffic = Traffic(
            self.service.score_simulated, lambda: self.service.drift_level, self.labels,
            seed=config.seed, rate=config.rate, label_fraction=config.label_fraction,
        )
        self.server = Server((config.host, config.port), self)
        host, port = self.server.server_address[:2]
        self._server_thread = threading.Thread(target=self.server.serve_forever, name="http", daemon=True)
        self._server_thread.start()
        self.traffic.start()

        url = f"http://{host}:{port}"
        ready = {
            "event": "ready",
            "url": url,
            "port": port,
            "pid": os.getpid(),
            "instance": config.instance,
            "model_name": config.model_name,
            "alias": config.alias,
            "model_version": champion.version,
            "log_prefix": config.log_uri,
        }
        if config.prometheus_targets_dir:
            self._register_target(f"{host}:{port}")
        if config.ready_file:
            _write_atomically(config.ready_file, json.dumps(ready) + "\n")
        print(json.dumps(ready), flush=True)
        return ready

    def stop(self) -> None:
        """Stops traffic, then the listener, then writes the logs that are left."""
        self.traffic.stop()
        self.labels.stop()
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
        if self.log is not None:
            self.log.close()
        for path in (self._targets_file, self.config.ready_file):
            if path:
                try:
                    os.remove(path)
                except FileNotFoundError:
                    pass

    def watch_parent(self) -> None:
        """Stops when the starting process is gone (it may have been killed without stopping us)."""
        parent = os.getppid()

        def watch() -> None:
            while not self.stopping.wait(1.0):
                if os.getppid() != parent:
                    print("the parent process ended: stopping", file=sys.stderr, flush=True)
                    self.stopping.set()

        threading.Thread(target=watch, name="parent-watch", daemon=True).start()

    def _register_target(self, address: str) -> None:
        config = self.config
        os.makedirs(config.prometheus_targets_dir, exist_ok=True)
        path = os.path.join(config.prometheus_targets_dir, f"support-tickets-{config.instance}.json")
        group = {
            "targets": [address],
            "labels": {
                "job": "support-tickets",
                "simulator": config.instance,
                # Not model_name: that is a label of support_tickets_model_info,
                # and a clash would rename it to exported_model_name.
                "model": config.model_name,
                # Target labels Prometheus honours over the job's defaults, so
                # tests and demos see fresh values within seconds.
                "__scrape_interval__": config.scrape_interval,
                "__scrape_timeout__": config.scrape_interval,
            },
        }
        _write_atomically(path, json.dumps([group], indent=2) + "\n")
        self._targets_file = path

    # ----- operations behind the HTTP routes

    def verify_hook(self, header: str | None, body: bytes) -> None:
        verify(self.hook_secret or "", header, body)

    def reload(self, body: dict) -> tuple[int, dict]:
        """The deploy hook: serve what the alias names now. 200, or 409/502 with the reason."""
        announced_model = body.get("model")
        if announced_model is not None and announced_model != self.config.model_name:
            self.service.m_reloads.inc(outcome="rejected")
            return 409, {
                "error_code": "INVALID_STATE",
                "message": f"this server serves {self.config.model_name!r}, the hook names {announced_model!r}",
            }
        try:
            previous, current = self.models.load_champion()
        except AliasNotFoundError as error:
            self.service.m_reloads.inc(outcome="error")
            return 502, {"error_code": "RESOURCE_DOES_NOT_EXIST", "message": str(error)}
        except Exception as error:  # MLflow unreachable, artifact missing: keep serving the old version
            self.service.m_reloads.inc(outcome="error")
            return 502, {"error_code": "TEMPORARILY_UNAVAILABLE", "message": f"reload failed, still serving the previous version: {error}"}
        if previous is None or previous.version != current.version:
            self.service.serving_loaded(current)
        self.service.m_reloads.inc(outcome="ok")
        answer = {
            "model": current.name,
            "alias": self.config.alias,
            "previous_version": previous.version if previous else None,
            "version": current.version,
            "changed": previous is None or previous.version != current.version,
        }
        announced = body.get("version")
        if announced is not None and str(announced) != current.version:
            # The registry is the truth: serve what the alias says, and tell the sender.
            return 409, {
                **answer,
                "error_code": "INVALID_STATE",
                "message": f"{self.config.alias} names version {current.version}, the hook announced {announced}",
            }
        return 200, answer

    def flush(self) -> dict:
        if self.log is None:
            return {"written": {}, "log_prefix": None}
        written = self.log.flush()
        return {"written": {k.rstrip("/"): v for k, v in written.items()}, "log_prefix": self.config.log_uri, "buffered": self.log.buffered()}

    def state(self) -> dict:
        champion = self.models.champion
        accuracy, window = self.service.accuracy()
        s = self.service
        return {
            "instance": self.config.instance,
            "started_at": s.started_at,
            "model": {
                "name": champion.name,
                "alias": self.config.alias,
                "version": champion.version,
                "run_id": champion.run_id,
                "loaded_at": champion.loaded_at,
            },
            "drift": {"level": s.drift_level, "changed_at": s.drift_changed_at},
            "traffic": {
                "rate": self.traffic.rate,
                "sent": self.traffic.sent,
                "errors": self.traffic.errors,
                "last_error": self.traffic.last_error,
                "label_delay": self.labels.delay,
                "label_fraction": self.traffic.label_fraction,
            },
            "requests": s.requests_total,
            "labels": s.labels_total,
            "pending_labels": self.labels.pending(),
            "labels_since_drift_change": s.labels_since_drift_change,
            "labels_for_serving_version": s.labels_for_serving_version,
            "accuracy": accuracy,
            "accuracy_window": {"labels": window, "size": self.config.accuracy_window},
            "log": None
            if self.log is None
            else {
                "prefix": self.config.log_uri,
                "written": {k.rstrip("/"): v for k, v in self.log.written.items()},
                "buffered": self.log.buffered(),
                "last_error": self.log.last_error,
            },
            "deploy_hook": self.hook_secret is not None,
            "at": time.time(),
        }


def _write_atomically(path: str, text: str) -> None:
    temporary = f"{path}.tmp-{os.getpid()}"
    with open(temporary, "w", encoding="utf-8") as handle:
        handle.write(text)
    os.replace(temporary, path)
