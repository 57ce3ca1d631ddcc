"""Counters, gauges and histograms in the Prometheus text format (0.0.4).

A few dozen lines instead of a client library: the simulator needs labelled
counters, gauges and one histogram, and the format is simple and stable.
Every family is registered once with its label names; samples are keyed by
label values. One lock guards all of it: updates are tiny.
"""

from __future__ import annotations

import math
import threading


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def _number(value: float) -> str:
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    return repr(float(value)) if not float(value).is_integer() else str(int(value))


def _labels(names: tuple[str, ...], values: tuple[str, ...], extra: str = "") -> str:
    pairs = [f'{n}="{_escape(v)}"' for n, v in zip(names, values)]
    if extra:
        pairs.append(extra)
    return "{" + ",".join(pairs) + "}" if pairs else ""


class _Family:
    kind = ""

    def __init__(self, registry: Registry, name: str, help_text: str, labels: tuple[str, ...]) -> None:
        self.name, self.help, self.label_names = name, help_text, labels
        self._lock = registry.lock
        registry.families.append(self)

    def _key(self, labels: dict[str, str]) -> tuple[str, ...]:
        if set(labels) != set(self.label_names):
            raise ValueError(f"{self.name} takes labels {self.label_names}, got {sorted(labels)}")
        return tuple(str(labels[n]) for n in self.label_names)


class Counter(_Family):
    kind = "counter"

    def __init__(self, registry, name, help_text, labels=()):
        super().__init__(registry, name, help_text, tuple(labels))
        self._values: dict[tuple[str, ...], float] = {} if labels else {(): 0.0}

    def inc(self, amount: float = 1.0, **labels: str) -> None:
        key = self._key(labels)
        with self._lock:
            self._values[key] = self._values.get(key, 0.0) + amount

    def touch(self, **labels: str) -> None:
        """Creates the series at 0, so rate() and increase() see its first increments."""
        key = self._key(labels)
        with self._lock:
            self._values.setdefault(key, 0.0)

    def samples(self):
        return [(self.name, key, "", value) for key, value in self._values.items()]


class Gauge(_Family):
    kind = "gauge"

    def __init__(self, registry, name, help_text, labels=()):
        super().__init__(registry, name, help_text, tuple(labels))
        self._values: dict[tuple[str, ...], float] = {} if labels else {(): 0.0}

    def set(self, value: float, **labels: str) -> None:
        key = self._key(labels)
        with self._lock:
            self._values[key] = float(value)

    def clear(self) -> None:
        with self._lock:
            self._values.clear()

    def samples(self):
        return [(self.name, key, "", value) for key, value in self._values.items()]


class Histogram(_Family):
    kind = "histogram"

    def __init__(self, registry, name, help_text, labels=(), buckets=()):
        super().__init__(registry, name, help_text, tuple(labels))
        self.buckets = tuple(sorted(buckets))
        self._values: dict[tuple[str, ...], list[float]] = {}  # per key: bucket counts..., sum, count

    def observe(self, value: float, **labels: str) -> None:
        key = self._key(labels)
        with self._lock:
            row = self._values.setdefault(key, [0.0] * (len(self.buckets) + 2))
            for i, bound in enumerate(self.buckets):
                if value <= bound:
                    row[i] += 1
            row[-2] += value
            row[-1] += 1

    def samples(self):
        out = []
        for key, row in self._values.items():
            for bound, count in zip(self.buckets, row):
                out.append((f"{self.name}_bucket", key, f'le="{_number(bound)}"', count))
            out.append((f"{self.name}_bucket", key, 'le="+Inf"', row[-1]))
            out.append((f"{self.name}_sum", key, "", row[-2]))
            out.append((f"{self.name}_count", key, "", row[-1]))
        return out


class Registry:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.families: list[_Family] = []

    def render(self) -> str:
        lines: list[str] = []
        with self.lock:
            for family in self.families:
                lines.append(f"# HELP {family.name} {family.help}")
                lines.append(f"# TYPE {family.name} {family.kind}")
                for name, key, extra, value in family.samples():
                    lines.append(f"{name}{_labels(family.label_names, key, extra)} {_number(value)}")
        return "\n".join(lines) + "\n"
