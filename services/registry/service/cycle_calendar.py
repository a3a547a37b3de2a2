"""The reporting calendar (ADR 0020): versioned documents per year and satker level.

A document (``kinerja.cycle-calendar/v1``) gives, for every quarter, six dates: ``window_opens``
(a report may be submitted from then), ``realisations_due`` and ``evidence_due`` (the report's
deadline: what timeliness is measured against), ``review_due`` (K3's review of the agreement and
its quality), ``validation_due`` and ``publication_due`` (SKEP NKO), plus ``utc_offset``: a
deadline ends at 23:59:59 of its day in that offset. ``sources`` says per date what comes from
the seed and what is assumed. Migration 0009 ships the preset; an admin records new preset
versions, a Kanwil manager the Kanwil's own dates for the satker under it (``owner``).

The calendar in force for a satker is the newest version of the nearest owner on its path (its
Kanwil's own dates), else the newest preset version, for the satker's level.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date, datetime, time, timedelta, timezone
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from kernel.errors import FieldError, Unprocessable
from services.registry.service import cycle_events as events
from services.registry.store.cycle_models import PRESET, CycleCalendar
from services.registry.store.cycle_repository import CycleRepository
from services.registry.store.models import Satker

QUARTERS = ("Q1", "Q2", "Q3", "Q4")
DATES = ("window_opens", "realisations_due", "evidence_due", "review_due", "validation_due", "publication_due")
#: the dates that must not come before the previous one (window → realisations → review → validation → SKEP)
ORDER = ("window_opens", "realisations_due", "review_due", "validation_due", "publication_due")
LEVELS = ("kanwil", "kppbc")
#: satker kinds that report at the Kanwil level; every other kind reports like a KPPBC
KANWIL_KINDS = frozenset({"kanwil", "kpu", "kantor_pusat"})
_OFFSET = re.compile(r"^([+-])(\d{2}):(\d{2})$")


def level_of(kind: str) -> str:
    return "kanwil" if kind in KANWIL_KINDS else "kppbc"


def _offset(text: Any) -> timezone | None:
    m = _OFFSET.match(text) if isinstance(text, str) else None
    if m is None or int(m[2]) > 14 or int(m[3]) > 59:
        return None
    delta = timedelta(hours=int(m[2]), minutes=int(m[3]))
    return timezone(-delta if m[1] == "-" else delta)


def validate(document: Any, year: int) -> dict[str, Any]:
    """The document checked: every quarter, every date a real ISO date in order; else one 422
    naming every bad field."""
    errors: list[FieldError] = []
    if not isinstance(document, dict):
        raise Unprocessable("a calendar document must be an object", field="document")
    if _offset(document.get("utc_offset")) is None:
        errors.append(FieldError(field="document.utc_offset", reason="must be an offset like +07:00"))
    periods = document.get("periods")
    if not isinstance(periods, dict) or set(periods) != set(QUARTERS):
        errors.append(FieldError(field="document.periods", reason="needs exactly the quarters Q1, Q2, Q3, Q4"))
        raise Unprocessable("the calendar document is not valid", errors=errors)
    for q in QUARTERS:
        dates = periods[q]
        if not isinstance(dates, dict):
            errors.append(FieldError(field=f"document.periods.{q}", reason="must be an object of dates"))
            continue
        parsed: dict[str, date] = {}
        for name in DATES:
            try:
                parsed[name] = date.fromisoformat(str(dates[name]))
            except (KeyError, TypeError, ValueError):
                errors.append(FieldError(field=f"document.periods.{q}.{name}", reason="must be an ISO date"))
        extra = set(dates) - set(DATES)
        if extra:
            errors.append(FieldError(field=f"document.periods.{q}", reason=f"unknown dates {sorted(extra)}"))
        if len(parsed) == len(DATES):
            if not year <= parsed["window_opens"].year <= year + 1:
                errors.append(
                    FieldError(field=f"document.periods.{q}.window_opens", reason=f"must lie in {year} or {year + 1}")
                )
            for a, b in zip(ORDER, ORDER[1:], strict=False):
                if parsed[b] < parsed[a]:
                    errors.append(FieldError(field=f"document.periods.{q}.{b}", reason=f"lies before {a}"))
            if parsed["evidence_due"] < parsed["window_opens"]:
                errors.append(FieldError(field=f"document.periods.{q}.evidence_due", reason="lies before window_opens"))
    if errors:
        raise Unprocessable("the calendar document is not valid", errors=errors)
    return document


def instant(document: dict[str, Any], period: str, name: str, *, end_of_day: bool = True) -> datetime:
    """A calendar date as an instant: the end (or start) of that day in the document's offset."""
    tz = _offset(document["utc_offset"])
    assert tz is not None  # validated when stored
    day = date.fromisoformat(document["periods"][period][name])
    at = datetime.combine(day, time(23, 59, 59) if end_of_day else time(0, 0), tzinfo=tz)
    return at


def calendar_json(row: CycleCalendar, source: str | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {
        "year": row.year,
        "level": row.level,
        "owner": row.owner or None,
        "version": row.version,
        "document": row.document,
        "recorded_at": row.recorded_at,
        "recorded_by": row.recorded_by,
    }
    if source is not None:
        body["source"] = source
    return body


async def list_all(*, session: AsyncSession, year: int | None) -> list[CycleCalendar]:
    return await CycleRepository(session).calendars(year)


async def create(
    *,
    session: AsyncSession,
    year: int,
    level: str,
    owner: Satker | None,
    document: Any,
    actor: str,
    now: datetime,
) -> CycleCalendar:
    if level not in LEVELS:
        raise Unprocessable(f"level must be one of {', '.join(LEVELS)}", field="level")
    if owner is not None and level_of(owner.kind) != "kanwil":
        raise Unprocessable(
            f"{owner.code} is not a Kanwil: only a Kanwil sets dates for the satker under it", field="code"
        )
    document = validate(document, year)
    repo = CycleRepository(session)
    key = owner.code if owner is not None else PRESET
    row = CycleCalendar(
        year=year,
        level=level,
        owner=key,
        version=await repo.last_calendar_version(year, level, key) + 1,
        document=document,
        recorded_at=now,
        recorded_by=actor,
    )
    await repo.add(row)
    await events.record(
        session,
        type="cycle.calendar_recorded",
        subject=f"calendar/{year}/{level}/{key or 'preset'}",
        satker=owner.code if owner is not None else None,
        payload={"year": year, "level": level, "owner": key or None, "version": row.version},
        now=now,
    )
    return row


async def in_force(
    *, session: AsyncSession, lineage: Sequence[Satker], year: int, as_of: datetime
) -> tuple[CycleCalendar, str] | None:
    """The calendar that applies to the satker at the end of ``lineage`` and where it comes from
    (``kanwil:<code>`` or ``preset``); None when neither exists for the year."""
    satker = lineage[-1]
    owners = [s.code for s in lineage]
    found = await CycleRepository(session).latest_calendars(year, level_of(satker.kind), [*owners, PRESET], as_of)
    for code in reversed(owners):
        if code in found:
            return found[code], f"kanwil:{code}"
    if PRESET in found:
        return found[PRESET], "preset"
    return None
