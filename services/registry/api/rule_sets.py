"""Rule sets: ``/api/v1/registry/rule-sets`` (readable by every authenticated caller, written by admins)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Body, status

from kernel.auth import Action, PrincipalDep, ensure_allowed
from kernel.db import SessionDep
from kernel.types import ensure_no_nul
from services.registry.api.deps import VersionPath, utcnow
from services.registry.domain import rule_sets as service
from services.registry.domain.schemas import RuleSetOut

router = APIRouter(tags=["rule_sets"])


@router.get("/rule-sets", summary="Every rule set version")
async def list_rule_sets(session: SessionDep, principal: PrincipalDep, code: str | None = None) -> list[RuleSetOut]:
    # Rule sets are regulations, not satker data: any authenticated caller may read them.
    return [service.to_out(r) for r in await service.list_all(session=session, code=code)]


@router.get("/rule-sets/{code}/versions/{version}", summary="One rule set version")
async def get_rule_set(code: str, version: VersionPath, session: SessionDep, principal: PrincipalDep) -> RuleSetOut:
    return service.to_out(await service.get(session=session, code=code, version=version))


@router.post("/rule-sets", status_code=status.HTTP_201_CREATED, summary="Store a new rule set version (admin)")
async def create_rule_set(
    session: SessionDep, principal: PrincipalDep, document: dict[str, Any] = Body(...)
) -> RuleSetOut:
    ensure_allowed(principal, Action.MANAGE, [])
    ensure_no_nul(document, "document")
    return service.to_out(
        await service.create(session=session, document=document, actor=principal.subject, now=utcnow())
    )
