"""Documents: streamed upload, metadata, revisions, review workflow, ranged download, audit trail."""

from __future__ import annotations

import re
import uuid
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response, StreamingResponse

from kernel.db import ReadSessionDep, SessionDep
from kernel.errors import PROBLEM_RESPONSES, ProblemError
from kernel.pagination import Page, PageDep, page_of
from kernel.params import IDENTIFIER_PATTERN, CodePath
from services.evidence.api.deps import ActorDep, MetadataHeader, RuntimeDep, upload_body
from services.evidence.schemas import AuditEventOut, DocumentKindOut, DocumentOut, KindFieldsSchema, ReviewIn
from services.evidence.service import audit, documents
from services.evidence.service import review as reviewing
from services.evidence.service import upload as uploading
from services.evidence.service.kinds import KINDS, file_name

router = APIRouter(prefix="/api/v1/evidence", tags=["documents"])

_UPLOAD_RESPONSES = PROBLEM_RESPONSES | {
    409: {"description": "duplicate file or number, closed period"},
    413: {"description": "file larger than the upload limit"},
    415: {"description": "file type not allowed for the kind"},
    503: {"description": "scanner or storage unavailable (fail closed)"},
}
_UPLOAD_BODY = {
    "requestBody": {
        "required": True,
        "description": (
            "the raw file bytes (streamed; metadata in the X-Evidence-Metadata header), or a "
            "multipart/form-data form: the field `metadata` (the same JSON, UTF-8) first, then `file`"
        ),
        "content": {
            "application/octet-stream": {"schema": {"type": "string", "format": "binary"}},
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["metadata", "file"],
                    "properties": {
                        "metadata": {"type": "string", "description": "the metadata as JSON"},
                        "file": {"type": "string", "format": "binary"},
                    },
                },
                "encoding": {"metadata": {"contentType": "application/json"}},
            },
        },
    }
}


class RangeNotSatisfiable(ProblemError):
    status_code, slug, title = 416, "range-not-satisfiable", "Range not satisfiable"


@router.post(
    "/satkers/{code}/documents",
    status_code=201,
    response_model=DocumentOut,
    responses=_UPLOAD_RESPONSES,
    openapi_extra=_UPLOAD_BODY,
    summary="Upload a document (raw body + X-Evidence-Metadata, or a multipart form)",
    description="Either the file is the raw request body and its metadata JSON is in `X-Evidence-Metadata` "
    "(UTF-8 or RFC 8187 `UTF-8''...`), e.g. "
    '`{"kind":"LPT","number":"LPT-12/WBC.16/2024","document_date":"2024-05-14","indicator":"8a-N",'
    '"period":"Q2","fields":{"activity":"patrol"}}`; or a `multipart/form-data` body with the field '
    "`metadata` (that JSON) before the field `file`. Streamed: size cap, SHA-256 and type sniffing on the way; "
    "scanned by clamd before it is visible; answers the document in review.",
)
async def upload(
    code: CodePath,
    request: Request,
    rt: RuntimeDep,
    who: ActorDep,
    x_evidence_metadata: MetadataHeader = None,
    submit: Annotated[bool, Query(description="send to review at once (else stays 'scanned')")] = True,
) -> DocumentOut:
    up = await upload_body(request, x_evidence_metadata)
    doc = await uploading.upload(
        rt=rt,
        actor=who,
        satker=code,
        meta=up.meta,
        body=up.body,
        content_length=up.min_size,
        declared_type=up.declared_type,
        submit=submit,
    )
    return DocumentOut.model_validate(doc)


@router.post(
    "/documents/{document_id}/revisions",
    status_code=201,
    response_model=DocumentOut,
    responses=_UPLOAD_RESPONSES,
    openapi_extra=_UPLOAD_BODY,
    summary="Correct a document: upload a new immutable revision (goes back to review)",
)
async def revise(
    document_id: uuid.UUID,
    request: Request,
    rt: RuntimeDep,
    who: ActorDep,
    session: SessionDep,
    x_evidence_metadata: MetadataHeader = None,
    submit: Annotated[bool, Query()] = True,
) -> DocumentOut:
    """A correction of the current revision, e.g. `POST .../documents/{id}/revisions` with the
    same metadata and the fixed file: a new immutable row in the same lineage (revision + 1), back
    in review; the old one stays readable. Same body forms as the upload."""
    old = await documents.document(rt=rt, session=session, actor=who, document_id=document_id)
    up = await upload_body(request, x_evidence_metadata)
    doc = await uploading.upload(
        rt=rt,
        actor=who,
        satker=old.satker,
        meta=up.meta,
        body=up.body,
        content_length=up.min_size,
        declared_type=up.declared_type,
        submit=submit,
        supersedes=old,
    )
    return DocumentOut.model_validate(doc)


@router.get("/satkers/{code}/documents", response_model=Page[DocumentOut], responses=PROBLEM_RESPONSES)
async def list_documents(
    code: CodePath,
    rt: RuntimeDep,
    who: ActorDep,
    session: ReadSessionDep,
    page: PageDep,
    indicator: Annotated[str | None, Query(max_length=32, pattern=IDENTIFIER_PATTERN)] = None,
    year: Annotated[int | None, Query(ge=2000, le=2100)] = None,
    kind: Annotated[str | None, Query(max_length=32)] = None,
    status: Annotated[str | None, Query(max_length=32)] = None,
    all_revisions: bool = False,
) -> Page[DocumentOut]:
    """The satker's current documents (all revisions with `all_revisions=true`), filtered, paged,
    e.g. `?indicator=8a-N&year=2024&status=verified`."""
    rows, total = await documents.search(
        rt=rt,
        session=session,
        actor=who,
        satker=code,
        indicator=indicator,
        year=year,
        kind=kind,
        status=status,
        current_only=not all_revisions,
        limit=page.limit,
        offset=page.offset,
    )
    return Page(items=[DocumentOut.model_validate(r) for r in rows], total=total, limit=page.limit, offset=page.offset)


@router.get("/kinds", summary="Document kinds, number prefixes, allowed file types and parents")
async def kinds(who: ActorDep, page: PageDep) -> Page[DocumentKindOut]:
    """The document kinds the service accepts, e.g. `LPT`: number prefixes, sniffed file types,
    the kinds it may follow from and the JSON Schema of its `fields`."""
    every = [
        DocumentKindOut(
            code=k.code,
            name=k.name,
            number_prefixes=list(k.prefixes),
            media_types=sorted(k.media_types),
            parents=sorted(k.parents),
            fields=KindFieldsSchema.model_validate(k.fields.model_json_schema()) if k.fields else None,
        )
        for k in KINDS.values()
    ]
    return page_of(every, page)


@router.get("/documents/{document_id}", response_model=DocumentOut, responses=PROBLEM_RESPONSES)
async def get_document(document_id: uuid.UUID, rt: RuntimeDep, who: ActorDep, session: ReadSessionDep) -> DocumentOut:
    """One revision by id, e.g. `GET .../documents/3f2b...`; an id out of the caller's reach
    answers like an unknown one."""
    doc = await documents.document(rt=rt, session=session, actor=who, document_id=document_id)
    return DocumentOut.model_validate(doc)


@router.get("/documents/{document_id}/revisions", responses=PROBLEM_RESPONSES)
async def list_revisions(
    document_id: uuid.UUID, rt: RuntimeDep, who: ActorDep, session: ReadSessionDep, page: PageDep
) -> Page[DocumentOut]:
    """Every revision of the document's lineage, oldest first, e.g. revision 1 rejected, 2 verified."""
    revs = await documents.revisions(rt=rt, session=session, actor=who, document_id=document_id)
    return page_of([DocumentOut.model_validate(d) for d in revs], page)


@router.post("/documents/{document_id}/submit", response_model=DocumentOut, responses=PROBLEM_RESPONSES)
async def submit(document_id: uuid.UUID, rt: RuntimeDep, who: ActorDep, session: SessionDep) -> DocumentOut:
    """Send a document kept in `scanned` (uploaded with `submit=false`) to review."""
    return DocumentOut.model_validate(
        await reviewing.submit(rt=rt, session=session, actor=who, document_id=document_id)
    )


@router.post("/documents/{document_id}/review", response_model=DocumentOut, responses=PROBLEM_RESPONSES)
async def review(
    document_id: uuid.UUID, body: ReviewIn, rt: RuntimeDep, who: ActorDep, session: SessionDep
) -> DocumentOut:
    """Verify or reject (reason required). Nobody reviews their own upload."""
    return DocumentOut.model_validate(
        await reviewing.review(rt=rt, session=session, actor=who, document_id=document_id, decision=body)
    )


@router.get("/documents/{document_id}/audit", response_model=Page[AuditEventOut], responses=PROBLEM_RESPONSES)
async def document_audit(
    document_id: uuid.UUID, rt: RuntimeDep, who: ActorDep, session: ReadSessionDep, page: PageDep
) -> Page[AuditEventOut]:
    """The audit events of every revision of the document, oldest first (uploaded, scanned,
    submitted, verified, downloaded...)."""
    trail = await audit.document_trail(rt=rt, session=session, actor=who, document_id=document_id)
    return page_of([AuditEventOut.model_validate(e) for e in trail], page)


@router.get("/satkers/{code}/audit", response_model=Page[AuditEventOut], responses=PROBLEM_RESPONSES)
async def satker_audit(
    code: CodePath,
    rt: RuntimeDep,
    who: ActorDep,
    session: ReadSessionDep,
    page: PageDep,
    action: Annotated[str | None, Query(description="only events of this action, e.g. downloaded")] = None,
) -> Page[AuditEventOut]:
    """The satker's audit events, oldest first, e.g. `?action=downloaded` for who read what."""
    rows, total = await audit.satker_trail(
        rt=rt, session=session, actor=who, satker=code, action=action, limit=page.limit, offset=page.offset
    )
    return Page(
        items=[AuditEventOut.model_validate(r) for r in rows], total=total, limit=page.limit, offset=page.offset
    )


_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")
#: no file has this many bytes; longer digit strings are read as it (``int()`` refuses more than
#: 4300 digits: a 500 before), which gives the RFC's answer: start beyond the end is a 416, an
#: end or suffix beyond the size means up to the end / the whole file
_BEYOND_ANY_SIZE = 10**18


def _position(digits: str) -> int:
    digits = digits.lstrip("0") or "0"
    return int(digits) if len(digits) < 18 else _BEYOND_ANY_SIZE


def parse_range(header: str | None, size: int) -> tuple[int, int] | None:
    """One byte range (RFC 9110 §14.1.2) → (start, end) inclusive; None = whole file.

    Multiple ranges are answered with the whole file (allowed by the RFC); an unsatisfiable
    range is a 416.
    """
    if not header:
        return None
    m = _RANGE.match(header.strip())
    if not m:
        return None  # unknown unit or several ranges: ignore, send everything
    first, last = m.group(1), m.group(2)
    if not first and not last:
        return None
    if not first:  # suffix: the last N bytes
        n = _position(last)
        if n == 0 or size == 0:
            raise RangeNotSatisfiable(f"range {header} not satisfiable", headers={"Content-Range": f"bytes */{size}"})
        return max(0, size - n), size - 1
    start = _position(first)
    end = _position(last) if last else size - 1
    if start >= size or end < start:
        raise RangeNotSatisfiable(f"range {header} not satisfiable", headers={"Content-Range": f"bytes */{size}"})
    return start, min(end, size - 1)


@router.get(
    "/documents/{document_id}/content",
    responses=PROBLEM_RESPONSES | {206: {"description": "partial content"}, 416: {"description": "bad range"}},
    response_class=StreamingResponse,
    summary="Download the file (streamed; Range supported; logged in the audit log)",
)
async def download(
    document_id: uuid.UUID, request: Request, rt: RuntimeDep, who: ActorDep, session: ReadSessionDep
) -> Response:
    """The file, streamed, e.g. `Range: bytes=0-1023` for its first KiB (206); logged in the
    audit log before the first byte."""
    doc = await documents.document(rt=rt, session=session, actor=who, document_id=document_id)
    rng = parse_range(request.headers.get("range"), doc.size)
    start, end = rng if rng else (0, doc.size - 1)
    await documents.record_download(rt=rt, actor=who, doc=doc, byte_range=rng)
    headers = {
        "Accept-Ranges": "bytes",
        "ETag": f'"{doc.sha256}"',
        "Content-Length": str(end - start + 1),
        "Content-Disposition": f"attachment; filename*=UTF-8''{quote(file_name(doc.filename, doc.media_type))}",
        "X-Content-Type-Options": "nosniff",
        "Cache-Control": "private, no-store",
    }
    status = 200
    if rng:
        status = 206
        headers["Content-Range"] = f"bytes {start}-{end}/{doc.size}"
    return StreamingResponse(
        uploading.read_object(rt, doc, start, end if rng else None),
        status_code=status,
        media_type=doc.media_type,
        headers=headers,
    )
