"""Simulated production traffic, and labels that arrive late.

``Traffic`` writes tickets at a steady rate (requests per second), scores
each through the same path an HTTP request takes (minus the socket), and
hands its true label to ``DelayedLabels``, which delivers it ``delay``
seconds later, as a helpdesk's resolution codes would come in after the
fact. Only a share ``label_fraction`` of requests is ever labelled.
"""

from __future__ import annotations

import heapq
import random
import threading
import time
from collections.abc import Callable

from ..generator import TicketGenerator

# A traffic thread that fell behind (a slow reload, a busy CPU) catches up
# at most this much, rather than bursting through a long backlog.
MAX_BACKLOG_SECONDS = 1.0


class DelayedLabels:
    def __init__(self, deliver: Callable[[str, str], None], delay: float) -> None:
        self.delay = delay
        self._deliver = deliver
        self._heap: list[tuple[float, int, str, str]] = []
        self._order = 0
        self._cond = threading.Condition()
        self._stopping = False
        self._thread = threading.Thread(target=self._run, name="delayed-labels", daemon=True)
        self._thread.start()

    def schedule(self, request_id: str, label: str) -> None:
        with self._cond:
            self._order += 1
            heapq.heappush(self._heap, (time.monotonic() + self.delay, self._order, request_id, label))
            self._cond.notify()

    def pending(self) -> int:
        with self._cond:
            return len(self._heap)

    def stop(self) -> None:
        """Labels not due yet never arrive: they would have come after the service stopped."""
        with self._cond:
            self._stopping = True
            self._cond.notify()
        self._thread.join(timeout=10)

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._stopping and (not self._heap or self._heap[0][0] > time.monotonic()):
                    self._cond.wait(None if not self._heap else max(0.0, self._heap[0][0] - time.monotonic()))
                if self._stopping:
                    return
                _, _, request_id, label = heapq.heappop(self._heap)
            self._deliver(request_id, label)


class Traffic:
    def __init__(
        self,
        score: Callable[[str, dict], str],
        drift: Callable[[], float],
        labels: DelayedLabels,
        *,
        seed: int,
        rate: float,
        label_fraction: float,
    ) -> None:
        """``score(text, extra)`` logs the request (with ``extra``) and returns its id; ``drift()`` is the current level."""
        self.rate = rate
        self.label_fraction = label_fraction
        self._score, self._drift, self._labels = score, drift, labels
        self._tickets = TicketGenerator(seed)
        self._labelled = random.Random(seed + 1)  # its own stream: labelling never changes the tickets
        self._stopping = threading.Event()
        self._changed = threading.Event()
        self.sent = 0
        self.errors = 0
        self.last_error: str | None = None
        self._thread = threading.Thread(target=self._run, name="traffic", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def set_rate(self, rate: float) -> None:
        self.rate = rate
        self._changed.set()

    def stop(self) -> None:
        self._stopping.set()
        self._changed.set()
        self._thread.join(timeout=10)

    def _run(self) -> None:
        next_at = time.monotonic()
        while not self._stopping.is_set():
            if self.rate <= 0:
                self._changed.wait()
                self._changed.clear()
                next_at = time.monotonic()
                continue
            now = time.monotonic()
            if next_at > now:
                if self._changed.wait(next_at - now):
                    self._changed.clear()
                    next_at = time.monotonic()
                continue
            level = self._drift()
            ticket = self._tickets.ticket(level)
            try:
                # The simulator's ground truth rides along in the log, for analysis only.
                request_id = self._score(ticket.text, {"sim_drift_level": level, "sim_post_launch": ticket.post_launch})
            except Exception as error:  # a failing model must not end the traffic; it shows in the metrics
                self.errors += 1
                self.last_error = f"{type(error).__name__}: {error}"
            else:
                self.sent += 1
                if self._labelled.random() < self.label_fraction:
                    self._labels.schedule(request_id, ticket.label)
            next_at = max(next_at + 1.0 / self.rate, time.monotonic() - MAX_BACKLOG_SECONDS)
