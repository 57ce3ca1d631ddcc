"""S3 access (boto3) and the layout of the simulator's logs.

Configured like the rest of ctpilot: ``S3_ENDPOINT`` for an S3-compatible
server (path-style addressing unless ``S3_FORCE_PATH_STYLE=false``),
credentials from the usual AWS variables, ``AWS_REGION``.

Layout under a log prefix such as ``s3://ctpilot/examples/support-tickets/demo/``::

    requests/<stamp>-<instance>-<seq>.jsonl   one line per scored request
    labels/<stamp>-<instance>-<seq>.jsonl     one line per label that arrived

``<stamp>`` is the UTC time of the batch's first record (``20250102T030405.678Z``),
so keys sort by time and a reader can skip batches that start after the end
of its window. Every record in a batch is at or after its key's stamp.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Iterator
from datetime import datetime, timezone

REQUESTS = "requests/"
LABELS = "labels/"


class StorageError(Exception):
    """S3 is unreachable, a bucket is missing, or a URI is malformed; the message says which."""


def s3_client():
    import boto3
    from botocore.config import Config

    endpoint = os.environ.get("S3_ENDPOINT") or None
    path_style = os.environ.get("S3_FORCE_PATH_STYLE", "true").strip().lower() not in ("0", "false", "no", "off")
    return boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name=os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1",
        config=Config(
            s3={"addressing_style": "path" if endpoint and path_style else "auto"},
            retries={"max_attempts": 3, "mode": "standard"},
            connect_timeout=5,
            read_timeout=30,
        ),
    )


def parse_s3_uri(uri: str) -> tuple[str, str]:
    """``s3://bucket/some/prefix`` → (bucket, "some/prefix")."""
    if not uri.startswith("s3://") or len(uri) <= 5:
        raise StorageError(f"expected an S3 URI such as s3://ctpilot/examples/support-tickets/, got {uri!r}")
    bucket, _, key = uri[5:].partition("/")
    if not bucket:
        raise StorageError(f"the S3 URI {uri!r} names no bucket")
    return bucket, key


def as_prefix(key: str) -> str:
    """A key prefix that ends with a slash (or is empty: the whole bucket)."""
    return key if key == "" or key.endswith("/") else key + "/"


def stamp(ts: float) -> str:
    moment = datetime.fromtimestamp(ts, tz=timezone.utc)
    return moment.strftime("%Y%m%dT%H%M%S.") + f"{moment.microsecond // 1000:03d}Z"


def stamp_of_key(key: str) -> float | None:
    """The batch start encoded in a log object's name, or None for a foreign object."""
    name = key.rsplit("/", 1)[-1]
    try:
        moment = datetime.strptime(name[:19], "%Y%m%dT%H%M%S.%f")
    except ValueError:
        return None
    return moment.replace(tzinfo=timezone.utc).timestamp()


def iso(ts: float) -> str:
    """RFC 3339 UTC with milliseconds, the timestamp format of every log record."""
    moment = datetime.fromtimestamp(ts, tz=timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def batch_key(prefix: str, kind: str, first_ts: float, instance: str, seq: int) -> str:
    return f"{as_prefix(prefix)}{kind}{stamp(first_ts)}-{instance}-{seq:06d}.jsonl"


def check_bucket(client, bucket: str) -> None:
    try:
        client.head_bucket(Bucket=bucket)
    except Exception as error:  # botocore raises several types for the same situations
        endpoint = os.environ.get("S3_ENDPOINT") or "AWS S3"
        raise StorageError(
            f"cannot use bucket {bucket!r} at {endpoint}: {error}. Start the stack's S3 server "
            "(`npm run stack -- start s3`), set S3_ENDPOINT and AWS credentials, or choose another bucket."
        ) from error


def list_keys(client, bucket: str, prefix: str) -> Iterator[str]:
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        for item in page.get("Contents", []):
            yield item["Key"]


def read_json_lines(client, bucket: str, key: str) -> Iterator[dict]:
    body = client.get_object(Bucket=bucket, Key=key)["Body"].read().decode("utf-8")
    for number, line in enumerate(body.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            yield json.loads(line)
        except json.JSONDecodeError as error:
            raise StorageError(f"s3://{bucket}/{key} line {number} is not JSON: {error}") from error


def put_json_lines(client, bucket: str, key: str, records: Iterable[dict]) -> None:
    body = "".join(json.dumps(r, ensure_ascii=False, separators=(",", ":")) + "\n" for r in records)
    client.put_object(Bucket=bucket, Key=key, Body=body.encode("utf-8"), ContentType="application/x-ndjson")
