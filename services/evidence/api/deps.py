"""Request-level helpers shared by the routers."""

from __future__ import annotations

import json
import uuid
from typing import Annotated

from fastapi import Depends, Header, Request
from pydantic import ValidationError

from kernel.auth import PrincipalDep
from kernel.errors import FieldError, Unprocessable
from kernel.observability import client_origin, request_id_var
from services.evidence.domain.schemas import DocumentMetadata
from services.evidence.domain.service import Actor, Runtime

METADATA_HEADER = "X-Evidence-Metadata"


# The dependencies are ``async def`` although they never wait: FastAPI runs a plain ``def``
# dependency in the thread pool, a thread hop (~0.2-0.5 ms on a 2-core box, more under load) on
# every request, for work that takes microseconds and never blocks.


async def runtime(request: Request) -> Runtime:
    rt: Runtime = request.app.state.evidence
    return rt


RuntimeDep = Annotated[Runtime, Depends(runtime)]


async def actor(request: Request, principal: PrincipalDep) -> Actor:
    # the audit log's origin: X-Forwarded-For only as far as trusted proxies (the gateway) wrote it
    origin, via = client_origin(
        request.client.host if request.client else None,
        request.headers.getlist("x-forwarded-for"),
        request.app.state.common.trusted_proxies,
    )
    return Actor(
        principal=principal,
        client_ip=origin,
        user_agent=request.headers.get("user-agent"),
        request_id=request_id_var.get(),
        via=tuple(via),
    )


ActorDep = Annotated[Actor, Depends(actor)]


async def metadata(
    x_evidence_metadata: Annotated[
        str,
        Header(
            alias=METADATA_HEADER,
            description="the document's metadata as JSON (ASCII: escape other characters as \\uXXXX)",
        ),
    ],
) -> DocumentMetadata:
    try:
        raw = json.loads(x_evidence_metadata)
    except ValueError as exc:
        raise Unprocessable(f"{METADATA_HEADER} is not JSON: {exc}", field=METADATA_HEADER) from exc
    try:
        return DocumentMetadata.model_validate(raw)
    except ValidationError as exc:
        errors = [
            FieldError(field=".".join(str(p) for p in e["loc"]) or "metadata", reason=e["msg"]) for e in exc.errors()
        ]
        err = Unprocessable(f"{errors[0].field}: {errors[0].reason}", errors=errors)
        err.slug = "validation"
        raise err from exc


MetadataDep = Annotated[DocumentMetadata, Depends(metadata)]


def content_length(request: Request) -> int | None:
    raw = request.headers.get("content-length")
    try:
        return int(raw) if raw is not None else None
    except ValueError:
        return None


def parse_uuid(value: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError as exc:
        raise Unprocessable("not a document id", field="id") from exc
