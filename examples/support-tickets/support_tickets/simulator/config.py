"""The simulator's settings: command-line flags, each with an environment fallback.

Every flag ``--some-flag`` may instead be given as ``SUPPORT_TICKETS_SOME_FLAG``.
The deploy hook's shared secret is read from ``CTPILOT_DEPLOY_HOOK_SECRET``
only (never a flag: command lines are visible to every user of the machine).
"""

from __future__ import annotations

import argparse
import os
import secrets
from dataclasses import dataclass

from ..storage import StorageError, as_prefix, parse_s3_uri

HOOK_SECRET_VARIABLE = "CTPILOT_DEPLOY_HOOK_SECRET"


@dataclass(frozen=True)
class Config:
    model_name: str
    alias: str
    host: str
    port: int
    rate: float
    label_delay: float
    label_fraction: float
    drift: float
    seed: int
    accuracy_window: int
    instance: str
    log_bucket: str | None
    log_prefix: str | None
    """Key prefix (ending in /) under log_bucket; None: logging off."""
    flush_seconds: float
    flush_records: int
    prometheus_targets_dir: str | None
    scrape_interval: str
    ready_file: str | None
    exit_with_parent: bool
    hook_secret: str | None

    @property
    def log_uri(self) -> str | None:
        return f"s3://{self.log_bucket}/{self.log_prefix}" if self.log_bucket is not None else None


def _env(name: str, default):
    return os.environ.get("SUPPORT_TICKETS_" + name.upper().replace("-", "_"), default)


def parse_config(argv: list[str] | None = None) -> Config:
    p = argparse.ArgumentParser(
        prog="python -m support_tickets.simulator",
        description="Serves the champion of a support-ticket model, sends it simulated traffic with late labels, "
        "exports Prometheus metrics and logs requests and labels to S3.",
    )
    p.add_argument("--model-name", default=_env("model-name", None), help="registered model to serve (required)")
    p.add_argument("--alias", default=_env("alias", "champion"), help="alias of the serving version")
    p.add_argument("--host", default=_env("host", "127.0.0.1"), help="address to listen on")
    p.add_argument("--port", type=int, default=int(_env("port", 0)), help="port (0: a free one, printed when ready)")
    p.add_argument("--rate", type=float, default=float(_env("rate", 5)), help="simulated requests per second (0: none)")
    p.add_argument("--label-delay", type=float, default=float(_env("label-delay", 5)), help="seconds until a label arrives")
    p.add_argument("--label-fraction", type=float, default=float(_env("label-fraction", 1)), help="share of requests ever labelled")
    p.add_argument("--drift", type=float, default=float(_env("drift", 0)), help="initial drift level, 0..1")
    p.add_argument("--seed", type=int, default=int(_env("seed", 1)), help="seed of the simulated tickets")
    p.add_argument("--accuracy-window", type=int, default=int(_env("accuracy-window", 100)), help="labels behind the accuracy gauge")
    p.add_argument("--instance", default=_env("instance", None), help="name of this simulator in ids, log keys and metrics")
    p.add_argument(
        "--log-prefix",
        default=_env("log-prefix", None),
        help="s3://bucket/prefix/ for the request and label logs (default s3://$S3_BUCKET/examples/support-tickets/<instance>/; 'none': off)",
    )
    p.add_argument("--flush-seconds", type=float, default=float(_env("flush-seconds", 2)), help="log batch interval")
    p.add_argument("--flush-records", type=int, default=int(_env("flush-records", 500)), help="log batch size that flushes at once")
    p.add_argument(
        "--prometheus-targets-dir",
        default=_env("prometheus-targets-dir", None),
        help="register for scraping: write a file_sd target group here (e.g. $CTPILOT_HOME/prometheus/targets)",
    )
    p.add_argument("--scrape-interval", default=_env("scrape-interval", "5s"), help="scrape interval asked of Prometheus")
    p.add_argument("--ready-file", default=_env("ready-file", None), help="write the ready line (JSON) to this file too")
    p.add_argument(
        "--exit-with-parent", action="store_true", default=_env("exit-with-parent", "") not in ("", "0", "false"),
        help="stop when the process that started this one ends (tests)",
    )
    a = p.parse_args(argv)

    if not a.model_name:
        p.error("--model-name (or SUPPORT_TICKETS_MODEL_NAME) is required")
    for name, value, low, high in (("--label-fraction", a.label_fraction, 0, 1), ("--drift", a.drift, 0, 1)):
        if not low <= value <= high:
            p.error(f"{name} must be between {low} and {high}, got {value}")
    if a.rate < 0 or a.label_delay < 0 or a.flush_seconds <= 0 or a.accuracy_window < 1 or a.flush_records < 1:
        p.error("--rate and --label-delay must be >= 0; --flush-seconds, --flush-records and --accuracy-window > 0")

    instance = a.instance or f"st-{secrets.token_hex(3)}"
    log_bucket = log_prefix = None
    if (a.log_prefix or "").lower() != "none":
        uri = a.log_prefix or f"s3://{os.environ.get('S3_BUCKET') or 'ctpilot'}/examples/support-tickets/{instance}/"
        try:
            log_bucket, key = parse_s3_uri(uri)
        except StorageError as error:
            p.error(f"--log-prefix: {error}")
        log_prefix = as_prefix(key)

    return Config(
        model_name=a.model_name,
        alias=a.alias,
        host=a.host,
        port=a.port,
        rate=a.rate,
        label_delay=a.label_delay,
        label_fraction=a.label_fraction,
        drift=a.drift,
        seed=a.seed,
        accuracy_window=a.accuracy_window,
        instance=instance,
        log_bucket=log_bucket,
        log_prefix=log_prefix,
        flush_seconds=a.flush_seconds,
        flush_records=a.flush_records,
        prometheus_targets_dir=a.prometheus_targets_dir,
        scrape_interval=a.scrape_interval,
        ready_file=a.ready_file,
        exit_with_parent=a.exit_with_parent,
        hook_secret=os.environ.get(HOOK_SECRET_VARIABLE) or None,
    )
