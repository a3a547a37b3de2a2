"""The registry reads of the LAKIN report (issue 12): history, plan targets, budget of a satker.

Each is one request in the normal case (history and plans page through ``limit=500``); the
caller's token is forwarded, so the registry authorises the original caller.
"""

from __future__ import annotations

from typing import Any

from kernel.client import ServiceClient
from kernel.errors import ProblemError
from services.scoring.schemas import Budget, HistoryRow, PlanRow

HISTORY = "/api/v1/registry/satkers/{code}/history"
PLANS = "/api/v1/registry/satkers/{code}/plans"
BUDGET = "/api/v1/registry/satkers/{code}/budget/{year}"
PAGE = 500


async def _all(registry: ServiceClient, path: str, token: str | None, params: dict[str, Any]) -> list[Any]:
    items: list[Any] = []
    while True:
        body = await registry.get_json(path, token=token, params={**params, "limit": PAGE, "offset": len(items)})
        items += body["items"]
        if len(items) >= body["total"] or not body["items"]:
            return items


async def history(registry: ServiceClient, *, token: str | None, code: str, year_to: int) -> list[HistoryRow]:
    rows = await _all(registry, HISTORY.format(code=code), token, {"year_to": year_to})
    return [HistoryRow.model_validate(r) for r in rows]


async def plans(registry: ServiceClient, *, token: str | None, code: str, year: int) -> list[PlanRow]:
    rows = await _all(registry, PLANS.format(code=code), token, {"year": year})
    return [PlanRow.model_validate(r) for r in rows]


async def budget(registry: ServiceClient, *, token: str | None, code: str, year: int) -> Budget | None:
    """The satker's budget of ``year``, or ``None`` when the registry holds none (a report
    without a budget chapter, not an error)."""
    try:
        body = await registry.get_json(BUDGET.format(code=code, year=year), token=token)
    except ProblemError as exc:
        if exc.status_code != 404:
            raise
        return None
    return Budget.model_validate(body)
