"""Import of a whole agreement: ``POST /api/v1/registry/import`` (JSON or YAML, all-or-nothing)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

import orjson
import yaml
from fastapi import APIRouter, Query, Request, status

from kernel.auth import Action, PrincipalDep, ensure_allowed
from kernel.db import SessionDep
from kernel.errors import PayloadTooLarge, Unprocessable
from services.registry.api.deps import manual_validator, utcnow
from services.registry.domain import transfer as service
from services.registry.domain.schemas import ImportResult

router = APIRouter(tags=["transfer"])
MAX_BYTES = 10 * 1024 * 1024
YAML_TYPES = ("application/yaml", "application/x-yaml", "text/yaml")


def _decode(raw: bytes, yaml_input: bool) -> Any:
    try:
        return yaml.safe_load(raw) if yaml_input else orjson.loads(raw)
    except (yaml.YAMLError, orjson.JSONDecodeError) as exc:
        raise Unprocessable(f"not valid {'YAML' if yaml_input else 'JSON'}: {exc}", field="$") from None


@router.post(
    "/import",
    status_code=status.HTTP_201_CREATED,
    summary="Import a whole agreement (satker if missing, SS, IKU, manuals, targets+addenda, measures)",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {"schema": {"type": "object"}},
                "application/yaml": {"schema": {"type": "object"}},
            },
        }
    },
)
async def import_agreement(
    request: Request,
    session: SessionDep,
    principal: PrincipalDep,
    format: Annotated[Literal["json", "yaml"] | None, Query(description="overrides Content-Type")] = None,
) -> ImportResult:
    raw = await request.body()
    if len(raw) > MAX_BYTES:
        raise PayloadTooLarge(f"import documents are limited to {MAX_BYTES} bytes")
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    doc = service.parse(_decode(raw, format == "yaml" or (format is None and content_type in YAML_TYPES)))
    ensure_allowed(principal, Action.MANAGE, await service.planned_path(session=session, doc=doc))
    return await service.import_document(
        session=session, doc=doc, validator=manual_validator(request, principal), actor=principal.subject, now=utcnow()
    )
