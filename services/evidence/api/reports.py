"""Aggregates for scoring (contracts §8), evidence packs, maintenance."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import StreamingResponse

from kernel.auth import Action, ensure_allowed
from kernel.db import SessionDep
from kernel.errors import PROBLEM_RESPONSES
from kernel.params import CodePath, IndicatorQuery
from services.evidence.api.deps import ActorDep, RuntimeDep
from services.evidence.domain import repository as repo
from services.evidence.domain import service
from services.evidence.domain.aggregates import aggregates as compute_aggregates
from services.evidence.domain.kinds import PERIODS, window_bounds
from services.evidence.domain.models import DocumentStatus
from services.evidence.domain.pack import stream_pack
from services.evidence.domain.schemas import SweepReport

router = APIRouter(prefix="/api/v1/evidence", tags=["reports"])

PeriodQ = Annotated[str, Query(pattern="^(" + "|".join(PERIODS) + ")$", description="Q1..Y or M01..M12")]
YearQ = Annotated[int, Query(ge=2000, le=2100)]
IndicatorQ = IndicatorQuery


@router.get("/satkers/{code}/aggregates", responses=PROBLEM_RESPONSES, summary="Facts for scoring (contracts §8)")
async def aggregates(
    code: CodePath,
    rt: RuntimeDep,
    who: ActorDep,
    session: SessionDep,
    year: YearQ,
    period: PeriodQ,
    indicator: IndicatorQ,
    as_of: datetime | None = None,
) -> dict[str, Any]:
    await service.authorize(rt, who.principal, Action.READ, code)
    if as_of is not None and as_of.tzinfo is None:
        as_of = as_of.replace(tzinfo=UTC)
    result = await compute_aggregates(session, satker=code, indicator=indicator, year=year, period=period, as_of=as_of)
    result["as_of"] = (as_of or datetime.now(UTC)).isoformat()
    return result


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
