"""What every use case of the evidence service runs with: the runtime (database, storage,
scanner, peer clients, clock) and the acting caller."""

from __future__ import annotations

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


@dataclass(frozen=True)
class Actor:
    principal: Principal
    client_ip: str | None = None
    user_agent: str | None = None
    request_id: str | None = None
    via: tuple[str, ...] = ()  # trusted proxies the request passed, nearest first
