"""Verification of ctpilot's signed deploy hook.

Header ``X-Ctpilot-Signature: t=<unix seconds>,v1=<hex>``, where ``<hex>`` is
HMAC-SHA256 with the shared secret over the bytes ``"<t>." + raw body``.
Signing the timestamp with the body lets the receiver refuse a replay of an
old request; more than one ``v1=`` may be sent while a secret is rotated, and
one match is enough. The README of the example states the same scheme for
senders.
"""

from __future__ import annotations

import hashlib
import hmac
import time

HEADER = "X-Ctpilot-Signature"
TOLERANCE_SECONDS = 300


class SignatureError(Exception):
    """The request is not from a holder of the secret, or is too old; the message says which check failed."""


def sign(secret: str, body: bytes, timestamp: int) -> str:
    digest = hmac.new(secret.encode("utf-8"), f"{timestamp}.".encode("ascii") + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def verify(secret: str, header: str | None, body: bytes, *, now: float | None = None) -> int:
    """Returns the signed timestamp, or raises SignatureError."""
    if not header:
        raise SignatureError(f"missing {HEADER} header (t=<unix seconds>,v1=<hex HMAC-SHA256 of '<t>.<body>'>)")
    timestamp: int | None = None
    candidates: list[str] = []
    for part in header.split(","):
        key, _, value = part.strip().partition("=")
        if key == "t":
            try:
                timestamp = int(value)
            except ValueError:
                raise SignatureError(f"{HEADER}: t must be unix seconds, got {value!r}") from None
        elif key == "v1":
            candidates.append(value.strip().lower())
    if timestamp is None or not candidates:
        raise SignatureError(f"{HEADER} must carry t=<unix seconds> and at least one v1=<hex>")
    current = time.time() if now is None else now
    if abs(current - timestamp) > TOLERANCE_SECONDS:
        raise SignatureError(
            f"{HEADER} timestamp {timestamp} is {int(current - timestamp)} s from this server's clock "
            f"(tolerance {TOLERANCE_SECONDS} s): sign each request when sending it"
        )
    expected = sign(secret, body, timestamp).split("v1=", 1)[1]
    if not any(hmac.compare_digest(expected, candidate) for candidate in candidates):
        raise SignatureError(f"{HEADER} does not match the body: wrong secret, or the body changed after signing")
    return timestamp
