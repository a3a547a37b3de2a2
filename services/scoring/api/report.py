"""LAKIN routers (issue 12): all seven periods in one answer, the report of a satker-year as JSON,
Excel or PDF, and the Kanwil's consolidated report. ``Accept-Language`` (``id`` default, ``en``)
chooses the labels; codes stay English."""

from __future__ import annotations

from typing import Annotated, Any, Literal, TypeVar

import anyio
from fastapi import APIRouter, Header, Query, Request, Response

from kernel.auth import PrincipalDep
from kernel.errors import PROBLEM_RESPONSES
from kernel.params import CodePath
from services.scoring.schemas import ConsolidatedReport, Report, ScoreTable
from services.scoring.service import report as service
from services.scoring.service import scores
from services.scoring.service.labels import language_of

router = APIRouter(prefix="/api/v1/scoring", tags=["report"], responses=PROBLEM_RESPONSES)

Year = Annotated[int, Query(ge=2000, le=2100, description="agreement year")]
AsOf = Annotated[str | None, Query(description="ISO-8601: the data as recorded at that moment")]
Format = Annotated[Literal["json", "xlsx", "pdf"], Query(description="json (default), xlsx or pdf")]
AcceptLanguage = Annotated[
    str | None, Header(description="id (default) or en: the language of labels, statuses and documents")
]

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PDF = "application/pdf"
FILES: dict[int | str, dict[str, Any]] = {
    200: {
        "content": {
            XLSX: {"schema": {"type": "string", "format": "binary"}},
            PDF: {"schema": {"type": "string", "format": "binary"}},
        },
        "description": "the report (JSON), or the document with `format=xlsx|pdf`",
    }
}


def _file(body: bytes, media_type: str, name: str) -> Response:
    return Response(body, media_type=media_type, headers={"Content-Disposition": f'attachment; filename="{name}"'})


R = TypeVar("R", Report, ConsolidatedReport)


async def _in_format(report: R, format: str, name: str, *, renderer: str) -> Response | R:
    """The report as JSON (the model itself), or rendered off the event loop by the xlsx or PDF
    adapter's function ``renderer`` (imported on demand: reportlab and openpyxl load only when asked)."""
    if format == "json":
        return report
    if format == "xlsx":
        from services.scoring.adapters import report_xlsx as adapter

        media_type = XLSX
    else:
        from services.scoring.adapters import report_pdf as adapter  # type: ignore[no-redef]

        media_type = PDF
    body = await anyio.to_thread.run_sync(getattr(adapter, renderer), report)
    return _file(body, media_type, f"{name}.{format}")


@router.get(
    "/satkers/{code}/scores/periods",
    summary="Scores of all seven periods in one answer (a table)",
    description="NKO and predicate per period (Q1, Q2, S1, Q3, TQ3, Q4, Y) and every IKU's target, "
    "realisation, index and status per period, as `/scores` answers each.",
)
async def get_score_table(
    request: Request,
    principal: PrincipalDep,
    code: CodePath,
    year: Year,
    as_of: AsOf = None,
    accept_language: AcceptLanguage = None,
) -> ScoreTable:
    peers, manuals = request.app.state.peers, request.app.state.manuals
    prepared = await scores.load(
        peers=peers,
        manuals=manuals,
        bundles=request.app.state.bundles,
        principal=principal,
        code=code,
        year=year,
        as_of=as_of,
    )
    cards = await service.score_all_periods(peers=peers, principal=principal, prepared=prepared)
    return service.score_table(prepared=prepared, cards=cards, language=language_of(accept_language))


@router.get(
    "/satkers/{code}/report",
    summary="The LAKIN of a satker-year: JSON, Excel or PDF",
    description="NKO and predicate with the perspective table, SS and IKU detail, every IKU's rows Q1..Y, "
    "the five-year trend, Renstra/Renja comparison, budget and the red/yellow IKU to analyse. "
    "404 for a year without an agreement; a satker outside the caller's reach answers like an unknown one.",
    response_model=Report,
    responses=FILES,
)
async def get_report(
    request: Request,
    principal: PrincipalDep,
    code: CodePath,
    year: Year,
    format: Format = "json",
    as_of: AsOf = None,
    accept_language: AcceptLanguage = None,
) -> Response | Report:
    report = await service.build_report(
        peers=request.app.state.peers,
        manuals=request.app.state.manuals,
        principal=principal,
        code=code,
        year=year,
        as_of=as_of,
        language=language_of(accept_language),
    )
    return await _in_format(report, format, f"LAKIN-{code}-{year}", renderer="render_report")


@router.get(
    "/satkers/{code}/report/consolidated",
    summary="A Kanwil's consolidated LAKIN: ranking, predicates, red IKU of the satker under it",
    description=(
        "The consolidated LAKIN of a Kanwil for a period: every satker under it ranked by NKO with its "
        "predicate, and the IKU in red."
    ),
    response_model=ConsolidatedReport,
    responses=FILES,
)
async def get_consolidated_report(
    request: Request,
    principal: PrincipalDep,
    code: CodePath,
    year: Year,
    format: Format = "json",
    as_of: AsOf = None,
    accept_language: AcceptLanguage = None,
) -> Response | ConsolidatedReport:
    report = await service.build_consolidated(
        peers=request.app.state.peers,
        manuals=request.app.state.manuals,
        principal=principal,
        code=code,
        year=year,
        as_of=as_of,
        language=language_of(accept_language),
    )
    return await _in_format(report, format, f"LAKIN-konsolidasi-{code}-{year}", renderer="render_consolidated")
