"""``POST /api/v1/scoring/manuals/validate``: the registry asks before it stores a manual."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Body, Request

from kernel.auth import PrincipalDep
from kernel.errors import PROBLEM_RESPONSES, FieldError, Unprocessable
from services.scoring.engine.manual import ManualError
from services.scoring.engine.rules import RuleSetError, validate_rule_set

router = APIRouter(prefix="/api/v1/scoring", tags=["manuals"], responses=PROBLEM_RESPONSES)


@router.post("/manuals/validate", summary="Validate an IKU manual document")
async def validate_manual(
    request: Request,
    principal: PrincipalDep,
    document: Any = Body(..., description="the manual document (JSON)"),
) -> dict[str, bool]:
    """200 ``{"valid": true}``, or 422 problem+json with ``errors[].field`` = JSON path inside the manual."""
    try:
        request.app.state.manuals.get(document)
    except ManualError as exc:
        errors = [FieldError(field=path, reason=reason) for path, reason in exc.errors]
        raise Unprocessable(f"invalid manual: {exc.errors[0][0]}: {exc.errors[0][1]}", errors=errors) from None
    return {"valid": True}


@router.post("/rule-sets/validate", summary="Validate a rule set document")
async def post_validate_rule_set(
    principal: PrincipalDep,
    document: Any = Body(..., description="the rule set document (JSON), code and version included"),
) -> dict[str, bool]:
    """200 ``{"valid": true}``, or 422 problem+json with ``errors[].field`` = JSON path inside the
    document. The registry asks before it stores a rule set: the same model the engine parses
    with, so a stored rule set can always be scored (ADR 0004)."""
    try:
        validate_rule_set(document)
    except RuleSetError as exc:
        errors = [FieldError(field=path, reason=reason) for path, reason in exc.errors]
        raise Unprocessable(f"invalid rule set: {exc.errors[0][0]}: {exc.errors[0][1]}", errors=errors) from None
    return {"valid": True}
