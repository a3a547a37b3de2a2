"""Scoring's reads of its peers (ADR 0017: in scoring, ``store/`` holds the peer clients' calls).

Scoring owns no database; what it scores it reads per request from the registry (the agreement
bundle, the ZI template) and the evidence service (the facts of the IKU whose manual reads
evidence). The caller's token is forwarded, so the peer authorises the original caller. Every
path of those peers that scoring calls is named here and nowhere else.

The bundle and the evidence facts are contracts (ADR 0016, :mod:`contracts.bundle`,
:mod:`contracts.evidence`): each answer is checked here, once, against its model, and handed on
as the plain dicts the engine reads. A field the peer left out is a 502 naming it
(``indicators.3.polarity``), never a default further down; a field the contract does not know
is dropped (tolerant reader, so a newer peer does not break this one).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any, TypeVar

from pydantic import ValidationError

from contracts.bundle import AS_OF_HEADER, Bundle, read_bundle, read_bundles
from contracts.evidence import IndicatorFacts, ManyIndicatorFacts, read_facts, read_many_facts
from kernel.client import ServiceClient
from kernel.errors import UpstreamError, dotted, validation_problem

BUNDLE = "/api/v1/registry/satkers/{code}/agreements/{year}/bundle"
BUNDLES = "/api/v1/registry/satkers/{code}/agreements/{year}/bundles"
AGGREGATES = "/api/v1/evidence/satkers/{code}/aggregates"
ZI_TEMPLATE = "/api/v1/registry/zi/templates/{code}/versions/{version}"
ZI_TEMPLATE_FOR_YEAR = "/api/v1/registry/zi/templates/for-year/{year}"


T = TypeVar("T")


def _as_of(as_of: str | None) -> dict[str, Any] | None:
    return {"as_of": as_of} if as_of else None


def checked(read: Callable[[Any], T], body: Any, *, what: str) -> T:
    """``body`` read by a contract's reader; a body that breaks the contract is the peer's fault:
    a 502 whose ``errors[]`` name the fields (the kernel's one converter)."""
    try:
        return read(body)
    except ValidationError as exc:
        raise validation_problem(
            exc,
            locate=partial(dotted, empty="body"),
            error=UpstreamError,
            prefix=f"{what} does not meet its contract: ",
        ) from None


@dataclass(frozen=True, slots=True)
class BundleRead:
    """A conditional read of a bundle: ``bundle`` is ``None`` when the copy named by the request's
    ETag is current (304), and ``as_of`` then the moment the copy stands for now; ``etag``: the
    registry's tag of the answer (``None``: a registry without tags, nothing to keep)."""

    bundle: Bundle | None
    etag: str | None
    as_of: str | None


async def bundle_unless_current(
    registry: ServiceClient, *, token: str | None, code: str, year: int, as_of: str | None, etag: str | None
) -> BundleRead:
    """The satker's agreement bundle of ``year`` (one registry request), checked, unless the
    registry says the copy tagged ``etag`` is current (ADR 0026; ``etag=None``: always the
    bundle). A 304 must say the moment of the read (``Kinerja-As-Of``; without it a 502); a 200
    carries it in the body already, and one without an ``ETag`` (a registry from before ADR 0026)
    is simply not kept."""
    body, headers = await registry.get_json_unless_current(
        BUNDLE.format(code=code, year=year), token=token, etag=etag, params=_as_of(as_of)
    )
    if body is None:
        moment = headers.get(AS_OF_HEADER)
        if not moment:
            raise UpstreamError(f"the registry's 304 for the bundle has no {AS_OF_HEADER} header", field=AS_OF_HEADER)
        return BundleRead(None, headers.get("etag"), moment)
    return BundleRead(checked(read_bundle, body, what="the registry's bundle"), headers.get("etag"), None)


async def bundles(
    registry: ServiceClient, *, token: str | None, code: str, year: int, as_of: str | None
) -> list[Bundle]:
    """The bundles of the satker and every satker under it with an agreement that year (one
    request), checked."""
    body = await registry.get_json(BUNDLES.format(code=code, year=year), token=token, params=_as_of(as_of))
    return checked(read_bundles, body, what="the registry's list of bundles")["items"]


async def aggregates(
    evidence: ServiceClient,
    *,
    token: str | None,
    code: str,
    year: int,
    period: str,
    indicators: list[str],
    as_of: str | None,
) -> dict[str, IndicatorFacts]:
    """The evidence facts of ``indicators`` by code, checked (``indicator`` repeated: ONE request
    per satker, so evidence checks the caller's right to the satker once). One code is answered
    in the one-IKU shape, several in the ``{"indicators": {code: ...}}`` shape (contracts §8);
    an IKU asked for and not answered is a 502 naming it."""
    params: dict[str, Any] = {"year": year, "period": period, "indicator": indicators}
    if as_of:
        params["as_of"] = as_of
    body = await evidence.get_json(AGGREGATES.format(code=code), token=token, params=params)
    if len(indicators) == 1:
        return {indicators[0]: checked(read_facts, body, what="the evidence facts")}
    many: ManyIndicatorFacts = checked(read_many_facts, body, what="the evidence facts")
    got = many["indicators"]
    missing = [c for c in indicators if c not in got]
    if missing:
        raise UpstreamError(f"evidence answered no aggregates for {', '.join(missing)}", field="indicators")
    return {c: got[c] for c in indicators}


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
