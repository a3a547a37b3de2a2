"""What the gateway checks before forwarding: the bearer token and the caller's rate.

Both run on every proxied request, so both are cheap: a verified token is remembered (until
it expires, at most five minutes) and a caller's budget is a token bucket in a dict.
"""

from __future__ import annotations

import math
import time
from collections.abc import MutableMapping
from typing import Any

import jwt
import orjson
from starlette.types import Send

from kernel.auth import Principal, TokenVerifier
from kernel.errors import PROBLEM_JSON, ProblemError


class CachedVerifier:
    """A :class:`TokenVerifier` with a bounded memory of tokens it already accepted."""

    def __init__(self, verifier: TokenVerifier, *, max_entries: int = 10_000, max_age: float = 300.0) -> None:
        self.verifier = verifier
        self._cache: dict[str, tuple[Principal, float]] = {}
        self._max_entries = max_entries
        self._max_age = max_age

    def verify(self, token: str) -> Principal:
        now = time.time()
        hit = self._cache.get(token)
        if hit is not None and hit[1] > now:
            return hit[0]
        principal = self.verifier.verify(token)  # raises Unauthorized
        exp = float(jwt.decode(token, options={"verify_signature": False}).get("exp", now))
        if len(self._cache) >= self._max_entries:
            self._cache.clear()
        self._cache[token] = (principal, min(exp, now + self._max_age))
        return principal


class RateLimiter:
    """Token bucket per caller, in memory (one gateway replica's view; see ADR 0006)."""

    def __init__(self, *, rate: float, burst: int, max_callers: int = 100_000) -> None:
        self.rate = rate
        self.burst = float(max(burst, 1))
        self._buckets: dict[str, list[float]] = {}
        self._max_callers = max_callers

    @property
    def enabled(self) -> bool:
        return self.rate > 0

    def take(self, caller: str) -> float:
        """Spend one token; return 0 when allowed, else the seconds until a token is available."""
        now = time.monotonic()
        bucket = self._buckets.get(caller)
        if bucket is None:
            if len(self._buckets) >= self._max_callers:
                self._prune(now)
            self._buckets[caller] = [self.burst - 1.0, now]
            return 0.0
        tokens = min(self.burst, bucket[0] + (now - bucket[1]) * self.rate)
        bucket[1] = now
        if tokens >= 1.0:
            bucket[0] = tokens - 1.0
            return 0.0
        bucket[0] = tokens
        return (1.0 - tokens) / self.rate

    def _prune(self, now: float) -> None:
        full_after = self.burst / self.rate
        self._buckets = {k: b for k, b in self._buckets.items() if now - b[1] < full_after}
        if len(self._buckets) >= self._max_callers:
            self._buckets.clear()


async def send_problem(send: Send, error: ProblemError, instance: str) -> None:
    """Answer a raw ASGI request with ``error`` as problem+json."""
    body = orjson.dumps(error.to_problem(instance))
    headers: list[tuple[bytes, bytes]] = [
        (b"content-type", PROBLEM_JSON.encode()),
        (b"content-length", str(len(body)).encode()),
    ]
    for name, value in (error.headers or {}).items():
        headers.append((name.lower().encode("latin-1"), value.encode("latin-1")))
    await send({"type": "http.response.start", "status": error.status_code, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def retry_after_header(seconds: float) -> dict[str, str]:
    return {"Retry-After": str(max(1, math.ceil(seconds)))}


def client_ip(scope: MutableMapping[str, Any]) -> str:
    client = scope.get("client")
    return str(client[0]) if client else "unknown"
