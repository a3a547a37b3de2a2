"""HTTP routers of the registry (thin: parse, authorise, call the domain, shape the response)."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from kernel.auth import current_principal
from kernel.errors import PROBLEM_RESPONSES


def build_router() -> APIRouter:
    from services.registry.api import agreements, cycle, measures, rule_sets, satkers, transfer, zi

    router = APIRouter(
        prefix="/api/v1/registry", dependencies=[Depends(current_principal)], responses=PROBLEM_RESPONSES
    )
    for module in (satkers, rule_sets, agreements, measures, transfer, zi, cycle):
        router.include_router(module.router)
    return router
