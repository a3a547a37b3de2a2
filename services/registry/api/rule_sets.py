"""Rule sets: ``/api/v1/registry/rule-sets`` (readable by every authenticated caller, written by admins)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Body, Request, status

from kernel.auth import Action, Principal, PrincipalDep, ensure_allowed
from kernel.client import ServiceClient
from kernel.db import ReadSessionDep, SessionDep
from kernel.pagination import Page, PageDep, page_of
from kernel.params import DocumentCodePath
from kernel.types import ensure_no_nul
from services.registry.api.deps import VersionPath, utcnow
from services.registry.schemas import RuleSetOut
from services.registry.service import rule_sets as service

router = APIRouter(tags=["rule_sets"])

RULE_SET_VALIDATE_PATH = "/api/v1/scoring/rule-sets/validate"


def rule_set_validator(request: Request, principal: Principal) -> service.RuleSetValidator:
    """Validation by the scoring service, which owns the rule-set document (contracts §7): its 422
    is relayed with the field path; no scoring peer = 503, never an unvalidated rule set."""

    async def validate(document: dict[str, Any]) -> None:
        scoring: ServiceClient = request.app.state.peers["scoring"]
        await scoring.request("POST", RULE_SET_VALIDATE_PATH, token=principal.token, json=document)

    return validate


@router.get(
    "/rule-sets",
    summary="Every rule set version",
    description=(
        "Every stored rule-set version (e.g. KMK-300-2022 v1, KMK-127-2026 v1) with its document: "
        "polarity formulas, index bounds, perspective weights, predicates and status bands (contracts.md "
        "§7)."
    ),
)
async def list_rule_sets(
    session: ReadSessionDep, principal: PrincipalDep, page: PageDep, code: str | None = None
) -> Page[RuleSetOut]:
    # Rule sets are regulations, not satker data: any authenticated caller may read them.
    return page_of([service.to_out(r) for r in await service.list_all(session=session, code=code)], page)


@router.get(
    "/rule-sets/{code}/versions/{version}",
    summary="One rule set version",
    description="One rule-set version with its document, e.g. `KMK-300-2022` version 1.",
)
async def get_rule_set(
    code: DocumentCodePath, version: VersionPath, session: ReadSessionDep, principal: PrincipalDep
) -> RuleSetOut:
    return service.to_out(await service.get(session=session, code=code, version=version))


@router.post(
    "/rule-sets",
    status_code=status.HTTP_201_CREATED,
    summary="Store a new rule set version (admin)",
    description=(
        "Store a new version of a rule set. The document is validated by scoring's model (`POST "
        "/api/v1/scoring/rule-sets/validate`): a 422 names the field inside it. Stored versions never "
        "change."
    ),
)
async def create_rule_set(
    request: Request, session: SessionDep, principal: PrincipalDep, document: dict[str, Any] = Body(...)
) -> RuleSetOut:
    ensure_allowed(principal, Action.MANAGE, [])
    ensure_no_nul(document, "document")
    return service.to_out(
        await service.create(
            session=session,
            document=document,
            validator=rule_set_validator(request, principal),
            actor=principal.subject,
            now=utcnow(),
        )
    )
