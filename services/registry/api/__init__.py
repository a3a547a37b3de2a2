"""HTTP routers of the registry (thin: parse, authorise, call a use case in service/, shape the response)."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from kernel.auth import current_principal
from kernel.errors import PROBLEM_RESPONSES


def build_router() -> APIRouter:
    from services.registry.api import (
        agreements,
        cycle,
        history,
        measures,
        notifications,
        rule_sets,
        satkers,
        transfer,
        zi,
        zi_evaluations,
        zi_workbook,
    )

    router = APIRouter(
        prefix="/api/v1/registry", dependencies=[Depends(current_principal)], responses=PROBLEM_RESPONSES
    )
    for module in (
        satkers,
        rule_sets,
        agreements,
        measures,
        transfer,
        zi,
        zi_evaluations,
        zi_workbook,
        history,
        cycle,
        notifications,
    ):
        router.include_router(module.router)
    return router
