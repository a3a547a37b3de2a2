"""The upload protocol of the evidence service, in one place: upload, promotion, sweeping.

Upload protocol (ADR 0005, ADR 0012) — every step leaves a state a crash cannot corrupt:

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

Where each step lives: :func:`upload` runs 1-6 (step 1 is
:func:`services.evidence.service.metadata.check_metadata`; the bytes go through the adapters
``spool``, ``sniff``, ``pdf``, ``scanner``, ``storage``); :func:`promote` is step 6;
:func:`sweep` is the recovery of a crash at any step; :func:`read_object` reads a row whose
promotion may be under way.
"""

from __future__ import annotations

import logging
import os
import time
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import anyio
from sqlalchemy.exc import IntegrityError

from kernel.auth import Action
from kernel.errors import Conflict, PayloadTooLarge, ProblemError, Unprocessable
from services.evidence.adapters.pdf import check_pdf_structure
from services.evidence.adapters.sniff import check_type
from services.evidence.adapters.spool import UploadLock, dead_uploads, spool
from services.evidence.adapters.storage import content_key, staging_key
from services.evidence.schemas import DocumentMetadata, SweepReport
from services.evidence.service.audit import event, record
from services.evidence.service.context import Actor, Runtime
from services.evidence.service.disclosure import authorize, can_read
from services.evidence.service.freeze import ensure_revisable
from services.evidence.service.kinds import KINDS, PDF, file_name
from services.evidence.service.metadata import Duplicate, check_metadata
from services.evidence.store import repository as repo
from services.evidence.store.models import Document, DocumentStatus

log = logging.getLogger("kinerja.evidence")


class MalwareDetected(Unprocessable):
    slug, title = "malware-detected", "Malware detected"


def _fault(rt: Runtime, point: str) -> None:
    if rt.settings.fault_injection == point:
        log.critical("fault injection: exiting hard at %s", point)
        os._exit(86)


async def upload(
    *,
    rt: Runtime,
    actor: Actor,
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
    if supersedes is not None:  # validated evidence is frozen until a reopen (ADR 0024)
        await ensure_revisable(rt, principal, satker, [supersedes.document_date, meta.document_date])
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
                    at=rt.clock(),
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
                    at=rt.clock(),
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
        now = rt.clock()
        doc_id = uuid.uuid4()
        doc = Document(
            id=doc_id,
            lineage_id=supersedes.lineage_id if supersedes else doc_id,  # a first revision starts its lineage
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
                await repo.add_event(s, event(actor, "uploaded", at=now, satker=satker, doc=doc, **ev))
                await repo.add_event(
                    s,
                    event(
                        actor, "scanned", at=now, satker=satker, doc=doc, result=result.status, scanner=result.scanner
                    ),
                )
                if submit:
                    await repo.add_event(s, event(actor, "submitted", at=now, satker=satker, doc=doc))
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
