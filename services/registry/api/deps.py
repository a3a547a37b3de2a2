"""Request helpers shared by the routers: clock, ``as_of``, satker authorisation, manual validation."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import Path, Query, Request
from sqlalchemy.ext.asyncio import AsyncSession

from kernel.auth import Action, Principal, Role, ensure_allowed, reads_everything, unseen
from kernel.client import ServiceClient
from kernel.errors import NotFound
from services.registry.service import satkers as satkers_service
from services.registry.service.agreements import ManualValidator
from services.registry.store.models import Satker

AsOfQuery = Annotated[
    datetime | None,
    Query(description="ISO-8601 instant: read the records as they stood then (default: now; no zone = UTC)"),
]

#: Years an agreement may have (as AgreementCreate): out of range is a 422, never a database overflow.
YearPath = Annotated[int, Path(ge=2000, le=2100, description="agreement year")]
#: Versions are PostgreSQL INTEGER columns.
VersionPath = Annotated[int, Path(ge=1, le=2**31 - 1)]

MANUAL_VALIDATE_PATH = "/api/v1/scoring/manuals/validate"


def utcnow() -> datetime:
    return datetime.now(UTC)


def resolve_as_of(as_of: datetime | None) -> datetime:
    if as_of is None:
        return utcnow()
    return as_of if as_of.tzinfo is not None else as_of.replace(tzinfo=UTC)


async def authorize(session: AsyncSession, principal: Principal, action: Action, code: str) -> list[Satker]:
    """Load the satker's lineage and check ``action`` on its path (403).

    A satker the caller may not even read answers exactly like an unknown code
    (:func:`kernel.auth.unseen`, 403): a 404 for one and a 403 for the other would tell which
    foreign satker exist. Only callers who read everything get the 404 of an unknown code."""
    try:
        lineage = await satkers_service.lineage(session=session, code=code)
    except NotFound:
        if reads_everything(principal):
            raise
        raise unseen(principal, f"satker {code}") from None
    path = [s.code for s in lineage]
    if not principal.allows(Action.READ, path):
        raise unseen(principal, f"satker {code}")
    ensure_allowed(principal, action, path)
    return lineage


def ensure_may_close(principal: Principal, path: list[str]) -> None:
    """Closing a period: MANAGE (admin) or a kanwil_manager over the satker's subtree."""
    if principal.role is Role.KANWIL_MANAGER:
        ensure_allowed(principal, Action.WRITE, path)
    else:
        ensure_allowed(principal, Action.MANAGE, path)


def manual_validator(request: Request, principal: Principal) -> ManualValidator:
    """Validation of a manual by the scoring service (its 422 is relayed; no scoring peer = 503)."""

    async def validate(document: dict[str, Any]) -> None:
        scoring: ServiceClient = request.app.state.peers["scoring"]
        await scoring.request("POST", MANUAL_VALIDATE_PATH, token=principal.token, json=document)

    return validate
