"""Scoring's reads of its peers (ADR 0017: in scoring, ``store/`` holds the peer clients' calls).

Scoring owns no database; what it scores it reads per request from the registry (the agreement
bundle, the ZI template) and the evidence service (the facts of the IKU whose manual reads
evidence). The caller's token is forwarded, so the peer authorises the original caller. Every
path of those peers that scoring calls is named here and nowhere else.
"""

from __future__ import annotations

from typing import Any

from kernel.client import ServiceClient

BUNDLE = "/api/v1/registry/satkers/{code}/agreements/{year}/bundle"
BUNDLES = "/api/v1/registry/satkers/{code}/agreements/{year}/bundles"
AGGREGATES = "/api/v1/evidence/satkers/{code}/aggregates"
ZI_TEMPLATE = "/api/v1/registry/zi/templates/{code}/versions/{version}"
ZI_TEMPLATE_FOR_YEAR = "/api/v1/registry/zi/templates/for-year/{year}"


def _as_of(as_of: str | None) -> dict[str, Any] | None:
    return {"as_of": as_of} if as_of else None


async def bundle(
    registry: ServiceClient, *, token: str | None, code: str, year: int, as_of: str | None
) -> dict[str, Any]:
    """The satker's agreement bundle of ``year`` (one registry request)."""
    body: dict[str, Any] = await registry.get_json(
        BUNDLE.format(code=code, year=year), token=token, params=_as_of(as_of)
    )
    return body


async def bundles(
    registry: ServiceClient, *, token: str | None, code: str, year: int, as_of: str | None
) -> list[dict[str, Any]]:
    """The bundles of the satker and every satker under it with an agreement that year (one request)."""
    body = await registry.get_json(BUNDLES.format(code=code, year=year), token=token, params=_as_of(as_of))
    items: list[dict[str, Any]] = body["items"]
    return items


async def aggregates(
    evidence: ServiceClient,
    *,
    token: str | None,
    code: str,
    year: int,
    period: str,
    indicators: list[str],
    as_of: str | None,
) -> Any:
    """The evidence aggregates of ``indicators`` (``indicator`` repeated: ONE request per satker,
    so evidence checks the caller's right to the satker once). One code answers the one-IKU
    shape, several the ``{"indicators": {code: ...}}`` shape (contracts §8)."""
    params: dict[str, Any] = {"year": year, "period": period, "indicator": indicators}
    if as_of:
        params["as_of"] = as_of
    return await evidence.get_json(AGGREGATES.format(code=code), token=token, params=params)


async def zi_template(
    registry: ServiceClient, *, token: str | None, code: str | None, version: int | None, year: int | None
) -> dict[str, Any] | None:
    """The ZI template version named by ``code``+``version``, else the one of evaluation ``year``;
    ``None`` when neither is named (the caller's input error, the use case says which field)."""
    if code is not None and version is not None:
        path = ZI_TEMPLATE.format(code=code, version=version)
    elif year is not None:
        path = ZI_TEMPLATE_FOR_YEAR.format(year=year)
    else:
        return None
    row: dict[str, Any] = await registry.get_json(path, token=token)
    return row
