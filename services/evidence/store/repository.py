"""All SQL of the evidence service."""

from __future__ import annotations

import functools
import uuid
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import col

from services.evidence.adapters.storage import STAGING
from services.evidence.store.models import AuditEvent, Document, DocumentStatus


async def get(session: AsyncSession, document_id: uuid.UUID) -> Document | None:
    return await session.get(Document, document_id)


async def transition(session: AsyncSession, doc: Document, *, expected: str, **values: Any) -> bool:
    """Move ``doc`` from status ``expected`` to ``values`` only if it is still current and in that
    status *in the database*; False when a concurrent request changed it first.

    A conditional UPDATE, not read-check-write: on PostgreSQL the second UPDATE waits for the
    first one's row lock and then finds the status changed; on SQLite the writers are serialised
    by the file lock and the second sees the first's commit. Works the same on both.
    """
    stmt = (
        sa.update(Document)
        .where(col(Document.id) == doc.id, col(Document.status) == expected, col(Document.is_current).is_(True))
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    result = await session.execute(stmt)
    if cast(int, getattr(result, "rowcount", 0)) != 1:
        return False
    for key, value in values.items():  # the row now holds these: no second UPDATE at flush
        set_committed_value(doc, key, value)
    return True


async def current_of_lineage(session: AsyncSession, lineage_id: uuid.UUID) -> Document | None:
    q = sa.select(Document).where(col(Document.lineage_id) == lineage_id, col(Document.is_current).is_(True))
    return (await session.execute(q)).scalar_one_or_none()


async def revisions(session: AsyncSession, lineage_id: uuid.UUID) -> Sequence[Document]:
    q = sa.select(Document).where(col(Document.lineage_id) == lineage_id).order_by(col(Document.revision))
    return (await session.execute(q)).scalars().all()


async def by_sha256(session: AsyncSession, sha256: str) -> Document | None:
    return (await session.execute(sa.select(Document).where(col(Document.sha256) == sha256))).scalar_one_or_none()


async def by_number(session: AsyncSession, satker: str, kind: str, number: str, issuer: str) -> Document | None:
    q = sa.select(Document).where(
        col(Document.satker) == satker,
        col(Document.kind) == kind,
        col(Document.number) == number,
        col(Document.issuer) == issuer,
        col(Document.is_current).is_(True),
    )
    return (await session.execute(q)).scalar_one_or_none()


async def search(
    session: AsyncSession,
    *,
    satker: str,
    indicator: str | None = None,
    year: int | None = None,
    kind: str | None = None,
    status: str | None = None,
    date_from: date | None = None,
    date_to: date | None = None,
    current_only: bool = True,
    limit: int = 100,
    offset: int = 0,
) -> tuple[Sequence[Document], int]:
    conds: list[sa.ColumnElement[bool]] = [col(Document.satker) == satker]
    if current_only:
        conds.append(col(Document.is_current).is_(True))
    if indicator is not None:
        conds.append(col(Document.indicator) == indicator)
    if year is not None:
        conds.append(col(Document.year) == year)
    if kind is not None:
        conds.append(col(Document.kind) == kind)
    if status is not None:
        conds.append(col(Document.status) == status)
    if date_from is not None:
        conds.append(col(Document.document_date) >= date_from)
    if date_to is not None:
        conds.append(col(Document.document_date) <= date_to)
    total = (await session.execute(sa.select(sa.func.count()).select_from(Document).where(*conds))).scalar_one()
    q = (
        sa.select(Document)
        .where(*conds)
        .order_by(col(Document.document_date), col(Document.kind), col(Document.number))
        .limit(limit)
        .offset(offset)
    )
    return (await session.execute(q)).scalars().all(), int(total)


@functools.cache
def _verified_roots_statement(with_as_of: bool) -> sa.Select[Document]:
    """Built once per shape (with or without ``as_of``): the scores of every satker ask for its
    aggregates, and building this statement (column operators, coercions, cache key of a fresh
    tree) cost more Python time than running it. Everything else is a bind parameter; the
    IKU codes and kinds are *expanding* parameters (``IN (...)`` with as many values as given)."""
    conds: list[sa.ColumnElement[bool]] = [
        col(Document.satker) == sa.bindparam("satker"),
        col(Document.indicator).in_(sa.bindparam("codes", expanding=True)),
        col(Document.year) == sa.bindparam("year"),
        col(Document.kind).in_(sa.bindparam("kinds", expanding=True)),
        col(Document.document_date).between(sa.bindparam("date_from"), sa.bindparam("date_to")),
        col(Document.is_current).is_(True),
        col(Document.status) == DocumentStatus.VERIFIED,
    ]
    if with_as_of:  # as _verified(as_of)
        conds.append(col(Document.reviewed_at) <= sa.bindparam("as_of"))
    return sa.select(Document).where(*conds).order_by(col(Document.document_date), col(Document.number))


async def verified_roots(
    session: AsyncSession,
    *,
    satker: str,
    indicator: str | Sequence[str],
    year: int,
    kinds: Iterable[str],
    date_from: date,
    date_to: date,
    as_of: datetime | None,
) -> Sequence[Document]:
    """Verified current roots tagged ``indicator`` (one code, or any of several: one query)."""
    codes = [indicator] if isinstance(indicator, str) else list(indicator)
    params: dict[str, object] = {
        "satker": satker,
        "codes": codes,
        "year": year,
        "kinds": list(kinds),
        "date_from": date_from,
        "date_to": date_to,
    }
    if as_of is not None:
        params["as_of"] = as_of
    stmt = _verified_roots_statement(as_of is not None)
    return (await session.execute(stmt, params)).scalars().all()


async def verified_children(
    session: AsyncSession, satker: str, parent_lineages: Iterable[uuid.UUID], as_of: datetime | None
) -> Sequence[Document]:
    ids = list(parent_lineages)
    if not ids:
        return []
    q = sa.select(Document).where(
        col(Document.satker) == satker, col(Document.parent_lineage_id).in_(ids), *_verified(as_of)
    )
    return (await session.execute(q)).scalars().all()


def _verified(as_of: datetime | None) -> list[sa.ColumnElement[bool]]:
    conds: list[sa.ColumnElement[bool]] = [
        col(Document.is_current).is_(True),
        col(Document.status) == DocumentStatus.VERIFIED,
    ]
    if as_of is not None:
        conds.append(col(Document.reviewed_at) <= as_of)
    return conds


async def unpromoted(session: AsyncSession) -> Sequence[Document]:
    return (
        (await session.execute(sa.select(Document).where(col(Document.storage_key).startswith(STAGING))))
        .scalars()
        .all()
    )


async def storage_keys(session: AsyncSession, keys: Iterable[str]) -> set[str]:
    ks = list(keys)
    if not ks:
        return set()
    q = sa.select(col(Document.storage_key)).where(col(Document.storage_key).in_(ks))
    return set((await session.execute(q)).scalars().all())


async def add_event(session: AsyncSession, event: AuditEvent) -> None:
    session.add(event)


async def events_of(session: AsyncSession, document_ids: Iterable[uuid.UUID]) -> Sequence[AuditEvent]:
    ids = list(document_ids)
    if not ids:
        return []
    q = sa.select(AuditEvent).where(col(AuditEvent.document_id).in_(ids)).order_by(col(AuditEvent.id))
    return (await session.execute(q)).scalars().all()


async def events(
    session: AsyncSession, *, satker: str | None = None, action: str | None = None, limit: int = 100, offset: int = 0
) -> tuple[Sequence[AuditEvent], int]:
    conds: list[sa.ColumnElement[bool]] = []
    if satker is not None:
        conds.append(col(AuditEvent.satker) == satker)
    if action is not None:
        conds.append(col(AuditEvent.action) == action)
    total = (await session.execute(sa.select(sa.func.count()).select_from(AuditEvent).where(*conds))).scalar_one()
    q = sa.select(AuditEvent).where(*conds).order_by(col(AuditEvent.id)).limit(limit).offset(offset)
    return (await session.execute(q)).scalars().all(), int(total)
