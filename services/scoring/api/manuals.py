"""``POST /api/v1/scoring/manuals/validate``: the registry asks before it stores a manual."""

from __future__ import annotations

from functools import partial
from typing import Any

from fastapi import APIRouter, Body, Request
from pydantic import ValidationError

from contracts.rule_set import FORMAT as RULE_SET_FORMAT
from contracts.rule_set import RuleSetDocument, check_rule_set
from kernel.auth import PrincipalDep
from kernel.errors import PROBLEM_RESPONSES, FieldError, Unprocessable, json_path, validation_problem
from services.scoring.engine.manual import ManualError
from services.scoring.engine.rules import RuleSetError, validate_rule_set

router = APIRouter(prefix="/api/v1/scoring", tags=["manuals"], responses=PROBLEM_RESPONSES)


@router.post(
    "/manuals/validate",
    summary="Validate an IKU manual document",
    description='The registry asks before it stores a manual: 200 `{"valid": true}`, or a 422 whose '
    "`errors[].field` is the JSON path inside the manual (e.g. `realization.args[0]`).",
)
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


@router.post(
    "/rule-sets/validate",
    summary="Validate a rule set document",
    description=f'The registry asks before it stores a rule set: 200 `{{"valid": true}}`, or a 422 whose '
    f"`errors[].field` is the JSON path inside the document. Checked against the contract `{RULE_SET_FORMAT}` "
    "(contracts/rule_set.py: no unknown key anywhere) and then by the model the engine scores with (weights, "
    "bands, known formulas), so a stored rule set can always be scored (ADR 0004).",
)
async def post_validate_rule_set(
    principal: PrincipalDep,
    document: RuleSetDocument | Any = Body(..., description="the rule set document (JSON), code and version included"),
) -> dict[str, bool]:
    try:
        check_rule_set(document)
    except ValidationError as exc:
        raise validation_problem(exc, locate=partial(json_path, root=""), prefix="invalid rule set: ") from None
    try:
        validate_rule_set(document)
    except RuleSetError as exc:
        errors = [FieldError(field=path, reason=reason) for path, reason in exc.errors]
        raise Unprocessable(f"invalid rule set: {exc.errors[0][0]}: {exc.errors[0][1]}", errors=errors) from None
    return {"valid": True}
