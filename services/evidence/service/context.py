"""What every use case of the evidence service runs with: the runtime (database, storage,
scanner, peer clients, clock) and the acting caller."""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from kernel.auth import Principal
from kernel.client import Peers
from kernel.db import Database
from services.evidence.adapters.scanner import Scanner
from services.evidence.adapters.storage import Storage
from services.evidence.settings import EvidenceSettings


def utc_now() -> datetime:
    return datetime.now(UTC)


class SatkerPaths:
    """Satker code → its path root..satker as the registry last answered, kept ``ttl`` seconds
    (monotonic clock), at most ``size`` codes (the oldest read first out). ADR 0014.

    A path is not the caller's right: it is the same for every caller, and each request still
    checks its own principal against it (:func:`services.evidence.service.disclosure.authorize`),
    so the cache only saves the registry hop. Only successful answers are kept: an unknown satker
    is asked again every time. What it can get wrong: a satker re-parented (or removed) in the
    registry is seen at its old place for at most ``ttl`` seconds, which is why only READ checks
    use it."""

    def __init__(self, ttl: float, size: int = 4096, clock: Callable[[], float] = time.monotonic) -> None:
        self.ttl, self.size, self._clock = ttl, size, clock
        self._paths: OrderedDict[str, tuple[float, list[str]]] = OrderedDict()

    def get(self, code: str) -> list[str] | None:
        hit = self._paths.get(code)
        if hit is None:
            return None
        if self._clock() - hit[0] >= self.ttl:
            del self._paths[code]
            return None
        return list(hit[1])

    def put(self, code: str, path: list[str]) -> None:
        if self.ttl <= 0:
            return
        self._paths.pop(code, None)
        self._paths[code] = (self._clock(), list(path))
        while len(self._paths) > self.size:
            self._paths.popitem(last=False)


@dataclass
class Runtime:
    """What the service needs at run time (on ``app.state.evidence``). ``clock`` stamps every
    upload, review and audit event."""

    settings: EvidenceSettings
    db: Database
    storage: Storage
    scanner: Scanner
    peers: Peers
    spool_dir: Path
    quarantine_dir: Path
    clock: Callable[[], datetime] = field(default=utc_now)
    satker_paths: SatkerPaths = field(default_factory=lambda: SatkerPaths(ttl=0))


@dataclass(frozen=True)
class Actor:
    principal: Principal
    client_ip: str | None = None
    user_agent: str | None = None
    request_id: str | None = None
    via: tuple[str, ...] = ()  # trusted proxies the request passed, nearest first
