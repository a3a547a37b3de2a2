"""Per-caller rate limits, kept where every gateway replica sees the same budget (ADR 0006).

The counting is the ``limits`` library's sliding-window counter. Its storage is
``KINERJA_GATEWAY_RATE_LIMIT_STORAGE``: ``memory://`` for one process (the embedded mode, a
developer's run) or ``redis://host:6379/0`` when several gateway replicas run (the Kubernetes
manifests run 2-10: with a budget per replica a caller would get N times its budget).

The two settings keep their meaning: ``RATE_LIMIT_BURST`` requests may come at once, and over
time a caller gets ``RATE_LIMIT_PER_SECOND``. They become one window of ``burst / rate`` seconds
(at least one) holding ``rate x window`` requests (at least ``burst``).

A storage that cannot be reached is not passed over (that would switch the limits off without
anybody noticing): the request is answered 503 and the gateway's ``/readyz`` says why.
"""

from __future__ import annotations

import logging
import math
import time
from typing import Any

from limits import RateLimitItem, RateLimitItemPerSecond
from limits.aio.storage import MemoryStorage, RedisStorage, Storage
from limits.aio.strategies import SlidingWindowCounterRateLimiter
from redis.asyncio import ConnectionPool

from kernel.errors import ServiceUnavailable

log = logging.getLogger("kinerja.gateway")

#: prefix of every key in the shared storage (the same Redis may serve other applications)
KEY_PREFIX = "kinerja-gateway"


def budget(rate: float, burst: int) -> RateLimitItem:
    """The window that gives ``burst`` at once and ``rate`` per second over time."""
    window = max(1, round(max(burst, 1) / rate))
    amount = max(max(burst, 1), math.ceil(rate * window))
    return RateLimitItemPerSecond(amount, window, namespace=KEY_PREFIX)


def open_storage(url: str) -> tuple[Storage, ConnectionPool | None]:
    """``memory://`` or ``redis://`` / ``rediss://`` as async storage, and the Redis pool it uses.

    The pool is ours (not limits'), so that the gateway's shutdown closes its connections.
    """
    if url.startswith("memory://"):
        return MemoryStorage(), None
    scheme, sep, _ = url.partition("://")
    if not sep or scheme not in ("redis", "rediss"):
        raise ValueError(f"KINERJA_GATEWAY_RATE_LIMIT_STORAGE: expected memory:// or redis://..., got {scheme!r}")
    pool = ConnectionPool.from_url(url, socket_connect_timeout=2.0, socket_timeout=2.0)
    # redis-py's asyncio client (limits' default for async Redis is coredis, a second client library)
    options: dict[str, Any] = {"connection_pool": pool}  # passed on to redis.asyncio.Redis
    return RedisStorage(f"async+{url}", implementation="redispy", **options), pool


class RateLimiter:
    """Spend one request of a caller's budget; say how long to wait when it is spent."""

    def __init__(self, *, rate: float, burst: int, storage_url: str = "memory://") -> None:
        self.rate = rate
        self.enabled = rate > 0
        self.storage_url = storage_url
        self.item = budget(rate, burst) if self.enabled else RateLimitItemPerSecond(1)
        self.storage, self._pool = open_storage(storage_url)
        self._limiter = SlidingWindowCounterRateLimiter(self.storage)

    async def take(self, caller: str) -> float:
        """0 when allowed, else the seconds until the caller may send again.

        Raises :class:`ServiceUnavailable` when the shared storage does not answer.
        """
        try:
            if await self._limiter.hit(self.item, caller):
                return 0.0
            stats = await self._limiter.get_window_stats(self.item, caller)
        except Exception as exc:  # the storage's client errors (redis, connection) are not one type
            log.error("rate limit storage %s failed: %r", self.storage_url, exc)
            raise ServiceUnavailable("the rate limiter's storage is unreachable") from exc
        return max(stats.reset_time - time.time(), 1.0 / max(self.rate, 1e-9), 0.0)

    async def ready(self) -> tuple[bool, str]:
        try:
            ok = await self.storage.check()
        except Exception as exc:  # same as take(): report, never pretend
            return False, f"unreachable: {type(exc).__name__}"
        return bool(ok), "ready" if ok else "unreachable"

    async def aclose(self) -> None:
        if self._pool is not None:
            await self._pool.disconnect()

    async def reset(self) -> None:
        """Forget every budget (tests and benchmarks start from full budgets)."""
        await self.storage.reset()
