"""Measures: ``.../indicators/{iku}/measures[/{period}]`` with ETag / If-Match.

The authorise → agreement → indicator chain is the typed dependencies of ``api/deps.py``
(``IndicatorAtDep`` for reads at ``as_of``, ``WriteAgreementIndicatorDep`` for writes): they run before
the route, so a caller out of scope gets its 403 before any 404, 412 or 428.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Header, Response
from sqlalchemy.ext.asyncio import AsyncSession

from kernel.auth import Principal, PrincipalDep
from kernel.db import ReadSessionDep, SessionDep
from kernel.errors import PreconditionRequired
from kernel.pagination import Page, PageDep, page_of
from services.registry.api.deps import (
    IndicatorAtDep,
    IndicatorDep,
    WriteAgreementIndicatorDep,
    utcnow,
)
from services.registry.schemas import MeasureOut, MeasureRow, MeasuresOut, MeasureWrite
from services.registry.service import measures as service
from services.registry.service.periods import MeasurePeriod
from services.registry.service.rows import Agreement, Indicator

router = APIRouter(tags=["measures"])
BASE = "/satkers/{code}/agreements/{year}/indicators/{iku}/measures"
IfMatch = Annotated[str | None, Header(alias="If-Match", description="the ETag of the last GET (required)")]


@router.get(
    BASE,
    summary="All measures of an IKU at as_of, by period",
    description=(
        "Every period's measure parts of the IKU at `as_of` (e.g. `M01`: `{green_docs, green_total_days, "
        "...}`, `Y`: `{realization}`)."
    ),
)
async def get_measures(read: IndicatorAtDep, session: ReadSessionDep) -> MeasuresOut:
    indicator, at = read
    return await service.read_all(session=session, indicator=indicator, as_of=at)


@router.get(
    f"{BASE}/{{period}}",
    summary="The parts of one period (with its ETag)",
    description="The parts of one period with its `ETag`; send the ETag as `If-Match` to change them.",
)
async def get_measure(
    read: IndicatorAtDep, period: MeasurePeriod, response: Response, session: ReadSessionDep
) -> MeasureOut:
    indicator, at = read
    out, etag = await service.read(session=session, indicator=indicator, period=period, as_of=at)
    response.headers["ETag"] = etag
    return out


@router.get(
    f"{BASE}/{{period}}/history",
    summary="Every row of the period ever recorded",
    description="Every row of the period ever recorded, with who recorded it and when it was superseded.",
)
async def get_measure_history(
    indicator: IndicatorDep, period: MeasurePeriod, session: ReadSessionDep, page: PageDep
) -> Page[MeasureRow]:
    return page_of(await service.history(session=session, indicator=indicator, period=period), page)


async def _write(
    mode: Literal["put", "patch"],
    agreement: Agreement,
    indicator: Indicator,
    period: str,
    body: MeasureWrite,
    response: Response,
    session: AsyncSession,
    principal: Principal,
    if_match: str | None,
) -> MeasureOut:
    if not if_match:  # after the authorisation: a caller out of scope learns nothing, not even 428
        raise PreconditionRequired("send If-Match with the ETag of your last GET", field="If-Match")
    out, etag = await service.write(
        session=session,
        agreement=agreement,
        indicator=indicator,
        period=period,
        parts=body.parts,
        mode=mode,
        if_match=if_match,
        actor=principal.subject,
        clock=utcnow,
    )
    response.headers["ETag"] = etag
    return out


@router.put(
    f"{BASE}/{{period}}",
    summary="Replace the parts of a period (If-Match required)",
    description=(
        "Replace every part of the period. `If-Match` with the last ETag is required (428 without it, 412"
        " after a concurrent change); a closed period is refused."
    ),
)
async def put_measure(
    target: WriteAgreementIndicatorDep,
    period: MeasurePeriod,
    body: MeasureWrite,
    response: Response,
    session: SessionDep,
    principal: PrincipalDep,
    if_match: IfMatch = None,
) -> MeasureOut:
    return await _write("put", *target, period, body, response, session, principal, if_match)


@router.patch(
    f"{BASE}/{{period}}",
    summary="Change some parts of a period; null removes a part (If-Match required)",
    description=(
        "Change some parts of the period (a `null` part is removed), the others kept. `If-Match` required, as for PUT."
    ),
)
async def patch_measure(
    target: WriteAgreementIndicatorDep,
    period: MeasurePeriod,
    body: MeasureWrite,
    response: Response,
    session: SessionDep,
    principal: PrincipalDep,
    if_match: IfMatch = None,
) -> MeasureOut:
    return await _write("patch", *target, period, body, response, session, principal, if_match)
