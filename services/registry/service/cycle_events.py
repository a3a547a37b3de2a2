"""The outbox (ADR 0020): every change of the reporting cycle writes its event in its own
transaction, so an event exists exactly when its change was committed; a cursor-paginated feed
reads them in order.

Ordering: on PostgreSQL ids come from a sequence when the row is inserted, not when the
transaction commits, so a slow transaction could commit event 41 after a poller already read
42 and moved its cursor past 41. Writers therefore take a transaction-scoped advisory lock
before they insert an event: transactions that write events commit one after the other, so
ids become visible in order and ``after=<last id seen>`` never skips one. Cycle changes are a
handful per satker and quarter, so the serialisation costs nothing that matters. SQLite has one
writer at a time anyway.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from services.registry.store.cycle_models import OutboxEvent
from services.registry.store.cycle_repository import CycleRepository

#: the advisory lock key of the outbox (any constant; "kinerja outbox" in ASCII, truncated)
OUTBOX_LOCK = 0x6B696E6572_6A61

#: every event type the registry writes (the feed's ``type`` filter accepts these)
EVENT_TYPES = (
    "cycle.calendar_recorded",
    "cycle.note_recorded",
    "cycle.submitted",
    "cycle.returned",
    "cycle.validated",
    "cycle.reopened",
    "cycle.published",
    "cycle.publication_superseded",
)


def subject_of(satker: str, year: int, period: str | None = None) -> str:
    return f"{satker}/{year}" + (f"/{period}" if period else "")


async def record(
    session: AsyncSession,
    *,
    type: str,
    subject: str,
    satker: str | None,
    payload: dict[str, Any],
    now: datetime,
) -> OutboxEvent:
    """Write one event in the caller's transaction (committed or rolled back with the change)."""
    assert type in EVENT_TYPES, type
    if session.get_bind().dialect.name == "postgresql":
        await session.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": OUTBOX_LOCK})
    event = OutboxEvent(type=type, subject=subject, satker_code=satker, payload=payload, created_at=now)
    await CycleRepository(session).add(event)
    return event


def event_json(e: OutboxEvent) -> dict[str, Any]:
    return {
        "id": e.id,
        "type": e.type,
        "subject": e.subject,
        "satker": e.satker_code,
        "payload": e.payload,
        "created_at": e.created_at,
    }


async def feed(session: AsyncSession, *, after: int, limit: int, types: list[str] | None) -> dict[str, Any]:
    rows = await CycleRepository(session).events(after, limit, types)
    return {
        "items": [event_json(e) for e in rows],
        "next_after": rows[-1].id if rows else after,
        "limit": limit,
    }
