"""The LKE workbook of a ZI evaluation: ``.../zi/evaluations/{year}/workbook`` (download, upload; ADR 0015).

Layout: :mod:`services.registry.adapters.zi_xlsx` and docs/excel-format.md ("Zona Integritas").
The upload writes one level, with the same roles as ``PUT .../levels/{level}`` (checked from the
token and the stored evaluation before the body is read, ADR 0013) and the same bounds as the
agreement workbook (10 MiB streamed; the container limits of the xlsx adapter).
"""

from __future__ import annotations

from typing import Annotated, Literal

import anyio
from fastapi import APIRouter, Query, Request, Response
from pydantic import BaseModel

from kernel.auth import Action, PrincipalDep
from kernel.db import ReadSessionDep, SessionDep
from kernel.errors import PROBLEM_JSON, Problem
from kernel.types import OrgCodePath
from services.registry.adapters import zi_xlsx
from services.registry.api.deps import YearPath, authorize, utcnow
from services.registry.api.transfer import MAX_BYTES, _read_capped
from services.registry.api.zi_evaluations import BASE, LevelPath, _writable
from services.registry.service import zi_evaluations as evaluations
from services.registry.service import zi_workbook as service

router = APIRouter(tags=["zona_integritas"])
PATH = f"{BASE}/{{year}}/workbook"


class WorkbookImported(BaseModel):
    satker: str
    year: int
    level: Literal["unit", "kanwil", "national"]
    answers: int


@router.get(
    PATH,
    summary="Download the answers as the LKE workbook (unit's and one evaluator level's columns)",
    description=(
        "The evaluation's answers as the official LKE workbook layout (sheet `Jawaban`: the unit's answer, note"
        " and evidence, then the chosen evaluator level's answer and note), to fill in and upload again."
    ),
    response_class=Response,
    responses={200: {"content": {zi_xlsx.MEDIA_TYPE: {"schema": {"type": "string", "format": "binary"}}}}},
)
async def download_workbook(
    code: OrgCodePath,
    year: YearPath,
    session: ReadSessionDep,
    principal: PrincipalDep,
    evaluator: Annotated[
        Literal["kanwil", "national"], Query(description="whose answers fill the evaluator columns")
    ] = ("kanwil"),
) -> Response:
    await authorize(session, principal, Action.READ, code)
    evaluation = await evaluations.load(session=session, satker_code=code, year=year)
    data = await service.export_data(session=session, evaluation=evaluation, evaluator_level=evaluator)
    content = await anyio.to_thread.run_sync(lambda: zi_xlsx.write_answers(**data))
    return Response(
        content,
        media_type=zi_xlsx.MEDIA_TYPE,
        headers={"Content-Disposition": f'attachment; filename="LKE-ZI-{code}-{year}.xlsx"'},
    )


@router.put(
    f"{PATH}/{{level}}",
    summary="Upload the LKE workbook: record one level's answers from its columns (all or nothing)",
    description=(
        "Record one level's answers from an LKE workbook. Every error is listed at once, named by its cell"
        " (`Jawaban!D17`); on any error nothing is written. Same roles as the level's PUT."
    ),
    responses={
        413: {"model": Problem, "content": {PROBLEM_JSON: {}}, "description": "over 10 MiB, or too many rows"},
        415: {"model": Problem, "content": {PROBLEM_JSON: {}}, "description": "not an .xlsx workbook"},
    },
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {zi_xlsx.MEDIA_TYPE: {"schema": {"type": "string", "format": "binary"}}},
        }
    },
)
async def upload_workbook(
    code: OrgCodePath, year: YearPath, level: LevelPath, request: Request, session: SessionDep, principal: PrincipalDep
) -> WorkbookImported:
    evaluation = await _writable(session, principal, code, year, level)
    questions = await service.questions(session=session, evaluation=evaluation)
    raw = await _read_capped(request, MAX_BYTES)
    read = await anyio.to_thread.run_sync(zi_xlsx.read_answers, raw, questions)
    written = await service.import_answers(
        session=session, evaluation=evaluation, level=level, read=read, actor=principal.subject, now=utcnow()
    )
    return WorkbookImported(satker=code, year=year, level=level, answers=written)
