"""Request-level helpers shared by the routers."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from functools import partial
from typing import Annotated
from urllib.parse import unquote_to_bytes

from fastapi import Depends, Header, Request
from pydantic import ValidationError

from kernel.auth import PrincipalDep
from kernel.errors import Unprocessable, dotted, validation_problem
from kernel.observability import client_origin, request_id_var
from services.evidence.adapters.multipart import (
    FILE_FIELD,
    FORM_OVERHEAD_BYTES,
    METADATA_FIELD,
    FormUpload,
    is_multipart,
)
from services.evidence.schemas import DocumentMetadata
from services.evidence.service.context import Actor, Runtime

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


#: RFC 8187 ext-value prefix: ``X-Evidence-Metadata: UTF-8''%7B%22kind%22...`` (percent-encoded UTF-8)
_EXT_VALUE = "utf-8''"


def decode_metadata_header(value: str) -> str:
    """The header's text, decoded as UTF-8 — or a 422 naming the header, never mojibake.

    HTTP hands a header over as bytes (Starlette: one character per byte, latin-1). Three forms
    are accepted: plain ASCII (other characters as JSON ``\\uXXXX`` escapes), the RFC 8187
    ext-value ``UTF-8''<percent-encoded UTF-8>``, and raw UTF-8 bytes (what ``curl -H`` sends
    from a UTF-8 terminal). Bytes that are not UTF-8 are refused: their meaning is unknown and
    storing them as latin-1 characters garbled every Indonesian dash and accent.
    """
    if value[: len(_EXT_VALUE)].lower() == _EXT_VALUE:
        encoded = value[len(_EXT_VALUE) :]
        if not encoded.isascii():
            raise Unprocessable(f"{METADATA_HEADER}: an RFC 8187 value is percent-encoded ASCII", field=METADATA_HEADER)
        try:
            return unquote_to_bytes(encoded).decode("utf-8")
        except UnicodeDecodeError as exc:
            raise Unprocessable(
                f"{METADATA_HEADER}: the percent-encoded bytes are not UTF-8 ({exc.reason})", field=METADATA_HEADER
            ) from exc
    if value.isascii():
        return value
    try:
        return value.encode("latin-1").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError) as exc:
        raise Unprocessable(
            f"{METADATA_HEADER} is not UTF-8: send other characters as \\uXXXX escapes, as UTF-8''"
            "<percent-encoded UTF-8> (RFC 8187), or upload as multipart/form-data",
            field=METADATA_HEADER,
        ) from exc


def parse_metadata(text: str, *, source: str) -> DocumentMetadata:
    """The metadata JSON (from the header or the form field ``source``), validated (422 per field)."""
    try:
        raw = json.loads(text)
    except ValueError as exc:
        raise Unprocessable(f"{source} is not JSON: {exc}", field=source) from exc
    try:
        return DocumentMetadata.model_validate(raw)
    except ValidationError as exc:
        raise validation_problem(exc, locate=partial(dotted, empty="metadata"), slug="validation") from exc


@dataclass
class UploadBody:
    """What an upload request carries, whichever its form (raw body or multipart form)."""

    meta: DocumentMetadata
    body: AsyncIterator[bytes]
    #: the least the file can weigh, from Content-Length (early 413), None when unknown
    min_size: int | None
    declared_type: str | None


MetadataHeader = Annotated[
    str | None,
    Header(
        alias=METADATA_HEADER,
        description=(
            "raw-body uploads: the document's metadata as JSON (ASCII with \\uXXXX escapes, raw UTF-8, "
            "or RFC 8187 UTF-8''<percent-encoded>); not used with multipart/form-data"
        ),
        openapi_examples={
            "LPT": {
                "summary": "an LPT (patrol report) of 8a-N in Q2",
                "value": '{"kind":"LPT","number":"LPT-12/WBC.16/2024","document_date":"2024-05-14",'
                '"indicator":"8a-N","period":"Q2","fields":{"activity":"patrol"}}',
            }
        },
    ),
]


async def upload_body(request: Request, x_evidence_metadata: str | None) -> UploadBody:
    """The metadata and the file stream of an upload (ADR 0005, ADR 0012).

    Not a dependency: it reads the request body (a form's metadata field), which must happen
    after the caller is authenticated, so the route calls it itself.
    """
    length = content_length(request)
    content_type = request.headers.get("content-type")
    if is_multipart(content_type):
        form = FormUpload(request.headers, request.stream())
        meta = parse_metadata(await form.read_metadata(), source=METADATA_FIELD)
        if meta.filename is None and form.filename:
            # the browser's file name, without any folder part a client may have sent
            name = form.filename.replace("\\", "/").rsplit("/", 1)[-1].strip()[:255]
            meta = meta.model_copy(update={"filename": name or None})
        return UploadBody(
            meta=meta,
            body=form.file(),
            min_size=None if length is None else length - FORM_OVERHEAD_BYTES,
            declared_type=form.content_type,
        )
    if x_evidence_metadata is None:
        raise Unprocessable(
            f"the metadata is missing: send it in {METADATA_HEADER} with the raw file as the body, "
            f"or upload a multipart/form-data form with the fields {METADATA_FIELD!r} and {FILE_FIELD!r}",
            field=METADATA_HEADER,
        )
    meta = parse_metadata(decode_metadata_header(x_evidence_metadata), source=METADATA_HEADER)
    return UploadBody(meta=meta, body=request.stream(), min_size=length, declared_type=content_type)


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
