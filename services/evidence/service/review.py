"""The review workflow: scanned → in review → verified | rejected, four eyes, first decision wins."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from kernel.auth import Action
from kernel.errors import Conflict, Forbidden, Unprocessable
from services.evidence.schemas import ReviewIn
from services.evidence.service.audit import event
from services.evidence.service.context import Actor, Runtime
from services.evidence.service.disclosure import authorize, load_visible
from services.evidence.store import repository as repo
from services.evidence.store.models import Document, DocumentStatus


async def submit(*, rt: Runtime, session: AsyncSession, actor: Actor, document_id: uuid.UUID) -> Document:
    """Send a document the uploader kept in ``scanned`` to review."""
    doc = await load_visible(rt=rt, session=session, principal=actor.principal, document_id=document_id)
    await authorize(rt, actor.principal, Action.WRITE, doc.satker)
    if not doc.is_current or doc.status != DocumentStatus.SCANNED:
        raise Conflict(f"only a current document in state scanned can be submitted (it is {doc.status})")
    doc.status = DocumentStatus.IN_REVIEW
    doc.submitted_at = rt.clock()
    await repo.add_event(session, event(actor, "submitted", at=doc.submitted_at, satker=doc.satker, doc=doc))
    await session.flush()
    return doc


async def review(
    *, rt: Runtime, session: AsyncSession, actor: Actor, document_id: uuid.UUID, decision: ReviewIn
) -> Document:
    """Verify or reject (a rejection needs a reason); nobody reviews their own upload."""
    doc = await load_visible(rt=rt, session=session, principal=actor.principal, document_id=document_id)
    await authorize(rt, actor.principal, Action.REVIEW, doc.satker)
    # case-blind: directory-backed providers (Active Directory, ...) treat ``Ana`` and ``ana`` as
    # one account, so a subject differing only in case is still the uploader
    if doc.uploaded_by.casefold() == actor.principal.subject.casefold():
        raise Forbidden("nobody reviews their own upload")
    if not doc.is_current:
        raise Conflict("this revision was corrected; review the current one")
    if doc.status != DocumentStatus.IN_REVIEW:
        raise Conflict(f"only a document in review can be reviewed (it is {doc.status})")
    reason = (decision.reason or "").strip() or None
    if decision.decision == "reject" and reason is None:
        raise Unprocessable("a rejection needs a reason", field="reason")
    now = rt.clock()
    decided = await repo.transition(
        session,
        doc,
        expected=DocumentStatus.IN_REVIEW,
        status=DocumentStatus.VERIFIED if decision.decision == "verify" else DocumentStatus.REJECTED,
        reviewed_by=actor.principal.subject,
        reviewed_at=now,
        review_reason=reason,
    )
    if not decided:  # another reviewer (or a correction) got there first: their decision stands
        raise Conflict("the document was reviewed or corrected meanwhile; reload it")
    await repo.add_event(session, event(actor, doc.status, at=now, satker=doc.satker, doc=doc, reason=reason))
    await session.flush()
    return doc
