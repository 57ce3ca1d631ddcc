"""The request and label logs, written to S3 as JSON Lines in small batches.

Records are buffered and written every ``flush_seconds`` (or sooner when
``flush_records`` are waiting), one object per batch and kind; see
``storage`` for the key layout. A failed write keeps its records for the
next attempt, so an S3 hiccup delays the log but loses nothing (until the
buffer cap, past which the oldest records are dropped and counted).
"""

from __future__ import annotations

import sys
import threading
import time

from ..storage import LABELS, REQUESTS, batch_key, put_json_lines
from .metrics import Counter, Gauge, Registry

MAX_BUFFERED = 200_000


class RequestLog:
    def __init__(
        self,
        client,
        bucket: str,
        prefix: str,
        instance: str,
        registry: Registry,
        *,
        flush_seconds: float = 2.0,
        flush_records: int = 500,
    ) -> None:
        self.bucket, self.prefix, self.instance = bucket, prefix, instance
        self._client = client
        self._flush_seconds, self._flush_records = flush_seconds, flush_records
        self._buffers: dict[str, list[dict]] = {REQUESTS: [], LABELS: []}
        self._lock = threading.Lock()
        self._write_lock = threading.Lock()  # one batch write at a time keeps sequence numbers in order
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._seq = 0
        self.written = {REQUESTS: 0, LABELS: 0}
        self.last_error: str | None = None
        self.failing = False
        self._records = Counter(registry, "support_tickets_log_records_total", "Records written to the S3 logs.", ("kind",))
        self._errors = Counter(registry, "support_tickets_log_write_errors_total", "Failed batch writes to S3 (retried).")
        self._dropped = Counter(registry, "support_tickets_log_dropped_records_total", "Records dropped past the buffer cap.")
        self._buffered = Gauge(registry, "support_tickets_log_buffered_records", "Records waiting to be written.")
        for kind in ("requests", "labels"):
            self._records.touch(kind=kind)
        self._thread = threading.Thread(target=self._run, name="request-log", daemon=True)
        self._thread.start()

    def append(self, kind: str, record: dict) -> None:
        with self._lock:
            buffer = self._buffers[kind]
            buffer.append(record)
            if len(buffer) > MAX_BUFFERED:
                del buffer[0]
                self._dropped.inc()
            waiting = sum(len(b) for b in self._buffers.values())
        self._buffered.set(waiting)
        if waiting >= self._flush_records:
            self._wake.set()

    def flush(self) -> dict[str, int]:
        """Writes everything buffered now; returns the records written by kind."""
        written = {}
        failed = False
        with self._write_lock:
            for kind in (REQUESTS, LABELS):
                with self._lock:
                    batch, self._buffers[kind] = self._buffers[kind], []
                if not batch:
                    continue
                self._seq += 1
                key = batch_key(self.prefix, kind, batch[0]["ts_unix"], self.instance, self._seq)
                try:
                    put_json_lines(self._client, self.bucket, key, batch)
                except Exception as error:  # keep the batch for the next attempt, in order
                    self.last_error = f"{type(error).__name__}: {error}"
                    print(f"request log: writing s3://{self.bucket}/{key} failed, will retry: {error}", file=sys.stderr)
                    self._errors.inc()
                    failed = True
                    with self._lock:
                        self._buffers[kind] = batch + self._buffers[kind]
                    continue
                self.written[kind] += len(batch)
                written[kind] = len(batch)
                self._records.inc(len(batch), kind=kind.rstrip("/"))
            self.failing = failed
            with self._lock:
                self._buffered.set(sum(len(b) for b in self._buffers.values()))
        return written

    def buffered(self) -> int:
        with self._lock:
            return sum(len(b) for b in self._buffers.values())

    def close(self) -> None:
        """Stops the background writer and writes what is left."""
        self._stopping.set()
        self._wake.set()
        self._thread.join(timeout=30)
        self.flush()

    def _run(self) -> None:
        while not self._stopping.is_set():
            self._wake.wait(self._flush_seconds)
            self._wake.clear()
            if self._stopping.is_set():
                return
            began = time.monotonic()
            self.flush()
            # Never spin on a failing S3: at most one attempt per second.
            if self.failing:
                time.sleep(max(0.0, 1.0 - (time.monotonic() - began)))
