"""Zona Integritas templates: ``/api/v1/registry/zi/templates`` (read by every caller, written by admins)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Body, Path, status
from pydantic import BaseModel

from kernel.auth import Action, PrincipalDep, ensure_allowed
from kernel.db import ReadSessionDep, SessionDep
from kernel.pagination import Page, PageDep, page_of
from kernel.params import DocumentCodePath
from services.registry.api.deps import VersionPath, utcnow
from services.registry.service import zi as service
from services.registry.service.rows import ZiTemplate

router = APIRouter(tags=["zona_integritas"])

YearPath = Annotated[int, Path(ge=2000, le=2100)]


class ZiTemplateOut(BaseModel):
    code: str
    version: int
    valid_from_year: int
    document: dict[str, Any]
    recorded_at: datetime
    recorded_by: str


def _out(row: ZiTemplate) -> ZiTemplateOut:
    return ZiTemplateOut(
        code=row.code,
        version=row.version,
        valid_from_year=row.valid_from_year,
        document=row.document,
        recorded_at=row.recorded_at,
        recorded_by=row.recorded_by,
    )


@router.get(
    "/zi/templates",
    summary="Every ZI (LKE) template version",
    description=(
        "Every stored version of the Zona Integritas evaluation sheet (LKE): its regulation, "
        "components, areas, weights, questions and thresholds."
    ),
)
async def list_templates(session: ReadSessionDep, principal: PrincipalDep, page: PageDep) -> Page[ZiTemplateOut]:
    # Templates are regulation data, not satker data: any authenticated caller may read them.
    return page_of([_out(r) for r in await service.list_all(session=session)], page)


@router.get(
    "/zi/templates/{code}/versions/{version}",
    summary="One ZI template version",
    description=(
        "One LKE template version in full (components, the six change areas with weights, questions"
        " with answer scales, predicate thresholds)."
    ),
)
async def get_template(
    code: DocumentCodePath, version: VersionPath, session: ReadSessionDep, principal: PrincipalDep
) -> ZiTemplateOut:
    return _out(await service.get(session=session, code=code, version=version))


@router.get(
    "/zi/templates/for-year/{year}",
    summary="The ZI template version that applies to an evaluation year",
    description=("The LKE template that applies to evaluations of `year` (the regulation in force that year)."),
)
async def template_for_year(year: YearPath, session: ReadSessionDep, principal: PrincipalDep) -> ZiTemplateOut:
    return _out(await service.for_year(session=session, year=year))


@router.post(
    "/zi/templates",
    status_code=status.HTTP_201_CREATED,
    summary="Store a new ZI template version (admin)",
    description=(
        "Store a new LKE template version. Weights must add up to their component and thresholds be"
        " in order; a version an evaluation already uses is never changed (store a new version)."
    ),
)
async def create_template(
    session: SessionDep, principal: PrincipalDep, document: dict[str, Any] = Body(...)
) -> ZiTemplateOut:
    ensure_allowed(principal, Action.MANAGE, [])
    return _out(await service.create(session=session, document=document, actor=principal.subject, now=utcnow()))
