"""History, plans and budget of a satker (issue 12): typed, paged reads for every caller who may
read the satker; whole-year replacement by admins (validated first, all or nothing)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response

from kernel.auth import Action, PrincipalDep
from kernel.db import ReadSessionDep, SessionDep
from kernel.pagination import Page, PageDep, page_of
from kernel.params import CodePath, IndicatorQuery
from services.registry.api.deps import YearPath, authorize, utcnow
from services.registry.schemas import (
    BudgetOut,
    BudgetYearIn,
    HistoricalResultOut,
    HistoryYearIn,
    LakinInputsOut,
    PlanTargetOut,
    PlanYearIn,
)
from services.registry.service import history as service

router = APIRouter(tags=["history"])

YearQuery = Annotated[int | None, Query(ge=2000, le=2100)]


@router.get(
    "/satkers/{code}/history",
    summary="Yearly results of the years without an agreement (five-year trend)",
    description="Target, realisation and index per IKU and year as recorded (e.g. the LAKIN's 2020-2023 "
    "tables), each linked to the IKU whose trend it continues (`indicator`), with the code and name "
    "printed that year. Ordered by IKU, then year; paged.",
)
async def list_history(
    code: CodePath,
    session: ReadSessionDep,
    principal: PrincipalDep,
    page: PageDep,
    indicator: IndicatorQuery | None = None,
    year_from: YearQuery = None,
    year_to: YearQuery = None,
) -> Page[HistoricalResultOut]:
    await authorize(session, principal, Action.READ, code)
    rows = await service.list_results(
        session=session, satker=code, indicator=indicator, year_from=year_from, year_to=year_to
    )
    return page_of(rows, page)


@router.put(
    "/satkers/{code}/history/{year}",
    summary="Replace the results of one year without an agreement (admin)",
    description="409 when the satker has an agreement that year (its results are computed from it).",
)
async def put_history(
    code: CodePath, year: YearPath, body: HistoryYearIn, session: SessionDep, principal: PrincipalDep
) -> list[HistoricalResultOut]:
    await authorize(session, principal, Action.MANAGE, code)
    return await service.replace_results(
        session=session, satker=code, year=year, data=body, actor=principal.subject, now=utcnow()
    )


@router.get(
    "/satkers/{code}/lakin/{year}",
    response_model=LakinInputsOut,
    summary="History, plan targets and budgets a satker's LAKIN of a year needs, in one answer",
    description="The historical results of the `years` years ending with `year` (its sub-series rows "
    "included), the Renstra/Renja targets of `year`, the budget of `year` and of `year - 1` (null where "
    "none is recorded). The LAKIN report's one read besides the agreement bundle.",
)
async def get_lakin_inputs(
    code: CodePath,
    year: YearPath,
    session: ReadSessionDep,
    principal: PrincipalDep,
    years: Annotated[int, Query(ge=1, le=10, description="length of the trend window")] = 5,
) -> Response:
    await authorize(session, principal, Action.READ, code)
    body = await service.lakin_inputs(session=session, satker=code, year=year, years=years)
    # serialised by pydantic itself: FastAPI would dump, re-validate and serialise the model it is
    # handed, about a third of this read's time (``response_model`` still documents the shape)
    return Response(body.model_dump_json(), media_type="application/json")


@router.get(
    "/satkers/{code}/plans",
    summary="Renstra DJBC and Renja Kemenkeu targets per IKU and year",
    description=(
        "The Renstra DJBC and Renja Kemenkeu targets per IKU and year (filter by `year`), which the LAKIN"
        " compares with the agreement."
    ),
)
async def list_plans(
    code: CodePath,
    session: ReadSessionDep,
    principal: PrincipalDep,
    page: PageDep,
    year: YearQuery = None,
    indicator: IndicatorQuery | None = None,
) -> Page[PlanTargetOut]:
    await authorize(session, principal, Action.READ, code)
    return page_of(await service.list_plans(session=session, satker=code, year=year, indicator=indicator), page)


@router.put(
    "/satkers/{code}/plans/{year}",
    summary="Replace the plan targets of one year (admin)",
    description="Replace the plan targets of one year for the satker.",
)
async def put_plans(
    code: CodePath, year: YearPath, body: PlanYearIn, session: SessionDep, principal: PrincipalDep
) -> list[PlanTargetOut]:
    await authorize(session, principal, Action.MANAGE, code)
    return await service.replace_plans(
        session=session, satker=code, year=year, data=body, actor=principal.subject, now=utcnow()
    )


@router.get(
    "/satkers/{code}/budget/{year}",
    summary="Budget of a satker-year: pagu with its changes, realisation per item, output and type",
    description=(
        "The satker's budget of a year: the ceiling (pagu) with its changes and the realisation per item,"
        " output and type, as the LAKIN reports it."
    ),
)
async def get_budget(code: CodePath, year: YearPath, session: ReadSessionDep, principal: PrincipalDep) -> BudgetOut:
    await authorize(session, principal, Action.READ, code)
    return await service.get_budget(session=session, satker=code, year=year)


@router.put(
    "/satkers/{code}/budget/{year}",
    summary="Replace the budget of a satker-year (admin)",
    description="422 when it does not add up (items vs pagu history vs outputs, net vs gross − refunds).",
)
async def put_budget(
    code: CodePath, year: YearPath, body: BudgetYearIn, session: SessionDep, principal: PrincipalDep
) -> BudgetOut:
    await authorize(session, principal, Action.MANAGE, code)
    return await service.replace_budget(
        session=session, satker=code, year=year, data=body, actor=principal.subject, now=utcnow()
    )
