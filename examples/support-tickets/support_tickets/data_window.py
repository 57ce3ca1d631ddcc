"""The training data window: labelled requests from the simulator's logs.

A request is a training row once its label has arrived: the two logs are
joined on the request id. The window is chosen by request time (``since``,
``until``) and capped to the most recent ``max_rows``.
"""

from __future__ import annotations

import re
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timezone

from .storage import LABELS, REQUESTS, as_prefix, list_keys, parse_s3_uri, read_json_lines, s3_client, stamp_of_key

_DURATION = re.compile(r"^(\d+(?:\.\d+)?)\s*(s|m|h|d)$")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
# The simulator writes many small objects: fetch several at once.
PARALLEL_READS = 8


class EmptyDataWindowError(Exception):
    """No (or too few) labelled requests in the window; the message says what was found and what to check."""


def parse_time(value: str, *, now: float | None = None) -> float | None:
    """A window bound: '' (open), unix seconds, ISO 8601, or a duration before now ('30m', '7d')."""
    value = value.strip()
    if value == "":
        return None
    if match := _DURATION.match(value):
        return (now if now is not None else time.time()) - float(match.group(1)) * _UNIT_SECONDS[match.group(2)]
    try:
        return float(value)
    except ValueError:
        pass
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(
            f"cannot read {value!r} as a time: use unix seconds, ISO 8601 (2025-01-02T03:04:05Z) "
            "or a duration before now such as 30m, 6h, 7d"
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.timestamp()


@dataclass
class DataWindow:
    texts: list[str]
    labels: list[str]
    request_times: list[float]
    requests_in_range: int
    """Requests logged in the time range, labelled or not."""
    labels_read: int
    """Label records read under the prefix (any time)."""


def load_labelled_window(
    uri: str, *, since: float | None = None, until: float | None = None, max_rows: int = 0, client=None
) -> DataWindow:
    bucket, key = parse_s3_uri(uri)
    prefix = as_prefix(key)
    client = client or s3_client()

    label_keys = list(list_keys(client, bucket, prefix + LABELS))
    request_keys = [
        k
        for k in list_keys(client, bucket, prefix + REQUESTS)
        # A batch that starts at or after the window's end holds nothing for it.
        if until is None or (first := stamp_of_key(k)) is None or first < until
    ]
    with ThreadPoolExecutor(PARALLEL_READS) as pool:
        label_batches = list(pool.map(lambda k: list(read_json_lines(client, bucket, k)), label_keys))
        request_batches = list(pool.map(lambda k: list(read_json_lines(client, bucket, k)), request_keys))

    labels: dict[str, str] = {}
    labels_read = 0
    for batch in label_batches:  # in key order, so a later label for the same id wins
        for record in batch:
            labels_read += 1
            labels[str(record["id"])] = str(record["label"])

    rows: list[tuple[float, str, str]] = []
    in_range = 0
    for batch in request_batches:
        for record in batch:
            ts = float(record["ts_unix"])
            if (since is not None and ts < since) or (until is not None and ts >= until):
                continue
            in_range += 1
            label = labels.get(str(record["id"]))
            if label is not None:
                rows.append((ts, str(record["inputs"]["text"]), label))

    rows.sort(key=lambda row: row[0])
    if max_rows > 0:
        rows = rows[-max_rows:]
    return DataWindow(
        texts=[r[1] for r in rows],
        labels=[r[2] for r in rows],
        request_times=[r[0] for r in rows],
        requests_in_range=in_range,
        labels_read=labels_read,
    )


def describe_range(since: float | None, until: float | None) -> str:
    def show(ts: float | None) -> str:
        return "…" if ts is None else datetime.fromtimestamp(ts, tz=timezone.utc).isoformat(timespec="seconds")

    return f"[{show(since)}, {show(until)})"
