"""Zona Integritas results: ``/api/v1/scoring/zi/...`` (stateless: the template comes from the registry)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Body, Request
from pydantic import BaseModel, Field

from kernel.auth import PrincipalDep
from kernel.errors import PROBLEM_RESPONSES
from services.scoring.schemas import ZiGap, ZiResults
from services.scoring.service import zi as service

router = APIRouter(prefix="/api/v1/scoring", tags=["zona_integritas"], responses=PROBLEM_RESPONSES)


class TemplateRef(BaseModel):
    code: str | None = Field(default=None, max_length=64)
    version: int | None = Field(default=None, ge=1, le=2**31 - 1)
    year: int | None = Field(default=None, ge=2000, le=2100)


@router.post(
    "/zi/results",
    summary="Results of one ZI evaluation level: areas, components, predicate, gaps",
    description="The template version comes from the registry (by code and version, or the one in force "
    "for the evaluation year); the level is either every question's answer or the pengungkit and hasil "
    "totals. Exact decimals are answered as decimal strings.",
    response_model=ZiResults,
)
async def zi_results(
    request: Request,
    principal: PrincipalDep,
    template: TemplateRef = Body(...),
    level: dict[str, Any] = Body(..., description="answers (question → answer) or pengungkit + hasil totals"),
) -> dict[str, Any]:
    # Regulation data and the caller's own numbers only: no satker data is read, so any caller may ask.
    row, tpl, thresholds = await service.load_template(
        registry=request.app.state.peers["registry"],
        principal=principal,
        code=template.code,
        version=template.version,
        year=template.year,
    )
    out = service.results(tpl, thresholds, service.level_scores(tpl, level))
    return {"template": {"code": row["code"], "version": row["version"]}, **out}


@router.post(
    "/zi/gap",
    summary="Gap view: per question the unit's answer against the evaluator's, points at risk",
    description="Both sides are objects question code → answer; an unknown question is a 422 naming it.",
    response_model=ZiGap,
)
async def zi_gap(
    request: Request,
    principal: PrincipalDep,
    template: TemplateRef = Body(...),
    unit: dict[str, Any] = Body(...),
    evaluator: dict[str, Any] = Body(...),
) -> dict[str, Any]:
    row, tpl, _ = await service.load_template(
        registry=request.app.state.peers["registry"],
        principal=principal,
        code=template.code,
        version=template.version,
        year=template.year,
    )
    return {"template": {"code": row["code"], "version": row["version"]}, "items": service.gap(tpl, unit, evaluator)}
