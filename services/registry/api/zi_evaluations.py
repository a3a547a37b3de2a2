"""Zona Integritas evaluations: ``/api/v1/registry/satkers/{code}/zi/evaluations[...]`` (ADR 0015).

Who writes which level: :data:`services.registry.service.zi_evaluations.LEVEL_RULES`.
The workbook routes (import/export of the answers sheet) are in :mod:`.zi_workbook`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Path, Query, status
from pydantic import BaseModel, Field

from kernel.auth import Action, PrincipalDep
from kernel.db import ReadSessionDep, SessionDep
from kernel.types import Number, OrgCodePath
from services.registry.api.deps import YearPath, authorize, utcnow
from services.registry.service import satkers as satkers_service
from services.registry.service import zi_evaluations as service

router = APIRouter(tags=["zona_integritas"])
BASE = "/satkers/{code}/zi/evaluations"
LevelPath = Annotated[Literal["unit", "kanwil", "national"], Path(description="unit, kanwil or national")]


class TemplateRef(BaseModel):
    code: str = Field(max_length=64)
    version: int = Field(ge=1, le=2**31 - 1)


class EvaluationCreate(BaseModel):
    year: int = Field(ge=2000, le=2100)
    template: TemplateRef
    proposed_predicate: Literal["WBK", "WBBM"] | None = None
    note: str | None = Field(default=None, max_length=2000)


class AnswerOut(BaseModel):
    answer: Any
    note: str | None
    evidence: list[str]
    recorded_at: datetime
    recorded_by: str


class LevelEventOut(BaseModel):
    event: Literal["submitted", "reopened"]
    reason: str | None
    at: datetime
    by: str


class LevelOut(BaseModel):
    level: Literal["unit", "kanwil", "national"]
    label: str
    team_label: str | None
    status: Literal["open", "submitted"]
    pengungkit: Number | None = Field(description="component totals of a level recorded as totals only")
    hasil: Number | None
    updated_at: datetime
    updated_by: str
    submitted_at: datetime | None
    submitted_by: str | None
    answers: dict[str, AnswerOut]
    events: list[LevelEventOut]


class EvaluationOut(BaseModel):
    satker: str
    year: int
    template: TemplateRef
    proposed_predicate: str | None
    note: str | None
    created_at: datetime
    created_by: str
    levels: list[LevelOut]


class EvaluationList(BaseModel):
    items: list[EvaluationOut]


class LevelWrite(BaseModel):
    answers: dict[str, Any] | None = Field(
        default=None,
        max_length=2000,
        description="question code → {answer, note, evidence: [document ids]}; codes given replace the stored ones",
    )
    totals: dict[str, Any] | None = Field(default=None, description="pengungkit and hasil: a level printed as totals")
    team_label: str | None = Field(default=None, max_length=200)


class Reason(BaseModel):
    reason: str = Field(max_length=2000)


async def _one(session: Any, code: str, year: int) -> EvaluationOut:
    row = await service.load(session=session, satker_code=code, year=year)
    return EvaluationOut.model_validate((await service.describe(session=session, evaluations=[row]))[0])


async def _writable(session: Any, principal: Any, code: str, year: int, level: str) -> Any:
    lineage = await authorize(session, principal, Action.READ, code)
    service.ensure_level_role(principal=principal, level=level, satker_code=code, path=[s.code for s in lineage])
    evaluation = await service.load(session=session, satker_code=code, year=year)
    await service.ensure_not_own_answers(session=session, principal=principal, evaluation=evaluation, level=level)
    return evaluation


@router.get(
    BASE,
    summary="The ZI evaluations of a satker (every year)",
    description=("Every Zona Integritas evaluation of the satker, one per year, with the state of each level."),
)
async def list_evaluations(code: OrgCodePath, session: ReadSessionDep, principal: PrincipalDep) -> EvaluationList:
    await authorize(session, principal, Action.READ, code)
    rows = await service.of_satker(session=session, satker_code=code)
    return EvaluationList.model_validate({"items": await service.describe(session=session, evaluations=rows)})


@router.post(
    BASE,
    status_code=status.HTTP_201_CREATED,
    summary="Start the ZI evaluation of a year (unit: WRITE)",
    description=(
        "Start the satker's evaluation of a year on the template that applies to it; the unit then "
        "answers its self-assessment."
    ),
)
async def create_evaluation(
    code: OrgCodePath, body: EvaluationCreate, session: SessionDep, principal: PrincipalDep
) -> EvaluationOut:
    await authorize(session, principal, Action.WRITE, code)
    await service.create(
        session=session,
        satker_code=code,
        year=body.year,
        template_code=body.template.code,
        template_version=body.template.version,
        proposed_predicate=body.proposed_predicate,
        note=body.note,
        actor=principal.subject,
        now=utcnow(),
    )
    return await _one(session, code, body.year)


@router.get(
    f"{BASE}/{{year}}",
    summary="One ZI evaluation: every level with its answers and events",
    description=(
        "One evaluation: every level (unit, kanwil, national) with its answers, notes, evidence "
        "links and events (submitted, reopened with the reason)."
    ),
)
async def get_evaluation(
    code: OrgCodePath, year: YearPath, session: ReadSessionDep, principal: PrincipalDep
) -> EvaluationOut:
    await authorize(session, principal, Action.READ, code)
    return await _one(session, code, year)


@router.put(
    f"{BASE}/{{year}}/levels/{{level}}",
    summary="Record answers (or totals) of an open level",
    description=(
        "Record answers (question code: answer, note, evidence) or the component totals of an open "
        "level. An answer off the question's scale, a zero denominator or an unknown question is "
        "refused; nothing is written on any error. Nobody evaluates their own unit's answers."
    ),
)
async def put_level(
    code: OrgCodePath,
    year: YearPath,
    level: LevelPath,
    session: SessionDep,
    principal: PrincipalDep,
    body: LevelWrite = Body(...),
) -> EvaluationOut:
    evaluation = await _writable(session, principal, code, year, level)
    await service.record(
        session=session,
        evaluation=evaluation,
        level=level,
        answers=body.answers,
        totals=body.totals,
        team_label=body.team_label,
        actor=principal.subject,
        now=utcnow(),
    )
    return await _one(session, code, year)


@router.post(
    f"{BASE}/{{year}}/levels/{{level}}/submit",
    summary="Submit (close) a level",
    description=(
        "Close a level: every question answered (or both totals given). A closed level is read-only"
        " until reopened with a reason."
    ),
)
async def submit_level(
    code: OrgCodePath, year: YearPath, level: LevelPath, session: SessionDep, principal: PrincipalDep
) -> EvaluationOut:
    evaluation = await _writable(session, principal, code, year, level)
    await service.submit(session=session, evaluation=evaluation, level=level, actor=principal.subject, now=utcnow())
    return await _one(session, code, year)


@router.post(
    f"{BASE}/{{year}}/levels/{{level}}/reopen",
    summary="Reopen a submitted level (the reason is kept)",
    description=("Reopen a submitted level; the reason is required and kept in the level's events."),
)
async def reopen_level(
    code: OrgCodePath, year: YearPath, level: LevelPath, body: Reason, session: SessionDep, principal: PrincipalDep
) -> EvaluationOut:
    evaluation = await _writable(session, principal, code, year, level)
    await service.reopen(
        session=session, evaluation=evaluation, level=level, reason=body.reason, actor=principal.subject, now=utcnow()
    )
    return await _one(session, code, year)


@router.get(
    "/satkers/{code}/zi/subtree-evaluations",
    summary="The ZI evaluations of a year of the satker and every satker under it (the Kanwil's view)",
    description=(
        "The evaluations of `year` of the satker and of every satker under it: what the Kanwil's readiness view reads."
    ),
)
async def subtree_evaluations(
    code: OrgCodePath,
    session: ReadSessionDep,
    principal: PrincipalDep,
    year: Annotated[int, Query(ge=2000, le=2100)],
) -> EvaluationList:
    await authorize(session, principal, Action.READ, code)
    members = [
        s for s in await satkers_service.subtree(session=session, code=code) if principal.allows(Action.READ, s.path)
    ]
    rows = await service.of_satkers(session=session, codes=[s.code for s in members], year=year)
    return EvaluationList.model_validate({"items": await service.describe(session=session, evaluations=rows)})
