"""Measures: ``.../indicators/{iku}/measures[/{period}]`` with ETag / If-Match."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Header, Response
from sqlalchemy.ext.asyncio import AsyncSession

from kernel.auth import Action, Principal, PrincipalDep
from kernel.db import ReadSessionDep, SessionDep
from kernel.errors import PreconditionRequired
from kernel.pagination import Page, PageDep, page_of
from kernel.types import IkuCodePath, OrgCodePath
from services.registry.api.deps import AsOfQuery, YearPath, authorize, resolve_as_of, utcnow
from services.registry.schemas import MeasureOut, MeasureRow, MeasuresOut, MeasureWrite
from services.registry.service import agreements as agreements_service
from services.registry.service import measures as service
from services.registry.service.periods import MeasurePeriod
from services.registry.service.rows import Agreement, Indicator

router = APIRouter(tags=["measures"])
BASE = "/satkers/{code}/agreements/{year}/indicators/{iku}/measures"
IfMatch = Annotated[str | None, Header(alias="If-Match", description="the ETag of the last GET (required)")]


async def _load(
    session: AsyncSession,
    principal: Principal,
    action: Action,
    code: OrgCodePath,
    year: YearPath,
    iku: IkuCodePath,
    as_of: datetime | None = None,
) -> tuple[Agreement, Indicator]:
    await authorize(session, principal, action, code)
    agreement = await agreements_service.get(session=session, satker_code=code, year=year, as_of=as_of)
    indicator = await agreements_service.indicator(session=session, agreement=agreement, code=iku)
    return agreement, indicator


@router.get(BASE, summary="All measures of an IKU at as_of, by period")
async def get_measures(
    code: OrgCodePath,
    year: YearPath,
    iku: IkuCodePath,
    session: ReadSessionDep,
    principal: PrincipalDep,
    as_of: AsOfQuery = None,
) -> MeasuresOut:
    at = resolve_as_of(as_of)
    _, indicator = await _load(session, principal, Action.READ, code, year, iku, at)
    return await service.read_all(session=session, indicator=indicator, as_of=at)


@router.get(f"{BASE}/{{period}}", summary="The parts of one period (with its ETag)")
async def get_measure(
    code: OrgCodePath,
    year: YearPath,
    iku: IkuCodePath,
    period: MeasurePeriod,
    response: Response,
    session: ReadSessionDep,
    principal: PrincipalDep,
    as_of: AsOfQuery = None,
) -> MeasureOut:
    at = resolve_as_of(as_of)
    _, indicator = await _load(session, principal, Action.READ, code, year, iku, at)
    out, etag = await service.read(session=session, indicator=indicator, period=period, as_of=at)
    response.headers["ETag"] = etag
    return out


@router.get(f"{BASE}/{{period}}/history", summary="Every row of the period ever recorded")
async def get_measure_history(
    code: OrgCodePath,
    year: YearPath,
    iku: IkuCodePath,
    period: MeasurePeriod,
    session: ReadSessionDep,
    principal: PrincipalDep,
    page: PageDep,
) -> Page[MeasureRow]:
    _, indicator = await _load(session, principal, Action.READ, code, year, iku)
    return page_of(await service.history(session=session, indicator=indicator, period=period), page)


async def _write(
    mode: Literal["put", "patch"],
    code: OrgCodePath,
    year: YearPath,
    iku: IkuCodePath,
    period: str,
    body: MeasureWrite,
    response: Response,
    session: AsyncSession,
    principal: Principal,
    if_match: str | None,
) -> MeasureOut:
    agreement, indicator = await _load(session, principal, Action.WRITE, code, year, iku)
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


@router.put(f"{BASE}/{{period}}", summary="Replace the parts of a period (If-Match required)")
async def put_measure(
    code: OrgCodePath,
    year: YearPath,
    iku: IkuCodePath,
    period: MeasurePeriod,
    body: MeasureWrite,
    response: Response,
    session: SessionDep,
    principal: PrincipalDep,
    if_match: IfMatch = None,
) -> MeasureOut:
    return await _write("put", code, year, iku, period, body, response, session, principal, if_match)


@router.patch(f"{BASE}/{{period}}", summary="Change some parts of a period; null removes a part (If-Match required)")
async def patch_measure(
    code: OrgCodePath,
    year: YearPath,
    iku: IkuCodePath,
    period: MeasurePeriod,
    body: MeasureWrite,
    response: Response,
    session: SessionDep,
    principal: PrincipalDep,
    if_match: IfMatch = None,
) -> MeasureOut:
    return await _write("patch", code, year, iku, period, body, response, session, principal, if_match)
