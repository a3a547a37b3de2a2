"""The rules of the evidence service: upload protocol, review workflow, revisions, sweeping.

Upload protocol (ADR 0005) — every step leaves a state a crash cannot corrupt:

1. validate metadata, rights, guards (no body byte read yet: 403/409/422 are cheap);
2. spool the body to ``<spool>/<upload id>.part`` (hash, size cap, head for sniffing);
3. sniff the type (415), check the hash is new (409), scan it (infected → quarantine, refused);
4. *stage*: move/upload the spool to ``staging/<upload id>`` in the storage;
5. commit the document row pointing at the staging key (the only commit of the upload);
6. *promote*: staging → ``sha256/..`` and repoint the row (idempotent; the sweeper redoes it).

A crash before 5 leaves only spool files / staging objects no row references: the sweeper deletes
them once older than ``stale_after_seconds``. A crash after 5 leaves a row whose object is
readable at its staging key: the sweeper promotes it. No row ever points at a missing object
and no object outlives its upload without a row.

The upload commits in its own sessions (not the request session) because step 6 must run
after the commit; every other endpoint uses the request's session, committed at the edge.
"""

from __future__ import annotations

import logging
import os
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import anyio
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from contracts.periods import WINDOWS
from kernel.auth import Action, Principal, ensure_allowed, reads_everything, unseen
from kernel.client import Peers
from kernel.db import Database
from kernel.errors import Conflict, Forbidden, NotFound, PayloadTooLarge, ProblemError, Unprocessable
from services.evidence.domain import repository as repo
from services.evidence.domain.kinds import (
    HEAD_OFFICE,
    KINDS,
    PDF,
    PERIODS,
    check_fields,
    division_of,
    file_name,
    month_closed,
    parse_number,
)
from services.evidence.domain.models import AuditEvent, Document, DocumentStatus
from services.evidence.domain.schemas import DocumentMetadata, ReviewIn, SweepReport
from services.evidence.scanner import Scanner
from services.evidence.settings import EvidenceSettings
from services.evidence.sniff import check_pdf_structure, check_type
from services.evidence.spool import UploadLock, dead_uploads, spool
from services.evidence.storage import Storage, content_key, staging_key

log = logging.getLogger("kinerja.evidence")


class MalwareDetected(Unprocessable):
    slug, title = "malware-detected", "Malware detected"


class PeriodClosed(Conflict):
    slug, title = "period-closed", "Period closed"


class Duplicate(Conflict):
    slug, title = "duplicate-document", "Duplicate document"


@dataclass
class Runtime:
    """What the service needs at run time (on ``app.state.evidence``)."""

    settings: EvidenceSettings
    db: Database
    storage: Storage
    scanner: Scanner
    peers: Peers
    spool_dir: Path
    quarantine_dir: Path


@dataclass(frozen=True)
class Actor:
    principal: Principal
    client_ip: str | None = None
    user_agent: str | None = None
    request_id: str | None = None
    via: tuple[str, ...] = ()  # trusted proxies the request passed, nearest first


def _now() -> datetime:
    return datetime.now(UTC)


def event(actor: Actor, action: str, *, satker: str | None, doc: Document | None = None, **detail: Any) -> AuditEvent:
    if actor.via:
        detail.setdefault("via", list(actor.via))
    return AuditEvent(
        at=_now(),
        action=action,
        actor=actor.principal.subject,
        actor_role=actor.principal.role.value,
        actor_satker=actor.principal.satker,
        satker=satker,
        document_id=doc.id if doc else None,
        sha256=doc.sha256 if doc else detail.pop("sha256", None),
        client_ip=actor.client_ip,
        user_agent=(actor.user_agent or "")[:255] or None,
        request_id=actor.request_id,
        detail=detail,
    )


async def record(rt: Runtime, ev: AuditEvent) -> None:
    """Write one audit event in its own transaction (survives the request's rollback)."""
    async with rt.db.sessions.begin() as s:
        await repo.add_event(s, ev)


# --- registry reads ------------------------------------------------------------------------------


async def satker_path(rt: Runtime, principal: Principal, code: str) -> list[str]:
    body = await rt.peers["registry"].get_json(f"/api/v1/registry/satkers/{code}", token=principal.token)
    return [str(p) for p in body["path"]]


async def authorize(rt: Runtime, principal: Principal, action: Action, satker: str) -> list[str]:
    """Allow ``action`` on ``satker`` or refuse; the satker's path root..satker (from the registry).

    A satker the caller may not read answers as one that does not exist (:func:`unseen`).
    """
    try:
        path = await satker_path(rt, principal, satker)
    except ProblemError as exc:
        if exc.status_code in (403, 404) and not reads_everything(principal):
            raise unseen(principal, f"satker {satker}") from None
        raise
    if not principal.allows(Action.READ, path):
        raise unseen(principal, f"satker {satker}")
    ensure_allowed(principal, action, path)
    return path


async def can_read(rt: Runtime, principal: Principal, satker: str) -> bool:
    try:
        await authorize(rt, principal, Action.READ, satker)
    except (Forbidden, NotFound):
        return False
    return True


async def subtree(rt: Runtime, principal: Principal, satker: str) -> set[str]:
    """The satker under ``satker`` (and itself), as far as the caller may read them."""
    body = await rt.peers["registry"].get_json(f"/api/v1/registry/satkers/{satker}/subtree", token=principal.token)
    return {str(s["code"]) for s in body}


async def agreement(rt: Runtime, principal: Principal, satker: str, year: int) -> dict[str, Any]:
    try:
        body: dict[str, Any] = await rt.peers["registry"].get_json(
            f"/api/v1/registry/satkers/{satker}/agreements/{year}", token=principal.token
        )
    except ProblemError as exc:
        if exc.status_code == 404:
            raise Unprocessable(f"{satker} has no performance agreement for {year}", field="document_date") from exc
        raise
    return body


# --- upload ------------------------------------------------------------------------------------------


@dataclass
class Checked:
    meta: DocumentMetadata
    issuer: str
    year: int
    fields: dict[str, Any]
    parent: Document | None


async def check_issuer(
    rt: Runtime, principal: Principal, satker: str, path: list[str], org: str, claimed: str | None
) -> str:
    """Who issued a document recorded for ``satker``, from its number's ORG part (ADR 0012).

    The issuing unit is the last segment of ORG (``ND-273/WBC.16/2024`` → ``WBC.16``,
    ``ST-61/BC/WBC.16/2024`` → ``WBC.16``, ``PRIN-222/BC/BC.10/2024`` → ``BC.10``). It must be
    the head office (:data:`HEAD_OFFICE`: ``BC``, ``BC.10``...; above every satker, not in the
    registry) or, as the registry knows the tree, the satker itself, a satker above it on its
    path or one under it — each possibly through one of its divisions, whose code is the
    satker's plus one digit (``WBC.165``, Bidang Kepatuhan Internal of ``WBC.16``). Anything
    else (a sibling, another Kanwil's office, an unknown code) is refused: a free-text issuer let
    one satker occupy another's numbers. The issuer recorded is that satker (or head-office
    unit); a stated ``issuer`` must name it or the unit of the number.
    """
    unit = org.rsplit("/", 1)[-1]
    issuer: str | None = None
    if HEAD_OFFICE.match(unit):
        issuer = unit
    else:
        candidates = [unit] + division_of(unit)
        issuer = next((c for c in candidates if c in path), None)
        if issuer is None:
            below = await subtree(rt, principal, satker)
            issuer = next((c for c in candidates if c in below), None)
        if issuer is None:
            raise Unprocessable(
                f"the number's issuing office {unit} is not {satker}, one of its units, a satker of its tree "
                f"({' > '.join(path)} and those under it) nor the head office (BC): a satker records its own "
                "numbers and those it received from its tree",
                field="number",
            )
    if claimed is not None and claimed.strip() not in {issuer, unit}:
        raise Unprocessable(
            f"issuer {claimed.strip()} does not match the number's issuing office {unit}", field="issuer"
        )
    return issuer


async def check_metadata(
    rt: Runtime,
    session: AsyncSession,
    actor: Actor,
    satker: str,
    meta: DocumentMetadata,
    *,
    lineage: Document | None,
    path: list[str],
) -> Checked:
    """Everything that can be refused before a single byte of the file is read."""
    if meta.kind not in KINDS:
        raise Unprocessable(f"unknown document kind {meta.kind!r}", field="kind")
    if meta.period not in PERIODS:
        raise Unprocessable(f"unknown period {meta.period!r} (one of {', '.join(PERIODS)})", field="period")
    number = parse_number(meta.kind, meta.number)
    d = meta.document_date
    if number.year != d.year:
        raise Unprocessable(f"number year {number.year} differs from the document date {d.isoformat()}", field="number")
    if d.month not in WINDOWS[meta.period]:
        raise Unprocessable(
            f"document date {d.isoformat()} lies outside period {meta.period} {d.year}", field="document_date"
        )
    pk = await agreement(rt, actor.principal, satker, d.year)
    indicators = {str(i.get("code")) for i in pk.get("indicators", [])}
    if meta.indicator not in indicators:
        raise Unprocessable(f"{meta.indicator} is not an IKU of {satker} in {d.year}", field="indicator")
    closed = month_closed(d.month, list(pk.get("closed_periods", [])))
    if closed is not None:
        raise PeriodClosed(
            f"period {closed} {d.year} of {satker} is closed; evidence for it is refused", field="period"
        )
    parent: Document | None = None
    if meta.parent_id is not None:
        found = await repo.get(session, meta.parent_id)
        parent = await repo.current_of_lineage(session, found.lineage_id) if found else None
        if parent is None or parent.satker != satker:
            raise Unprocessable("parent document not found in this satker", field="parent_id")
        allowed = KINDS[meta.kind].parents
        if parent.kind not in allowed:
            raise Unprocessable(
                f"a {meta.kind} cannot follow from a {parent.kind} (allowed: {', '.join(sorted(allowed)) or 'none'})",
                field="parent_id",
            )
        if lineage is not None and parent.lineage_id == lineage.lineage_id:
            raise Unprocessable("a document cannot be its own parent", field="parent_id")
    fields = check_fields(meta.kind, meta.fields, parent_kind=parent.kind if parent else None)
    issuer = await check_issuer(rt, actor.principal, satker, path, number.org, meta.issuer)
    # numbers are unique per satker (ADR 0012): the one found is in this satker, which the caller
    # may write, so naming it tells nothing the caller may not read
    same = await repo.by_number(session, satker, meta.kind, meta.number.strip(), issuer)
    if same is not None and (lineage is None or same.lineage_id != lineage.lineage_id):
        raise Duplicate(
            f"{meta.kind} {meta.number} of {issuer} is already recorded (document {same.id}); "
            "upload a correction as a new revision of it",
            field="number",
            extra={"existing_id": str(same.id)},
        )
    return Checked(meta=meta, issuer=issuer, year=d.year, fields=fields, parent=parent)


def _fault(rt: Runtime, point: str) -> None:
    if rt.settings.fault_injection == point:
        log.critical("fault injection: exiting hard at %s", point)
        os._exit(86)


async def upload(
    rt: Runtime,
    actor: Actor,
    *,
    satker: str,
    meta: DocumentMetadata,
    body: AsyncIterator[bytes],
    content_length: int | None,
    declared_type: str | None,
    submit: bool,
    supersedes: Document | None = None,
) -> Document:
    principal = actor.principal
    path = await authorize(rt, principal, Action.WRITE, satker)
    async with rt.db.sessions() as session:
        if supersedes is not None:
            if not supersedes.is_current:
                raise Conflict("only the current revision can be corrected", field="id")
            if meta.kind != supersedes.kind:
                raise Unprocessable(f"a correction keeps the kind {supersedes.kind}", field="kind")
        checked = await check_metadata(rt, session, actor, satker, meta, lineage=supersedes, path=path)
    limit = rt.settings.max_upload_bytes
    if content_length is not None and content_length > limit:
        raise PayloadTooLarge(
            f"the file ({content_length} bytes) exceeds the upload limit of {limit} bytes", field="content"
        )

    upload_id = uuid.uuid4().hex
    part = rt.spool_dir / f"{upload_id}.part"
    lock = await anyio.to_thread.run_sync(UploadLock, rt.spool_dir, upload_id)
    staged_key: str | None = None
    try:
        spooled = await spool(body, part, limit=limit)
    except BaseException:
        lock.release()
        raise
    try:
        _fault(rt, "after_spool")
        try:
            media_type = check_type(spooled.head, KINDS[meta.kind].media_types, meta.kind)
            if media_type == PDF:  # the head said PDF: the rest of the file must agree
                await anyio.to_thread.run_sync(check_pdf_structure, spooled.path)
        except ProblemError as exc:
            await record(
                rt,
                event(
                    actor,
                    "refused",
                    satker=satker,
                    sha256=spooled.sha256,
                    reason=exc.detail,
                    declared_type=declared_type,
                    size=spooled.size,
                ),
            )
            raise
        async with rt.db.sessions() as session:
            dup = await repo.by_sha256(session, spooled.sha256)
        if dup is not None:
            if dup.satker != satker and not await can_read(rt, principal, dup.satker):
                # the gaming guard must hold across satker, but not name what the caller may not read
                raise Duplicate("this file is already recorded as evidence of another satker", field="content")
            raise Duplicate(
                f"this file (sha256 {spooled.sha256[:12]}...) is already recorded as {dup.kind} {dup.number}",
                field="content",
                extra={"existing_id": str(dup.id)},
            )
        result = await rt.scanner.scan_file(spooled.path)
        if not result.clean:
            where = await _quarantine(rt, spooled.path, spooled.sha256, upload_id)
            await record(
                rt,
                event(
                    actor,
                    "quarantined",
                    satker=satker,
                    sha256=spooled.sha256,
                    signature=result.signature,
                    location=str(where),
                    size=spooled.size,
                    kind=meta.kind,
                    number=meta.number,
                ),
            )
            log.warning("upload %s for %s refused: %s (quarantined at %s)", upload_id, satker, result.signature, where)
            raise MalwareDetected(
                f"the file contains malware ({result.signature}); it was quarantined", field="content"
            )

        staged_key = await rt.storage.stage(upload_id, spooled.path)
        _fault(rt, "after_stage")
        now = _now()
        doc = Document(
            id=uuid.uuid4(),
            lineage_id=supersedes.lineage_id if supersedes else None,
            revision=supersedes.revision + 1 if supersedes else 1,
            is_current=True,
            supersedes_id=supersedes.id if supersedes else None,
            satker=satker,
            kind=meta.kind,
            number=meta.number.strip(),
            issuer=checked.issuer,
            document_date=meta.document_date,
            year=checked.year,
            indicator=meta.indicator,
            period=meta.period,
            title=meta.title,
            fields=checked.fields,
            parent_lineage_id=checked.parent.lineage_id if checked.parent else None,
            sha256=spooled.sha256,
            size=spooled.size,
            media_type=media_type,
            declared_type=(declared_type or "")[:127] or None,
            filename=file_name((meta.filename or meta.number.strip().replace("/", "_"))[:255], media_type),
            storage_key=staged_key,
            scan_status=result.status,
            scanner=result.scanner,
            status=DocumentStatus.IN_REVIEW if submit else DocumentStatus.SCANNED,
            uploaded_by=principal.subject,
            uploaded_at=now,
            submitted_at=now if submit else None,
        )
        doc.lineage_id = doc.lineage_id or doc.id
        try:
            async with rt.db.sessions.begin() as s:
                if supersedes is not None:
                    old = await repo.get(s, supersedes.id)
                    if old is None or not old.is_current:
                        raise Conflict("the document was corrected meanwhile", field="id")
                    old.is_current = False
                    await s.flush()  # free the (kind, number, issuer) slot before the insert
                s.add(doc)
                await s.flush()
                ev = {
                    "size": doc.size,
                    "media_type": media_type,
                    "declared_type": declared_type,
                    "filename": doc.filename,
                    "revision": doc.revision,
                }
                if supersedes is not None:
                    ev["supersedes"] = str(supersedes.id)
                await repo.add_event(s, event(actor, "uploaded", satker=satker, doc=doc, **ev))
                await repo.add_event(
                    s, event(actor, "scanned", satker=satker, doc=doc, result=result.status, scanner=result.scanner)
                )
                if submit:
                    await repo.add_event(s, event(actor, "submitted", satker=satker, doc=doc))
        except IntegrityError as exc:
            raise Duplicate("the same file or number was recorded concurrently", field="content") from exc
        staged_key = None  # the row owns it now
    finally:
        try:
            if staged_key is not None:
                await rt.storage.delete(staged_key)
            await anyio.to_thread.run_sync(lambda: part.unlink(missing_ok=True))
        finally:
            lock.release()
    _fault(rt, "after_commit")
    try:
        await promote(rt, doc)
    except Exception:  # the row is valid at its staging key; the sweeper will promote it
        log.exception("promotion of %s deferred to the sweeper", doc.id)
    if result.status == "not_scanned":
        log.info("document %s stored NOT SCANNED (scanner disabled)", doc.id)
    return doc


async def _quarantine(rt: Runtime, path: Path, sha256: str, upload_id: str) -> Path:
    dest = rt.quarantine_dir / f"{sha256}.{upload_id}"

    def _move() -> None:
        rt.quarantine_dir.mkdir(parents=True, exist_ok=True)
        os.replace(path, dest)
        os.chmod(dest, 0o400)

    await anyio.to_thread.run_sync(_move)
    return dest


async def promote(rt: Runtime, doc: Document) -> None:
    target = content_key(doc.sha256)
    if doc.storage_key == target:
        return
    await rt.storage.promote(doc.storage_key, target)
    async with rt.db.sessions.begin() as s:
        row = await repo.get(s, doc.id)
        if row is not None:
            row.storage_key = target
    doc.storage_key = target


# --- workflow -------------------------------------------------------------------------------------------


async def load(session: AsyncSession, document_id: uuid.UUID) -> Document:
    doc = await repo.get(session, document_id)
    if doc is None:
        raise NotFound(f"document {document_id} not found")
    return doc


async def load_visible(rt: Runtime, session: AsyncSession, principal: Principal, document_id: uuid.UUID) -> Document:
    """The document, if the caller may read its satker; else the same refusal as for an unknown id."""
    doc = await repo.get(session, document_id)
    if doc is None:
        if reads_everything(principal):
            raise NotFound(f"document {document_id} not found")
        raise unseen(principal, f"document {document_id}")
    try:
        await authorize(rt, principal, Action.READ, doc.satker)
    except (Forbidden, NotFound):
        raise unseen(principal, f"document {document_id}") from None
    return doc


async def submit(rt: Runtime, session: AsyncSession, actor: Actor, doc: Document) -> Document:
    await authorize(rt, actor.principal, Action.WRITE, doc.satker)
    if not doc.is_current or doc.status != DocumentStatus.SCANNED:
        raise Conflict(f"only a current document in state scanned can be submitted (it is {doc.status})")
    doc.status = DocumentStatus.IN_REVIEW
    doc.submitted_at = _now()
    await repo.add_event(session, event(actor, "submitted", satker=doc.satker, doc=doc))
    await session.flush()
    return doc


async def review(rt: Runtime, session: AsyncSession, actor: Actor, doc: Document, body: ReviewIn) -> Document:
    await authorize(rt, actor.principal, Action.REVIEW, doc.satker)
    # case-blind: directory-backed providers (Active Directory, ...) treat ``Ana`` and ``ana`` as
    # one account, so a subject differing only in case is still the uploader
    if doc.uploaded_by.casefold() == actor.principal.subject.casefold():
        raise Forbidden("nobody reviews their own upload")
    if not doc.is_current:
        raise Conflict("this revision was corrected; review the current one")
    if doc.status != DocumentStatus.IN_REVIEW:
        raise Conflict(f"only a document in review can be reviewed (it is {doc.status})")
    reason = (body.reason or "").strip() or None
    if body.decision == "reject" and reason is None:
        raise Unprocessable("a rejection needs a reason", field="reason")
    decided = await repo.transition(
        session,
        doc,
        expected=DocumentStatus.IN_REVIEW,
        status=DocumentStatus.VERIFIED if body.decision == "verify" else DocumentStatus.REJECTED,
        reviewed_by=actor.principal.subject,
        reviewed_at=_now(),
        review_reason=reason,
    )
    if not decided:  # another reviewer (or a correction) got there first: their decision stands
        raise Conflict("the document was reviewed or corrected meanwhile; reload it")
    await repo.add_event(session, event(actor, doc.status, satker=doc.satker, doc=doc, reason=reason))
    await session.flush()
    return doc


# --- sweeper --------------------------------------------------------------------------------------------


async def sweep(rt: Runtime, *, stale_after: int | None = None) -> SweepReport:
    """Finish or undo what crashed uploads left behind (safe to run at any time, idempotent)."""
    stale = rt.settings.stale_after_seconds if stale_after is None else stale_after
    cutoff = time.time() - stale
    report = SweepReport()

    def _spool() -> int:
        n = 0
        if rt.spool_dir.is_dir():
            for p in rt.spool_dir.glob("*.part"):
                try:
                    if p.stat().st_mtime <= cutoff:
                        p.unlink()
                        n += 1
                except FileNotFoundError:
                    pass
        return n

    # leftovers of uploads whose process died (kill -9, crash): no live upload can own them,
    # so they go now, whatever their age
    dead = await anyio.to_thread.run_sync(dead_uploads, rt.spool_dir) if rt.spool_dir.is_dir() else []
    for upload_id in dead:
        key = staging_key(upload_id)
        async with rt.db.sessions() as s:
            owned = await repo.storage_keys(s, [key])
        if key not in owned and await rt.storage.exists(key):
            await rt.storage.delete(key)
            report.staging_removed += 1
        part = rt.spool_dir / f"{upload_id}.part"
        if part.exists():
            part.unlink(missing_ok=True)
            report.spool_removed += 1
        (rt.spool_dir / f"{upload_id}.lock").unlink(missing_ok=True)
    report.spool_removed += await anyio.to_thread.run_sync(_spool)
    async with rt.db.sessions() as s:
        pending = list(await repo.unpromoted(s))
    for doc in pending:
        try:
            await promote(rt, doc)
            report.promoted += 1
        except Exception:
            log.exception("sweeper could not promote %s", doc.id)
    staged = [o for o in await rt.storage.list_staging() if o.modified <= cutoff]
    if staged:
        async with rt.db.sessions() as s:
            owned = await repo.storage_keys(s, [o.key for o in staged])
        for o in staged:
            if o.key not in owned:
                await rt.storage.delete(o.key)
                report.staging_removed += 1
    if report.spool_removed or report.promoted or report.staging_removed:
        log.warning("sweeper: %s", report.model_dump())
    return report


async def read_object(rt: Runtime, doc: Document, start: int = 0, end: int | None = None) -> AsyncIterator[bytes]:
    """The document's bytes; follows a promotion that happened after the row was read."""
    key = doc.storage_key
    if key != content_key(doc.sha256) and not await rt.storage.exists(key):
        key = content_key(doc.sha256)
    async for chunk in rt.storage.read(key, start, end):
        yield chunk
