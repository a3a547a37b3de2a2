"""Aggregates for scoring (contracts §8), evidence packs, maintenance."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import StreamingResponse

from contracts.evidence import EXAMPLE as FACTS_EXAMPLE
from contracts.evidence import Facts
from kernel.auth import Action, ensure_allowed
from kernel.db import ReadSessionDep
from kernel.errors import PROBLEM_RESPONSES, Unprocessable
from kernel.params import IDENTIFIER_PATTERN, CodePath, IndicatorQuery
from services.evidence.api.deps import ActorDep, RuntimeDep
from services.evidence.schemas import SweepReport
from services.evidence.service import aggregates as facts
from services.evidence.service import pack as packs
from services.evidence.service import upload as uploading
from services.evidence.service.kinds import PERIODS

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


@router.get(
    "/satkers/{code}/aggregates",
    response_model=Facts,
    responses=PROBLEM_RESPONSES | {200: {"content": {"application/json": {"example": FACTS_EXAMPLE}}}},
    summary="Facts for scoring (contracts §8)",
)
async def aggregates(
    code: CodePath,
    rt: RuntimeDep,
    who: ActorDep,
    session: ReadSessionDep,
    year: YearQ,
    period: PeriodQ,
    indicator: IndicatorsQ,
    as_of: Annotated[
        datetime | None, Query(description="the facts as they stood at this moment (naive: UTC); default now")
    ] = None,
) -> Facts:
    """One IKU (e.g. `?year=2024&period=Q2&indicator=8a-N`): its facts over the verified current
    documents of the window (contracts §8). Several IKU (`indicator` repeated or a comma list,
    e.g. `indicator=8a-N,8b-N`): `{"satker", "year", "period", "window", "as_of", "basis",
    "indicators": {code: facts}}`, each `facts` exactly what the one-IKU request answers; one
    authorisation, one pass."""
    codes = _indicator_codes(indicator)
    answer = await facts.facts(
        rt=rt,
        session=session,
        actor=who,
        satker=code,
        indicators=codes,
        several=not (len(indicator) == 1 and len(codes) == 1 and "," not in indicator[0]),
        year=year,
        period=period,
        as_of=as_of,
    )
    return answer  # validated (extra="forbid") and serialised by the response model


@router.get(
    "/satkers/{code}/packs",
    responses=PROBLEM_RESPONSES | {200: {"content": {"application/zip": {}}}},
    response_class=StreamingResponse,
    summary="Evidence pack: zip of the files with a manifest (hashes + review trail), streamed",
    description="The files of one IKU in a period, e.g. `?year=2024&period=Q2&indicator=8a-N`: by default "
    "the verified current revisions; `include_unverified=true` adds every current revision. `manifest.json` "
    "(last member) lists each file with its SHA-256 and review trail. The download is logged in the audit log.",
)
async def pack(
    code: CodePath,
    rt: RuntimeDep,
    who: ActorDep,
    session: ReadSessionDep,
    year: YearQ,
    period: PeriodQ,
    indicator: IndicatorQ,
    include_unverified: Annotated[bool, Query(description="also the current revisions not verified")] = False,
) -> StreamingResponse:
    body = await packs.evidence_pack(
        rt=rt,
        session=session,
        actor=who,
        satker=code,
        indicator=indicator,
        year=year,
        period=period,
        include_unverified=include_unverified,
    )
    name = f"evidence-{code}-{indicator}-{year}-{period}.zip"
    return StreamingResponse(
        body,
        media_type="application/zip",
        headers={"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "private, no-store"},
    )


@router.post("/maintenance/sweep", response_model=SweepReport, responses=PROBLEM_RESPONSES, tags=["maintenance"])
async def sweep(rt: RuntimeDep, who: ActorDep) -> SweepReport:
    """Finish or remove what interrupted uploads left (admins; also runs at start and periodically)."""
    ensure_allowed(who.principal, Action.MANAGE, [])
    return await uploading.sweep(rt)
