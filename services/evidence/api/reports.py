"""Aggregates for scoring (contracts §8), evidence packs, maintenance."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import StreamingResponse

from contracts.periods import window_bounds
from kernel.auth import Action, ensure_allowed
from kernel.db import ReadSessionDep, SessionDep
from kernel.errors import PROBLEM_RESPONSES, Unprocessable
from kernel.params import IDENTIFIER_PATTERN, CodePath, IndicatorQuery
from services.evidence.api.deps import ActorDep, RuntimeDep
from services.evidence.domain import repository as repo
from services.evidence.domain import service
from services.evidence.domain.aggregates import aggregates_many
from services.evidence.domain.kinds import PERIODS
from services.evidence.domain.models import DocumentStatus
from services.evidence.domain.pack import stream_pack
from services.evidence.domain.schemas import SweepReport

router = APIRouter(prefix="/api/v1/evidence", tags=["reports"])

PeriodQ = Annotated[str, Query(pattern="^(" + "|".join(PERIODS) + ")$", description="Q1..Y or M01..M12")]
YearQ = Annotated[int, Query(ge=2000, le=2100)]
IndicatorQ = IndicatorQuery


MAX_INDICATORS = 32
IndicatorsQ = Annotated[
    list[str],
    Query(
        min_length=1,
        max_length=MAX_INDICATORS,
        description=(
            "IKU code, e.g. 3a-CP; several: repeat the parameter or separate codes with commas "
            "(the answer then maps each code to its facts)"
        ),
    ),
]
_IDENTIFIER = re.compile(IDENTIFIER_PATTERN)


def _indicator_codes(values: list[str]) -> list[str]:
    codes = list(dict.fromkeys(c.strip() for v in values for c in v.split(",")))
    if len(codes) > MAX_INDICATORS:
        raise Unprocessable(f"at most {MAX_INDICATORS} indicators per request", field="indicator")
    for c in codes:
        if not (1 <= len(c) <= 32 and _IDENTIFIER.match(c)):
            raise Unprocessable(f"{c[:40]!r} is not an IKU code", field="indicator")
    return codes


@router.get("/satkers/{code}/aggregates", responses=PROBLEM_RESPONSES, summary="Facts for scoring (contracts §8)")
async def aggregates(
    code: CodePath,
    rt: RuntimeDep,
    who: ActorDep,
    session: ReadSessionDep,
    year: YearQ,
    period: PeriodQ,
    indicator: IndicatorsQ,
    as_of: datetime | None = None,
) -> dict[str, Any]:
    """One IKU: its facts (contracts §8). Several IKU (``indicator`` repeated or a comma list):
    ``{"satker", "year", "period", "window", "as_of", "basis", "indicators": {code: facts}}``,
    each ``facts`` exactly what the one-IKU request answers; one authorisation, one pass."""
    codes = _indicator_codes(indicator)
    await service.authorize(rt, who.principal, Action.READ, code)
    if as_of is not None and as_of.tzinfo is None:
        as_of = as_of.replace(tzinfo=UTC)
    stamp = (as_of or datetime.now(UTC)).isoformat()
    many = await aggregates_many(session, satker=code, indicators=codes, year=year, period=period, as_of=as_of)
    for facts in many.values():
        facts["as_of"] = stamp
    if len(indicator) == 1 and len(codes) == 1 and "," not in indicator[0]:
        return many[codes[0]]
    first = next(iter(many.values()))
    return {
        "satker": code,
        "year": year,
        "period": period,
        "window": first["window"],
        "as_of": stamp,
        "basis": "verified",
        "indicators": many,
    }


@router.get(
    "/satkers/{code}/packs",
    responses=PROBLEM_RESPONSES | {200: {"content": {"application/zip": {}}}},
    response_class=StreamingResponse,
    summary="Evidence pack: zip of the files with a manifest (hashes + review trail), streamed",
)
async def pack(
    code: CodePath,
    rt: RuntimeDep,
    who: ActorDep,
    session: SessionDep,
    year: YearQ,
    period: PeriodQ,
    indicator: IndicatorQ,
    include_unverified: bool = False,
) -> StreamingResponse:
    await service.authorize(rt, who.principal, Action.READ, code)
    start, end = window_bounds(year, period)
    docs, _ = await repo.search(
        session,
        satker=code,
        indicator=indicator,
        year=year,
        date_from=start,
        date_to=end,
        status=None if include_unverified else DocumentStatus.VERIFIED,
        limit=100_000,
    )
    trail = await repo.events_of(session, [d.id for d in docs])
    await service.record(
        rt,
        service.event(
            who, "pack_downloaded", satker=code, indicator=indicator, year=year, period=period, documents=len(docs)
        ),
    )
    header = {
        "satker": code,
        "indicator": indicator,
        "year": year,
        "period": period,
        "window": {"from": start.isoformat(), "to": end.isoformat()},
        "basis": "all current revisions" if include_unverified else "verified",
        "generated_by": who.principal.subject,
    }
    name = f"evidence-{code}-{indicator}-{year}-{period}.zip"
    return StreamingResponse(
        stream_pack(lambda d: service.read_object(rt, d), list(docs), list(trail), header),
        media_type="application/zip",
        headers={"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "private, no-store"},
    )


@router.post("/maintenance/sweep", response_model=SweepReport, responses=PROBLEM_RESPONSES, tags=["maintenance"])
async def sweep(rt: RuntimeDep, who: ActorDep) -> SweepReport:
    """Finish or remove what interrupted uploads left (admins; also runs at start and periodically)."""
    ensure_allowed(who.principal, Action.MANAGE, [])
    return await service.sweep(rt)
