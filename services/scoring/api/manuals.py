"""``POST /api/v1/scoring/manuals/validate``: the registry asks before it stores a manual."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Body, Request

from kernel.auth import PrincipalDep
from kernel.errors import PROBLEM_RESPONSES, FieldError, Unprocessable
from services.scoring.engine.manual import ManualError

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
