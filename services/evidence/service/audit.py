"""The audit log: events written by every use case, and the trails callers read."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from kernel.auth import Action
from services.evidence.service.context import Actor, Runtime
from services.evidence.service.disclosure import authorize, load_visible
from services.evidence.store import repository as repo
from services.evidence.store.models import AuditEvent, Document


def event(
    actor: Actor, action: str, *, at: datetime, satker: str | None, doc: Document | None = None, **detail: Any
) -> AuditEvent:
    if actor.via:
        detail.setdefault("via", list(actor.via))
    return AuditEvent(
        at=at,
        action=action,
        actor=actor.principal.subject,
        actor_role=actor.principal.role.value,
        actor_satker=actor.principal.satker,
        satker=satker,
        document_id=doc.id if doc else None,
        sha256=doc.sha256 if doc else detail.pop("sha256", None),
        client_ip=actor.client_ip,
        user_agent=(actor.user_agent or "")[:255] or None,
        request_id=actor.request_id,
        detail=detail,
    )


async def record(rt: Runtime, ev: AuditEvent) -> None:
    """Write one audit event in its own transaction (survives the request's rollback)."""
    async with rt.db.sessions.begin() as s:
        await repo.add_event(s, ev)


async def document_trail(
    *, rt: Runtime, session: AsyncSession, actor: Actor, document_id: uuid.UUID
) -> Sequence[AuditEvent]:
    """The events of every revision of a document the caller may read, oldest first."""
    doc = await load_visible(rt=rt, session=session, principal=actor.principal, document_id=document_id)
    revs = await repo.revisions(session, doc.lineage_id)
    return await repo.events_of(session, [r.id for r in revs])


async def satker_trail(
    *, rt: Runtime, session: AsyncSession, actor: Actor, satker: str, action: str | None, limit: int, offset: int
) -> tuple[Sequence[AuditEvent], int]:
    """One page of a satker's events (optionally of one action) and their total."""
    await authorize(rt, actor.principal, Action.READ, satker)
    return await repo.events(session, satker=satker, action=action, limit=limit, offset=offset)
