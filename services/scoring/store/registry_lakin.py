"""The registry read of the LAKIN report (issue 12, ADR 0019): history, plan targets and budgets of
a satker-year in one request (``GET /satkers/{code}/lakin/{year}``).

One request rather than four (history, plans, this year's and last year's budget): each request
pays the registry's whole stack (middleware, token check, the satker's authorisation lookup, a
session), which was most of the report's time (ADR 0019, "Speed"). The caller's token is
forwarded, so the registry authorises the original caller.
"""

from __future__ import annotations

from kernel.client import ServiceClient
from services.scoring.schemas import LakinInputs

LAKIN = "/api/v1/registry/satkers/{code}/lakin/{year}"


async def inputs(registry: ServiceClient, *, token: str | None, code: str, year: int, years: int) -> LakinInputs:
    """History of the ``years`` years ending with ``year``, plans of ``year``, budgets of ``year``
    and ``year - 1`` (each ``None`` when the registry holds none)."""
    body = await registry.get_json(LAKIN.format(code=code, year=year), token=token, params={"years": years})
    return LakinInputs.model_validate(body)
