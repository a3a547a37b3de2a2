"""The evidence pack: one zip per satker, IKU and period, streamed while it is built.

``zipfile`` writes to a non-seekable sink with data descriptors (sizes/CRC after each member),
so the archive is produced chunk by chunk from the storage stream: memory stays at one chunk,
whatever the pack size. Members are stored, not deflated (scans and PDFs are compressed already).
``manifest.json`` comes last and lists every file with its sha256 (re-checked while streaming)
and its review trail from the audit log.
"""

from __future__ import annotations

import hashlib
import json
import zipfile
from collections.abc import AsyncIterator, Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from contracts.periods import window_bounds
from kernel.auth import Action
from services.evidence.service.audit import event, record
from services.evidence.service.context import Actor, Runtime
from services.evidence.service.disclosure import authorize
from services.evidence.service.kinds import EXTENSIONS
from services.evidence.service.upload import read_object
from services.evidence.store import repository as repo
from services.evidence.store.models import AuditEvent, Document, DocumentStatus


class _Sink:
    """A write-only, non-seekable file object whose bytes are drained after every write."""

    def __init__(self) -> None:
        self._parts: list[bytes] = []
        self._pos = 0

    def write(self, b: bytes) -> int:
        self._parts.append(bytes(b))
        self._pos += len(b)
        return len(b)

    def tell(self) -> int:
        return self._pos

    def flush(self) -> None:
        return None

    def seekable(self) -> bool:
        return False

    def close(self) -> None:
        return None

    def drain(self) -> bytes:
        out = b"".join(self._parts)
        self._parts.clear()
        return out


def member_name(doc: Document) -> str:
    safe = "".join(c if c.isalnum() or c in "-._" else "_" for c in doc.number)
    ext = EXTENSIONS.get(doc.media_type, ("",))[0]
    return f"{doc.kind.replace(' ', '_')}/{safe}_r{doc.revision}{ext}"


async def stream_pack(
    read: Callable[[Document], AsyncIterator[bytes]],
    docs: Sequence[Document],
    trail: Sequence[AuditEvent],
    header: dict[str, Any],
) -> AsyncIterator[bytes]:
    sink = _Sink()
    zf = zipfile.ZipFile(sink, mode="w", compression=zipfile.ZIP_STORED, allowZip64=True)
    by_doc: dict[Any, list[dict[str, Any]]] = {}
    for ev in trail:
        if ev.action in {"downloaded", "pack_downloaded"}:
            continue
        by_doc.setdefault(ev.document_id, []).append(
            {
                "at": ev.at.isoformat(),
                "action": ev.action,
                "actor": ev.actor,
                "role": ev.actor_role,
                "reason": ev.detail.get("reason"),
            }
        )
    entries = []
    for doc in docs:
        name = member_name(doc)
        info = zipfile.ZipInfo(name, date_time=doc.uploaded_at.timetuple()[:6])
        info.compress_type = zipfile.ZIP_STORED
        digest = hashlib.sha256()
        with zf.open(info, mode="w", force_zip64=doc.size > 2**31) as member:
            async for chunk in read(doc):
                digest.update(chunk)
                member.write(chunk)
                out = sink.drain()
                if out:
                    yield out
        if digest.hexdigest() != doc.sha256:
            raise RuntimeError(f"stored object of {doc.id} does not match its sha256")  # ends the stream broken
        yield sink.drain()
        entries.append(
            {
                "file": name,
                "document_id": str(doc.id),
                "kind": doc.kind,
                "number": doc.number,
                "issuer": doc.issuer,
                "document_date": doc.document_date.isoformat(),
                "revision": doc.revision,
                "status": doc.status,
                "sha256": doc.sha256,
                "size": doc.size,
                "media_type": doc.media_type,
                "scan_status": doc.scan_status,
                "parent_lineage_id": str(doc.parent_lineage_id or "") or None,
                "fields": doc.fields,
                "review_trail": by_doc.get(doc.id, []),
            }
        )
    manifest = header | {"generated_at": datetime.now(UTC).isoformat(), "documents": entries}
    zf.writestr("manifest.json", json.dumps(manifest, ensure_ascii=False, indent=2, default=str))
    zf.close()
    yield sink.drain()


#: more documents than one IKU of one satker gathers in a period
MAX_PACK_DOCUMENTS = 100_000


async def evidence_pack(
    *,
    rt: Runtime,
    session: AsyncSession,
    actor: Actor,
    satker: str,
    indicator: str,
    year: int,
    period: str,
    include_unverified: bool,
) -> AsyncIterator[bytes]:
    """The zip of one IKU's documents in a period (verified ones, or every current revision),
    with their review trail; the download is logged before the first byte."""
    await authorize(rt, actor.principal, Action.READ, satker)
    start, end = window_bounds(year, period)
    docs, _ = await repo.search(
        session,
        satker=satker,
        indicator=indicator,
        year=year,
        date_from=start,
        date_to=end,
        status=None if include_unverified else DocumentStatus.VERIFIED,
        limit=MAX_PACK_DOCUMENTS,
    )
    trail = await repo.events_of(session, [d.id for d in docs])
    await record(
        rt,
        event(
            actor,
            "pack_downloaded",
            at=rt.clock(),
            satker=satker,
            indicator=indicator,
            year=year,
            period=period,
            documents=len(docs),
        ),
    )
    header = {
        "satker": satker,
        "indicator": indicator,
        "year": year,
        "period": period,
        "window": {"from": start.isoformat(), "to": end.isoformat()},
        "basis": "all current revisions" if include_unverified else "verified",
        "generated_by": actor.principal.subject,
    }
    return stream_pack(lambda d: read_object(rt, d), list(docs), list(trail), header)
