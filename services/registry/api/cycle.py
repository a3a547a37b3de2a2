"""The reporting cycle (issue 11, ADR 0020): calendars, a satker's periods, analysis notes,
submit / validate / return / reopen, publication by the Kanwil, and the events feed.

Thin: parse, authorise (kernel.auth POLICY: SUBMIT, VALIDATE, PUBLISH, MANAGE), call
``services.registry.service.cycle_*``, shape the answer. Periods of the cycle are the quarters.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query, Request, status
from pydantic import Field

from kernel.auth import Action, PrincipalDep, ensure_allowed
from kernel.db import ReadSessionDep, SessionDep
from kernel.errors import NotFound, Unprocessable
from kernel.params import CodePath
from kernel.types import InputModel
from services.registry.api.deps import AsOfQuery, YearPath, authorize, resolve_as_of, utcnow
from services.registry.cycle_schemas import (
    CalendarList,
    CalendarOut,
    CycleOut,
    EventsPage,
    NoteList,
    NoteOut,
    OverviewOut,
    PeriodDetail,
    PeriodOut,
    PublishedList,
    PublishOut,
)
from services.registry.service import agreements as agreements_service
from services.registry.service import cycle_calendar as calendars
from services.registry.service import cycle_events as events
from services.registry.service import cycle_overview as overview
from services.registry.service import cycle_submissions as cycle

router = APIRouter(tags=["reporting_cycle"])
BASE = "/satkers/{code}/agreements/{year}/cycle"
Quarter = Literal["Q1", "Q2", "Q3", "Q4"]
Text = Annotated[str, Field(min_length=1, max_length=4000)]
IkuCode = Annotated[str, Field(min_length=1, max_length=32, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$")]


class CalendarIn(InputModel):
    year: Annotated[int, Field(ge=2000, le=2100)]
    level: Literal["kanwil", "kppbc"]
    document: dict[str, Any]


class OwnCalendarIn(InputModel):
    year: Annotated[int, Field(ge=2000, le=2100)]
    level: Literal["kanwil", "kppbc"] = "kppbc"
    document: dict[str, Any]


class NoteIn(InputModel):
    """The LAKIN's analysis of an IKU below target: every part is required."""

    events_causes: Text = Field(description="kejadian / penyebab")
    solutions_actions: Text = Field(description="solusi / rencana aksi")
    risks: Text = Field(description="risiko")


class ReturnIn(InputModel):
    reasons: dict[IkuCode, Annotated[str, Field(max_length=4000)]] = Field(
        description="IKU code → why it is returned (at least one)"
    )
    remark: Annotated[str, Field(max_length=4000)] | None = None


class ValidateIn(InputModel):
    remark: Annotated[str, Field(max_length=4000)] | None = None


class ReopenIn(InputModel):
    reason: Annotated[str, Field(max_length=4000)]


class PublishIn(InputModel):
    skep_number: Annotated[str, Field(min_length=1, max_length=64)]


# --- calendars


@router.get(
    "/calendars",
    response_model=CalendarList,
    summary="Every calendar version (presets and the Kanwils' own dates)",
    description=(
        "Every stored calendar version: the ministry presets per year and satker level, and the dates a "
        "Kanwil set for the satker under it."
    ),
)
async def list_calendars(
    session: ReadSessionDep,
    principal: PrincipalDep,
    year: Annotated[int | None, Query(ge=2000, le=2100)] = None,
) -> dict[str, Any]:
    # calendars are schedule data, not satker data: every authenticated caller reads them
    rows = await calendars.list_all(session=session, year=year)
    return {"items": [calendars.calendar_json(r) for r in rows]}


@router.post(
    "/calendars",
    status_code=status.HTTP_201_CREATED,
    response_model=CalendarOut,
    summary="Record a preset calendar version (admin)",
    description=(
        "Record a new version of a preset calendar (per period: window opens, realisations and evidence due, "
        "validation due, NKO published). Earlier versions stay readable."
    ),
)
async def create_calendar(session: SessionDep, principal: PrincipalDep, body: CalendarIn) -> dict[str, Any]:
    ensure_allowed(principal, Action.MANAGE, [])
    row = await calendars.create(
        session=session,
        year=body.year,
        level=body.level,
        owner=None,
        document=body.document,
        actor=principal.subject,
        now=utcnow(),
    )
    return calendars.calendar_json(row, "preset")


@router.post(
    "/satkers/{code}/calendars",
    status_code=status.HTTP_201_CREATED,
    response_model=CalendarOut,
    summary="Record the Kanwil's own dates for the satker under it (kanwil_manager, admin)",
    description=(
        "Record the Kanwil's own deadlines for the satker under it; they override the preset for that tree from now on."
    ),
)
async def create_own_calendar(
    code: CodePath, session: SessionDep, principal: PrincipalDep, body: OwnCalendarIn
) -> dict[str, Any]:
    lineage = await authorize(session, principal, Action.PUBLISH, code)
    row = await calendars.create(
        session=session,
        year=body.year,
        level=body.level,
        owner=lineage[-1],
        document=body.document,
        actor=principal.subject,
        now=utcnow(),
    )
    return calendars.calendar_json(row, f"kanwil:{code}")


@router.get(
    "/satkers/{code}/calendars/{year}",
    response_model=CalendarOut,
    summary="The calendar in force for a satker (and where it comes from)",
    description=(
        "The deadlines in force for the satker and year, and whether they come from the preset or from its Kanwil."
    ),
)
async def calendar_in_force(
    code: CodePath, year: YearPath, session: ReadSessionDep, principal: PrincipalDep, as_of: AsOfQuery = None
) -> dict[str, Any]:
    lineage = await authorize(session, principal, Action.READ, code)
    found = await calendars.in_force(session=session, lineage=lineage, year=year, as_of=resolve_as_of(as_of))
    if found is None:
        raise NotFound(f"no calendar for {year} applies to {code}", field="year")
    return calendars.calendar_json(*found)


# --- a satker's periods


@router.get(
    BASE,
    response_model=CycleOut,
    summary="Every quarter of the satker: state (not started, overdue, submitted, ...), deadlines",
    description=(
        "Per quarter of the agreement year: its state (not_started, overdue, submitted, returned, validated, "
        "published) with the Indonesian label, and its deadlines."
    ),
)
async def get_cycle(code: CodePath, year: YearPath, session: ReadSessionDep, principal: PrincipalDep) -> dict[str, Any]:
    lineage = await authorize(session, principal, Action.READ, code)
    agreement = await agreements_service.get(session=session, satker_code=code, year=year)
    now = utcnow()
    periods = [
        await cycle.period_view(session=session, lineage=lineage, agreement=agreement, period=q, now=now)
        for q in calendars.QUARTERS
    ]
    return {"satker": code, "year": year, "periods": periods}


@router.get(
    f"{BASE}/{{period}}",
    response_model=PeriodDetail,
    summary="One quarter: state, deadlines, every revision and round",
    description=(
        "One quarter in detail: its state, deadlines, every revision (a reopen starts a new one) and every "
        "submission round with its returns and reasons."
    ),
)
async def get_period(
    code: CodePath, year: YearPath, period: Quarter, session: ReadSessionDep, principal: PrincipalDep
) -> dict[str, Any]:
    lineage = await authorize(session, principal, Action.READ, code)
    agreement = await agreements_service.get(session=session, satker_code=code, year=year)
    view = await cycle.period_view(session=session, lineage=lineage, agreement=agreement, period=period, now=utcnow())
    view["notes"] = await cycle.notes(session=session, agreement=agreement, period=period)
    return view


@router.get(
    f"{BASE}/{{period}}/notes",
    response_model=NoteList,
    summary="The analysis notes of the quarter, per IKU",
    description=(
        "The analysis notes (kejadian/penyebab, solusi/rencana aksi, risiko) recorded for the quarter, one per IKU."
    ),
)
async def get_notes(
    code: CodePath, year: YearPath, period: Quarter, session: ReadSessionDep, principal: PrincipalDep
) -> dict[str, Any]:
    await authorize(session, principal, Action.READ, code)
    agreement = await agreements_service.get(session=session, satker_code=code, year=year)
    return {"items": await cycle.notes(session=session, agreement=agreement, period=period)}


@router.put(
    f"{BASE}/{{period}}/notes/{{iku}}",
    response_model=NoteOut,
    summary="Record the analysis of an IKU in the quarter (operator)",
    description=(
        "Record the LAKIN analysis of an IKU below its target (every part required). Needed before a quarter "
        "with a red or yellow IKU can be submitted; an IKU not in the agreement is refused."
    ),
)
async def put_note(
    code: CodePath,
    year: YearPath,
    period: Quarter,
    iku: Annotated[str, Path(min_length=1, max_length=32, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$")],
    session: SessionDep,
    principal: PrincipalDep,
    body: NoteIn,
) -> dict[str, Any]:
    await authorize(session, principal, Action.WRITE, code)
    agreement = await agreements_service.get(session=session, satker_code=code, year=year)
    return await cycle.put_note(
        session=session,
        agreement=agreement,
        code=iku,
        period=period,
        events_causes=body.events_causes,
        solutions_actions=body.solutions_actions,
        risks=body.risks,
        actor=principal.subject,
        now=utcnow(),
    )


@router.post(
    f"{BASE}/{{period}}/submit",
    response_model=PeriodOut,
    summary="Declare the quarter's measures and evidence complete (operator)",
    description=(
        "Submit the quarter: its measures and evidence are declared complete. Refused with a problem listing "
        "each gap (an IKU with a target and no realisation, a red/yellow IKU without a note, evidence still "
        "in review)."
    ),
)
async def submit(
    request: Request, code: CodePath, year: YearPath, period: Quarter, session: SessionDep, principal: PrincipalDep
) -> dict[str, Any]:
    lineage = await authorize(session, principal, Action.SUBMIT, code)
    agreement = await agreements_service.get(session=session, satker_code=code, year=year)
    return await cycle.submit(
        session=session,
        peers=request.app.state.peers,
        principal=principal,
        lineage=lineage,
        agreement=agreement,
        period=period,
        clock=utcnow,
    )


@router.post(
    f"{BASE}/{{period}}/validate",
    response_model=PeriodOut,
    summary="Validate the submitted quarter (reviewer of the Kanwil)",
    description=(
        "Validate a submitted quarter (a reviewer of the Kanwil, never for their own unit). Its evidence is "
        "frozen from then on: a new document revision needs a reopen."
    ),
)
async def validate(
    code: CodePath,
    year: YearPath,
    period: Quarter,
    session: SessionDep,
    principal: PrincipalDep,
    body: ValidateIn | None = None,
) -> dict[str, Any]:
    lineage = await authorize(session, principal, Action.VALIDATE, code)
    agreement = await agreements_service.get(session=session, satker_code=code, year=year)
    return await cycle.decide(
        session=session,
        principal=principal,
        lineage=lineage,
        agreement=agreement,
        period=period,
        decision="validated",
        reasons=None,
        remark=body.remark if body else None,
        now=utcnow(),
    )


@router.post(
    f"{BASE}/{{period}}/return",
    response_model=PeriodOut,
    summary="Return the submitted quarter with a reason per IKU (reviewer)",
    description=(
        "Return a submitted quarter to the satker with a reason per IKU; the satker corrects and submits "
        "again (every round is kept)."
    ),
)
async def return_submission(
    code: CodePath, year: YearPath, period: Quarter, session: SessionDep, principal: PrincipalDep, body: ReturnIn
) -> dict[str, Any]:
    lineage = await authorize(session, principal, Action.VALIDATE, code)
    agreement = await agreements_service.get(session=session, satker_code=code, year=year)
    return await cycle.decide(
        session=session,
        principal=principal,
        lineage=lineage,
        agreement=agreement,
        period=period,
        decision="returned",
        reasons=body.reasons,
        remark=body.remark,
        now=utcnow(),
    )


@router.post(
    f"{BASE}/{{period}}/reopen",
    response_model=PeriodOut,
    summary="Reopen the quarter with a reason: a new revision (admin)",
    description=(
        "Reopen a validated or published quarter (admin, reason required): a new revision starts, the old one"
        " stays readable and a published NKO becomes superseded when republished."
    ),
)
async def reopen(
    code: CodePath, year: YearPath, period: Quarter, session: SessionDep, principal: PrincipalDep, body: ReopenIn
) -> dict[str, Any]:
    lineage = await authorize(session, principal, Action.MANAGE, code)
    agreement = await agreements_service.get(session=session, satker_code=code, year=year)
    return await cycle.reopen(
        session=session,
        principal=principal,
        lineage=lineage,
        agreement=agreement,
        period=period,
        reason=body.reason,
        now=utcnow(),
    )


@router.post(
    f"{BASE}/{{period}}/publish",
    response_model=PublishOut,
    summary="Publish the quarter's NKO of the Kanwil and every satker under it, with the SKEP (kanwil_manager)",
    description=(
        "Publish the quarter's NKO of the Kanwil and of every satker under it with the decree number (SKEP "
        "NKO). Every quarter must be validated; the scorecards are frozen with a hash of their inputs."
    ),
)
async def publish(
    request: Request,
    code: CodePath,
    year: YearPath,
    period: Quarter,
    session: SessionDep,
    principal: PrincipalDep,
    body: PublishIn,
) -> dict[str, Any]:
    lineage = await authorize(session, principal, Action.PUBLISH, code)
    return await cycle.publish(
        session=session,
        peers=request.app.state.peers,
        principal=principal,
        lineage=lineage,
        year=year,
        period=period,
        skep_number=body.skep_number,
        clock=utcnow,
    )


@router.get(
    f"{BASE}/{{period}}/published",
    response_model=PublishedList,
    summary="The satker's scorecards as published (the current one and every superseded one)",
    description=(
        "The published scorecards of the satker for the quarter, exactly as published (with the input hash to"
        " recompute and compare), the current one and every superseded one."
    ),
)
async def get_published(
    code: CodePath, year: YearPath, period: Quarter, session: ReadSessionDep, principal: PrincipalDep
) -> dict[str, Any]:
    await authorize(session, principal, Action.READ, code)
    return {"items": await cycle.published(session=session, satker=code, year=year, period=period)}


# --- the Kanwil's view


@router.get(
    "/satkers/{code}/cycle-overview/{year}",
    response_model=OverviewOut,
    summary="The Kanwil's view: per satker of its tree and quarter, the state, NKO, predicate and red IKU with notes",
    description=(
        "The Kanwil's consolidated cycle view: per satker of its tree and per quarter the state, the live and"
        " the published NKO and predicate, and the red IKU with their analysis notes."
    ),
)
async def get_overview(
    request: Request, code: CodePath, year: YearPath, session: ReadSessionDep, principal: PrincipalDep
) -> dict[str, Any]:
    lineage = await authorize(session, principal, Action.READ, code)
    return await overview.overview(
        session=session, peers=request.app.state.peers, token=principal.token, lineage=lineage, year=year, now=utcnow()
    )


# --- events


@router.get(
    "/events",
    response_model=EventsPage,
    summary="The events feed (outbox), oldest first after the cursor (admin, service)",
    description=(
        "The events written with each cycle change (the outbox), oldest first after the cursor `after`; for "
        "apps that poll instead of receiving webhooks."
    ),
)
async def get_events(
    session: ReadSessionDep,
    principal: PrincipalDep,
    after: Annotated[int, Query(ge=0, le=2**63 - 1, description="the last event id seen (0: from the start)")] = 0,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    type: Annotated[list[str] | None, Query(max_length=64, description="only these event types")] = None,
) -> dict[str, Any]:
    ensure_allowed(principal, Action.READ, [])
    if type:
        unknown = [t for t in type if t not in events.EVENT_TYPES]
        if unknown:
            raise Unprocessable(f"unknown event type {unknown[0]}", field="type")
    return await events.feed(session, after=after, limit=limit, types=type)
