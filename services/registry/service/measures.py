"""Measures: named parts per IKU and period, temporal rows, closed periods, optimistic concurrency.

ETag of a period's measure = hash of the ids of its rows current at the instant read. Every change
inserts new rows (new ids) and supersedes old ones, so any change yields a new ETag, and an
unchanged period keeps its ETag (ADR 0003). Writers of one agreement are serialised by a row lock
on the agreement, so the If-Match comparison and the write are atomic.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Literal

from sqlalchemy.ext.asyncio import AsyncSession

from kernel.errors import Conflict, FieldError, PreconditionFailed, Unprocessable
from services.registry.schemas import MeasureOut, MeasureRow, MeasuresOut
from services.registry.service.periods import locked_by, period_order
from services.registry.store.models import Agreement, Indicator, Measure
from services.registry.store.repositories import AgreementRepository, MeasureRepository


def etag_of(rows: Sequence[Measure]) -> str:
    ids = ",".join(str(r.id) for r in sorted(rows, key=lambda r: r.id))
    return '"m-' + hashlib.sha256(ids.encode()).hexdigest()[:20] + '"'


def _matches(if_match: str, etag: str, exists: bool) -> bool:
    candidates = [c.strip() for c in if_match.split(",")]
    if "*" in candidates:
        return exists
    return any(c.removeprefix("W/") == etag for c in candidates)


def _out(indicator: Indicator, period: str, rows: Sequence[Measure], as_of: datetime) -> MeasureOut:
    last = max(rows, key=lambda r: r.recorded_at, default=None)
    return MeasureOut(
        indicator=indicator.code,
        period=period,
        parts={r.part: r.value for r in rows},
        recorded_at=last.recorded_at if last else None,
        recorded_by=last.recorded_by if last else None,
        as_of=as_of,
    )


async def read(*, session: AsyncSession, indicator: Indicator, period: str, as_of: datetime) -> tuple[MeasureOut, str]:
    rows = await MeasureRepository(session).at([indicator.id], as_of, period)
    return _out(indicator, period, rows, as_of), etag_of(rows)


async def read_all(*, session: AsyncSession, indicator: Indicator, as_of: datetime) -> MeasuresOut:
    out: dict[str, dict[str, Decimal]] = {}
    for r in await MeasureRepository(session).at([indicator.id], as_of):
        out.setdefault(r.period, {})[r.part] = r.value
    return MeasuresOut(
        indicator=indicator.code, as_of=as_of, measures=dict(sorted(out.items(), key=lambda kv: period_order(kv[0])))
    )


async def history(*, session: AsyncSession, indicator: Indicator, period: str | None) -> list[MeasureRow]:
    return [
        MeasureRow(
            period=r.period,
            part=r.part,
            value=r.value,
            recorded_at=r.recorded_at,
            recorded_by=r.recorded_by,
            superseded_at=r.superseded_at,
        )
        for r in await MeasureRepository(session).history(indicator.id, period)
    ]


def _check_values(parts: dict[str, Decimal | None], *, allow_null: bool) -> None:
    errors = []
    for name, value in parts.items():
        if value is None:
            if not allow_null:
                errors.append(
                    FieldError(field=f"parts.{name}", reason="null is only allowed in PATCH (removes the part)")
                )
        elif not value.is_finite():
            errors.append(FieldError(field=f"parts.{name}", reason="must be a finite number"))
    if errors:
        raise Unprocessable(errors[0].reason, errors=errors)


async def write(
    *,
    session: AsyncSession,
    agreement: Agreement,
    indicator: Indicator,
    period: str,
    parts: dict[str, Decimal | None],
    mode: Literal["put", "patch"],
    if_match: str,
    actor: str,
    clock: Callable[[], datetime],
) -> tuple[MeasureOut, str]:
    """Replace (PUT) or merge (PATCH) the parts of one period; refuses closed periods and stale ETags.

    ``clock`` is read only once the lock is held: a "now" taken before could lie before the
    ``recorded_at`` of the writer that held the lock, and reading the current rows at that
    instant would not see its rows, so a stale If-Match matched and both writes were stored.
    """
    _check_values(parts, allow_null=mode == "patch")
    agreements = AgreementRepository(session)
    await agreements.lock(agreement.id)
    now = clock()
    closed = {c.period for c in await agreements.closures([agreement.id], now)}
    lock = locked_by(period, closed)
    if lock is not None:
        raise Conflict(f"period {period} is closed (closed period {lock}); an admin must reopen it", field="period")
    repo = MeasureRepository(session)
    current = await repo.at([indicator.id], now, period)
    etag = etag_of(current)
    if not _matches(if_match, etag, bool(current)):
        raise PreconditionFailed(
            f"the measure changed since it was read (current ETag {etag})", field="If-Match", headers={"ETag": etag}
        )
    by_part = {r.part: r for r in current}
    wanted: dict[str, Decimal] = (
        {k: v for k, v in parts.items() if v is not None}
        if mode == "put"
        else {**{k: r.value for k, r in by_part.items()}, **{k: v for k, v in parts.items() if v is not None}}
    )
    if mode == "patch":
        for k, v in parts.items():
            if v is None:
                wanted.pop(k, None)
    stale = [r for k, r in by_part.items() if k not in wanted or r.value != wanted[k]]
    fresh = [k for k, v in wanted.items() if k not in by_part or by_part[k].value != v]
    if stale or fresh:
        await repo.supersede([r.id for r in stale], now)
        new_rows = [
            Measure(
                indicator_id=indicator.id, period=period, part=k, value=wanted[k], recorded_at=now, recorded_by=actor
            )
            for k in fresh
        ]
        await repo.add(new_rows)
        current = [r for r in current if r not in stale] + new_rows
    return _out(indicator, period, current, now), etag_of(current)


async def bulk_insert(
    *,
    session: AsyncSession,
    rows: Sequence[tuple[Indicator, str, str, Decimal]],
    actor: str,
    now: datetime,
    recorded_at: Mapping[str, datetime] | None = None,
) -> int:
    """Measures of an imported (brand new) agreement: no history to supersede, no closures yet.
    ``recorded_at``: period → when its measures were really reported (checked by the import)."""
    when = recorded_at or {}
    await MeasureRepository(session).add(
        [
            Measure(indicator_id=i.id, period=p, part=part, value=v, recorded_at=when.get(p, now), recorded_by=actor)
            for i, p, part, v in rows
        ]
    )
    return len(rows)
