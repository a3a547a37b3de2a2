"""Reading documents: one, its revisions, a satker's list (each as far as the caller may read)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from kernel.auth import Action
from services.evidence.service.audit import event, record
from services.evidence.service.context import Actor, Runtime
from services.evidence.service.disclosure import authorize, load_visible
from services.evidence.store import repository as repo
from services.evidence.store.models import Document


async def document(*, rt: Runtime, session: AsyncSession, actor: Actor, document_id: uuid.UUID) -> Document:
    return await load_visible(rt=rt, session=session, principal=actor.principal, document_id=document_id)


async def revisions(*, rt: Runtime, session: AsyncSession, actor: Actor, document_id: uuid.UUID) -> Sequence[Document]:
    """Every revision of the document's lineage, oldest first."""
    doc = await load_visible(rt=rt, session=session, principal=actor.principal, document_id=document_id)
    return await repo.revisions(session, doc.lineage_id)


async def search(
    *,
    rt: Runtime,
    session: AsyncSession,
    actor: Actor,
    satker: str,
    indicator: str | None,
    year: int | None,
    kind: str | None,
    status: str | None,
    current_only: bool,
    limit: int,
    offset: int,
) -> tuple[Sequence[Document], int]:
    """One page of a satker's documents and their total."""
    await authorize(rt, actor.principal, Action.READ, satker)
    return await repo.search(
        session,
        satker=satker,
        indicator=indicator,
        year=year,
        kind=kind,
        status=status,
        current_only=current_only,
        limit=limit,
        offset=offset,
    )


async def record_download(*, rt: Runtime, actor: Actor, doc: Document, byte_range: tuple[int, int] | None) -> None:
    """Log a download (the whole file, or the inclusive ``byte_range``) before its first byte."""
    start, end = byte_range if byte_range else (0, doc.size - 1)
    await record(
        rt,
        event(
            actor,
            "downloaded",
            at=rt.clock(),
            satker=doc.satker,
            doc=doc,
            range=f"{start}-{end}" if byte_range else None,
            bytes=end - start + 1,
        ),
    )
