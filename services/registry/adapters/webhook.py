"""Sending one webhook: a POST of the stored body, signed with the subscriber's secret.

Headers: ``X-Kinerja-Signature: sha256=<hex HMAC-SHA256 of the body>``, ``X-Kinerja-Event-Id``
(the receiver's idempotency key: a retry, or a resend after a crash between sending and
recording, carries the same id) and ``X-Kinerja-Delivery`` (the delivery row).
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass

import httpx

SIGNATURE_HEADER = "X-Kinerja-Signature"
EVENT_ID_HEADER = "X-Kinerja-Event-Id"


def signature(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class Outcome:
    ok: bool
    status_code: int | None
    error: str | None


async def post(
    client: httpx.AsyncClient, *, url: str, secret: str, body: str, event_key: str, delivery_id: int
) -> Outcome:
    """POST once; a 2xx is delivered, anything else (status, refused connection, timeout) is not."""
    raw = body.encode()
    headers = {
        "Content-Type": "application/json",
        SIGNATURE_HEADER: signature(secret, raw),
        EVENT_ID_HEADER: event_key,
        "X-Kinerja-Delivery": str(delivery_id),
        "User-Agent": "kinerja-webhook/1",
    }
    try:
        r = await client.post(url, content=raw, headers=headers)
    except httpx.HTTPError as e:
        return Outcome(False, None, f"{type(e).__name__}: {e}"[:1000])
    if 200 <= r.status_code < 300:
        return Outcome(True, r.status_code, None)
    return Outcome(False, r.status_code, r.text[:1000] or None)
