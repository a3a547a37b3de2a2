"""Zona Integritas results of stored evaluations: ``/api/v1/scoring/satkers/{code}/zi/...`` (ADR 0015).

The registry answers who may read the satker (the caller's token is forwarded); numbers are
exact decimals as strings, ``total_display`` the printed form (2 decimals, ROUND_HALF_UP).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query, Request
from pydantic import BaseModel

from kernel.auth import PrincipalDep
from kernel.errors import PROBLEM_RESPONSES
from kernel.params import CodePath
from services.scoring.service import zi_evaluations as service
from services.scoring.service import zi_prefill

router = APIRouter(prefix="/api/v1/scoring", tags=["zona_integritas"], responses=PROBLEM_RESPONSES)
YearPath = Annotated[int, Path(ge=2000, le=2100)]
Level = Literal["unit", "kanwil", "national"]


class TemplateRef(BaseModel):
    code: str
    version: int


class CheckOut(BaseModel):
    code: str
    required: str | None
    actual: str | None
    passed: bool | None  # None: not evaluable from what the level holds (totals only)


class PredicateOut(BaseModel):
    predicate: Literal["WBK", "WBBM"]
    reached: bool
    complete: bool
    failed: list[str]
    checks: list[CheckOut]


class AreaOut(BaseModel):
    code: str
    weight: str | None
    points: str | None
    share: str | None
    halves: dict[str, str | None]


class ZiLevelResults(BaseModel):
    satker: str
    year: int
    template: TemplateRef
    level: Level
    label: str
    team_label: str | None
    status: Literal["open", "submitted"]
    pengungkit: str | None
    hasil: str | None
    total: str | None
    total_display: str | None
    areas: list[AreaOut] | None
    sub_components: dict[str, str | None] | None
    predicate: Literal["WBK", "WBBM"] | None
    predicates: list[PredicateOut]
    missing: dict[str, dict[str, str | None]]  # what it takes: predicate → total/pengungkit/area → points missing


class GapRowOut(BaseModel):
    question: str
    weight: str | None
    unit_answer: Any
    evaluator_answer: Any
    evaluator_note: str | None
    unit_value: str | None
    evaluator_value: str | None
    points_at_risk: str | None


class ZiGap(BaseModel):
    satker: str
    year: int
    template: TemplateRef
    evaluator: Level
    points_at_risk: str | None
    items: list[GapRowOut]


class ReadinessPredicate(BaseModel):
    predicate: Literal["WBK", "WBBM"]
    reached: bool
    complete: bool
    failed: list[str]
    failing_areas: list[str]
    missing_points: str | None


class ReadinessItem(BaseModel):
    satker: str
    level: Level | None
    status: str | None
    total: str | None = None
    predicate: Literal["WBK", "WBBM"] | None
    predicates: list[ReadinessPredicate]


class ZiReadiness(BaseModel):
    satker: str
    year: int
    items: list[ReadinessItem]


class NkoSource(BaseModel):
    year: int
    nko: str
    nko_display: str
    agreement: str | None
    partial: bool
    scores: str  # the scores request that shows the NKO with its derivation


class PrefillAnswer(BaseModel):
    answer: Literal["yes", "no"]
    note: str


class ZiPrefill(BaseModel):
    satker: str
    year: int
    template: TemplateRef
    better: bool
    source: dict[Literal["current", "previous"], NkoSource]
    answers: dict[str, PrefillAnswer]  # a body for PUT .../zi/evaluations/{year}/levels/unit


def _registry(request: Request) -> Any:
    return request.app.state.peers["registry"]


@router.get(
    "/satkers/{code}/zi/{year}/results",
    summary="ZI results of one level of a stored evaluation",
    description=(
        "The ZI results of one level of a stored evaluation: pengungkit, hasil and total, the areas when "
        "answers were given, and each predicate (WBK, WBBM) with the checks passed or failed."
    ),
)
async def evaluation_results(
    code: CodePath,
    year: YearPath,
    request: Request,
    principal: PrincipalDep,
    level: Annotated[Level, Query(description="unit, kanwil or national")] = "national",
) -> ZiLevelResults:
    return ZiLevelResults.model_validate(await service.results(_registry(request), principal, code, year, level))


@router.get(
    "/satkers/{code}/zi/{year}/gap",
    summary="Gap view: the unit's answers against an evaluator level's",
    description=(
        "Per question, the unit's own answer beside the answer and note of one evaluator level, so the "
        "unit sees where the evaluators differ."
    ),
)
async def evaluation_gap(
    code: CodePath,
    year: YearPath,
    request: Request,
    principal: PrincipalDep,
    evaluator: Annotated[Literal["kanwil", "national"], Query()] = "national",
) -> ZiGap:
    return ZiGap.model_validate(await service.gap(_registry(request), principal, code, year, evaluator))


@router.get(
    "/satkers/{code}/zi/readiness",
    summary="The ZI readiness of every satker under a Kanwil",
    description=(
        "For every satker under a Kanwil, its ZI evaluation of `year`: the latest level, its status and "
        "total, and which predicates (WBK, WBBM) it reaches or misses."
    ),
)
async def readiness(
    code: CodePath, request: Request, principal: PrincipalDep, year: Annotated[int, Query(ge=2000, le=2100)]
) -> ZiReadiness:
    return ZiReadiness.model_validate(await service.readiness(_registry(request), principal, code, year))


@router.get(
    "/satkers/{code}/zi/{year}/prefill",
    summary="Pre-fill 'capaian kinerja lebih baik dari tahun sebelumnya' from kinerja's NKO history",
    description=(
        'The answer to the hasil item "performance better than the year before" from the NKO of `year` and'
        " `year - 1`, with both values and the scores requests behind them; writes nothing."
    ),
)
async def prefill(code: CodePath, year: YearPath, request: Request, principal: PrincipalDep) -> ZiPrefill:
    return ZiPrefill.model_validate(
        await zi_prefill.prefill(
            peers=request.app.state.peers, manuals=request.app.state.manuals, principal=principal, code=code, year=year
        )
    )
