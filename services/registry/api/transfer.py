"""Import of a whole agreement: ``POST /api/v1/registry/import`` (JSON, YAML or .xlsx, all-or-nothing).

The workbook layout is documented in :mod:`services.registry.adapters.xlsx` and docs/excel-format.md;
a workbook is converted to the import document and goes through the same import, its errors naming
cells (``IKU!G5``) instead of JSON paths. The export (``GET .../export?format=xlsx``) lives with the
agreement routes and uses :func:`xlsx_response`.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

import anyio
import orjson
from fastapi import APIRouter, Query, Request, Response, status

from kernel.auth import Action, Principal, PrincipalDep, ensure_allowed
from kernel.db import SessionDep
from kernel.errors import PROBLEM_JSON, PayloadTooLarge, Problem, Unprocessable
from services.registry.adapters import xlsx
from services.registry.api.deps import manual_validator, utcnow
from services.registry.schemas import ImportDocument, ImportResult
from services.registry.service import transfer as service

router = APIRouter(tags=["transfer"])
MAX_BYTES = 10 * 1024 * 1024
YAML_TYPES = ("application/yaml", "application/x-yaml", "text/yaml")
XLSX_TYPE = xlsx.MEDIA_TYPE


def _decode(raw: bytes, yaml_input: bool) -> Any:
    if yaml_input:
        value = service.load_yaml(raw)
    else:
        try:
            value = orjson.loads(raw)
        except orjson.JSONDecodeError as exc:
            raise Unprocessable(f"not valid JSON: {exc}", field="$") from None
    service.ensure_depth(value)
    return value


def _ensure_may_import(principal: Principal) -> None:
    """Refuse a caller who may import nowhere, from the token alone, before the body is read.

    Reading and parsing a body costs (a 10 MiB workbook: seconds of CPU, hundreds of MB), so a
    caller without MANAGE anywhere (every role but admin today) must not get that far; where the
    agreement goes is checked again, once the body says it (:func:`_import`)."""
    ensure_allowed(principal, Action.MANAGE, [principal.satker or "(system)"])


async def _read_capped(request: Request, limit: int) -> bytes:
    """The body, refused with 413 as soon as it passes ``limit`` (declared or streamed), so an
    oversized body never sits in memory whole."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise PayloadTooLarge(f"import documents are limited to {limit} bytes")
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise PayloadTooLarge(f"import documents are limited to {limit} bytes")
    return bytes(body)


def _problem(description: str) -> dict[str, Any]:
    return {"model": Problem, "content": {PROBLEM_JSON: {}}, "description": description}


@router.post(
    "/import",
    status_code=status.HTTP_201_CREATED,
    summary="Import a whole agreement (satker if missing, SS, IKU, manuals, targets+addenda, measures)",
    description=(
        "All-or-nothing. JSON or YAML (`kinerja.agreement/v1`, errors name JSON paths) or an Excel "
        "workbook (`Content-Type: " + XLSX_TYPE + "` or `?format=xlsx`; layout in docs/excel-format.md, "
        "errors name cells such as `IKU!G5`)."
    ),
    responses={
        201: {
            "content": {
                "application/json": {
                    "example": {
                        "satkers_created": ["WBC.16", "KBC.1601", "KBC.1602"],
                        "agreement": "PK-29/BC/2024",
                        "year": 2024,
                        "indicators": 16,
                        "targets": 95,
                        "addenda": 1,
                        "manuals": 16,
                        "measures": 165,
                    }
                }
            }
        },
        409: _problem("Satker already has an agreement that year, or the number is taken"),
        413: _problem("Document larger than 10 MiB (or a workbook that unpacks too large)"),
        415: _problem("Declared as a workbook but not an .xlsx file"),
    },
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {"schema": {"type": "object"}},
                "application/yaml": {"schema": {"type": "object"}},
                XLSX_TYPE: {"schema": {"type": "string", "format": "binary"}},
            },
        }
    },
)
async def import_agreement(
    request: Request,
    session: SessionDep,
    principal: PrincipalDep,
    format: Annotated[Literal["json", "yaml", "xlsx"] | None, Query(description="overrides Content-Type")] = None,
) -> ImportResult:
    _ensure_may_import(principal)
    raw = await _read_capped(request, MAX_BYTES)
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if format == "xlsx" or (format is None and content_type == XLSX_TYPE):
        converted = await anyio.to_thread.run_sync(xlsx.read_workbook, raw)
        with xlsx.located(converted.cells):
            return await _import(request, session, principal, xlsx.validated(converted))
    doc = service.parse(_decode(raw, format == "yaml" or (format is None and content_type in YAML_TYPES)))
    return await _import(request, session, principal, doc)


async def _import(request: Request, session: SessionDep, principal: PrincipalDep, doc: ImportDocument) -> ImportResult:
    ensure_allowed(principal, Action.MANAGE, await service.planned_path(session=session, doc=doc))
    return await service.import_document(
        session=session, doc=doc, validator=manual_validator(request, principal), actor=principal.subject, now=utcnow()
    )


async def xlsx_response(doc: ImportDocument, filename: str) -> Response:
    """The export as a workbook (built in a worker thread), ``filename`` without extension."""
    content = await anyio.to_thread.run_sync(xlsx.write_workbook, doc)
    return Response(
        content, media_type=XLSX_TYPE, headers={"Content-Disposition": f'attachment; filename="{filename}.xlsx"'}
    )
