"""What a caller may see (ADR 0012): rights from the registry's tree, and one refusal for what is
out of reach and what does not exist (:func:`kernel.auth.unseen`)."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from kernel.auth import Action, Principal, ensure_allowed, reads_everything, unseen
from kernel.errors import Forbidden, NotFound, ProblemError, Unprocessable
from services.evidence.service.context import Runtime
from services.evidence.store import repository as repo
from services.evidence.store.models import Document


async def satker_path(rt: Runtime, principal: Principal, code: str, *, cached: bool = False) -> list[str]:
    """The satker's path from the registry (the caller's token forwarded); ``cached``: a path the
    registry answered less than ``satker_path_ttl_seconds`` ago will do (READ checks, ADR 0014)."""
    if cached and (path := rt.satker_paths.get(code)) is not None:
        return path
    body = await rt.peers["registry"].get_json(f"/api/v1/registry/satkers/{code}", token=principal.token)
    path = [str(p) for p in body["path"]]
    rt.satker_paths.put(code, path)
    return path


async def authorize(rt: Runtime, principal: Principal, action: Action, satker: str) -> list[str]:
    """Allow ``action`` on ``satker`` or refuse; the satker's path root..satker (from the registry).

    A satker the caller may not read answers as one that does not exist (:func:`unseen`). A READ
    may use a recently read path (ADR 0014): the caller's own right is checked against it here,
    the same check as after a registry answer; WRITE, REVIEW and the rest always ask the registry.
    """
    try:
        path = await satker_path(rt, principal, satker, cached=action == Action.READ)
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


SUBTREE_PAGE = 500  # the registry's largest page


async def subtree(rt: Runtime, principal: Principal, satker: str) -> set[str]:
    """The satker under ``satker`` (and itself), as far as the caller may read them.

    The registry answers the subtree in pages (``{items, total, limit, offset}``, kernel.pagination):
    every page is read, so a big Kanwil's last offices are not silently missing."""
    codes: set[str] = set()
    offset = 0
    while True:
        body = await rt.peers["registry"].get_json(
            f"/api/v1/registry/satkers/{satker}/subtree",
            token=principal.token,
            params={"limit": SUBTREE_PAGE, "offset": offset},
        )
        items = body["items"]
        codes |= {str(s["code"]) for s in items}
        offset += len(items)
        if not items or offset >= int(body["total"]):
            return codes


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


async def load_visible(*, rt: Runtime, session: AsyncSession, principal: Principal, document_id: uuid.UUID) -> Document:
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
