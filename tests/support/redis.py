"""The Redis the rate-limit tests share budgets through (the local server, like PostgreSQL's).

``KINERJA_TEST_REDIS_URL`` (default ``redis://127.0.0.1:6379/0``). An unreachable Redis fails the
test that needs it with the reason; it is not skipped (a skipped test proves nothing).
"""

from __future__ import annotations

import os
import uuid

import redis

DEFAULT_URL = "redis://127.0.0.1:6379/0"


def redis_url() -> str:
    url = os.environ.get("KINERJA_TEST_REDIS_URL", DEFAULT_URL)
    try:
        redis.Redis.from_url(url, socket_connect_timeout=2).ping()
    except redis.RedisError as exc:
        raise RuntimeError(f"the tests need a Redis server at {url} (KINERJA_TEST_REDIS_URL): {exc}") from exc
    return url


def unique(prefix: str) -> str:
    """A caller name no earlier run used: its budget in the shared Redis starts full."""
    return f"{prefix}-{uuid.uuid4().hex[:12]}"
