"""The scoring service layer: one bulk read of the registry, evidence when a manual needs it, the engine.

No cache of scores: every request reads the registry bundle (ONE request) and recomputes, so a
changed target, measure, manual or rule set shows in the next answer. Parsed manuals are cached
by content only (see :mod:`services.scoring.domain.manuals`), which cannot go stale.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

import anyio
from fastapi import Request

from kernel.auth import Action, Principal, ensure_allowed
from kernel.errors import FieldError as KFieldError
from kernel.errors import Unprocessable, UpstreamError
from services.scoring.engine.evaluate import Evidence
from services.scoring.engine.numbers import ZERO
from services.scoring.engine.rules import achievement
from services.scoring.engine.scorecard import (
    BundleError,
    Indicator,
    Prepared,
    Scorecard,
    prepare,
    realise,
    score,
)

log = logging.getLogger("kinerja.scoring")

BUNDLE = "/api/v1/registry/satkers/{code}/agreements/{year}/bundle"
BUNDLES = "/api/v1/registry/satkers/{code}/agreements/{year}/bundles"
AGGREGATES = "/api/v1/evidence/satkers/{code}/aggregates"
EVIDENCE_CONCURRENCY = 4  # evidence requests in flight for one consolidated view


def _prepare(request: Request, bundle: Mapping[str, Any]) -> Prepared:
    try:
        cache = request.app.state.manuals
        return prepare(bundle, parse=cache.get, parse_rules=cache.rule_set)
    except BundleError as exc:
        raise Unprocessable(
            "the agreement's data cannot be scored: " + str(exc),
            errors=[KFieldError(field=p, reason=r) for p, r in exc.errors],
        ) from None


async def load(request: Request, principal: Principal, code: str, year: int, as_of: str | None) -> Prepared:
    """The satker's bundle (one registry request; the caller's token is forwarded)."""
    params = {"as_of": as_of} if as_of else None
    bundle = await request.app.state.peers["registry"].get_json(
        BUNDLE.format(code=code, year=year), token=principal.token, params=params
    )
    ensure_allowed(principal, Action.READ, bundle["satker"]["path"])
    return _prepare(request, bundle)


async def load_subtree(
    request: Request, principal: Principal, code: str, year: int, as_of: str | None
) -> list[Prepared]:
    """The satker and every satker under it with an agreement that year (one registry request)."""
    params = {"as_of": as_of} if as_of else None
    body = await request.app.state.peers["registry"].get_json(
        BUNDLES.format(code=code, year=year), token=principal.token, params=params
    )
    items = [b for b in body.get("items", []) if principal.allows(Action.READ, b["satker"]["path"])]
    if not any(b["satker"]["code"] == code for b in items):
        from kernel.errors import NotFound

        raise NotFound(f"satker {code} has no agreement for {year}")
    root = next(b for b in items if b["satker"]["code"] == code)
    ensure_allowed(principal, Action.READ, root["satker"]["path"])
    return [_prepare(request, b) for b in items]


async def evidence_for(
    request: Request, principal: Principal, prepared: Prepared, period: str, *, as_submitted: bool = False
) -> dict[str, Evidence]:
    """The evidence the period's scores use: the verified facts once the period is declared
    complete (submitted; ADR 0020), none before (the reported realisation stands).
    ``as_submitted``: as if it were submitted (the registry's check before a submission)."""
    from services.scoring.service.cycle import evidence_path_applies

    raw = await fetch_evidence(request, principal, prepared, period)
    return raw if as_submitted or evidence_path_applies(prepared, period) else {}


async def fetch_evidence(
    request: Request, principal: Principal, prepared: Prepared, period: str
) -> dict[str, Evidence]:
    """Evidence aggregates for the IKU whose manual reads evidence (contracts §8).

    ONE evidence request per satker for all of them (``indicator`` repeated), so evidence checks
    the caller's right to the satker once. Only when the evidence service is part of the
    deployment (a deployment choice: without it the manuals use the reported realisation). When
    it is part of the deployment but cannot answer, the request fails (503/502 problem): a score
    that silently changes with the availability of a service is worse than no score.
    """
    peers = request.app.state.peers
    wanted = [i.code for i in prepared.indicators if i.uses_evidence]
    if not wanted or not peers.has("evidence"):
        return {}
    params: dict[str, Any] = {"year": prepared.agreement.get("year"), "period": period, "indicator": wanted}
    if prepared.as_of:
        params["as_of"] = prepared.as_of
    body = await peers["evidence"].get_json(
        AGGREGATES.format(code=prepared.satker["code"]), token=principal.token, params=params
    )
    if len(wanted) == 1:  # one code: the one-IKU answer itself
        return {wanted[0]: body}
    got: dict[str, Evidence] = body.get("indicators") or {}
    missing = [code for code in wanted if code not in got]
    if missing:
        raise UpstreamError(f"evidence answered no aggregates for {', '.join(missing)}")
    return {code: got[code] for code in wanted}


async def scorecard(
    request: Request, principal: Principal, prepared: Prepared, period: str, *, trace: bool = False
) -> Scorecard:
    evidence = await evidence_for(request, principal, prepared, period)
    return score(prepared, period, evidence=evidence, trace=trace)


async def members_evidence(
    request: Request, principal: Principal, members: list[Prepared], period: str, *, as_submitted: bool = False
) -> dict[str, dict[str, Evidence]]:
    """Evidence of several satker (a Kanwil's view), satker code → indicator → aggregates: read
    concurrently, at most :data:`EVIDENCE_CONCURRENCY` requests at a time."""
    evidence: list[dict[str, Evidence]] = [{} for _ in members]
    limiter = anyio.CapacityLimiter(EVIDENCE_CONCURRENCY)
    failed: list[Exception] = []

    async def fetch(i: int, p: Prepared) -> None:
        async with limiter:
            if failed:
                return
            try:
                evidence[i] = await evidence_for(request, principal, p, period, as_submitted=as_submitted)
            except Exception as exc:  # re-raised below as itself (a task group would wrap it)
                failed.append(exc)

    async with anyio.create_task_group() as tg:
        for i, p in enumerate(members):
            tg.start_soon(fetch, i, p)
    if failed:
        raise failed[0]
    return {p.satker["code"]: ev for p, ev in zip(members, evidence, strict=True)}


def score_members(
    members: list[Prepared], period: str, evidence: Mapping[str, Mapping[str, Evidence]]
) -> dict[str, Scorecard]:
    """The scorecards of ``members`` from the evidence :func:`members_evidence` read (in order)."""
    return {p.satker["code"]: score(p, period, evidence=evidence.get(p.satker["code"])) for p in members}


def merge_evidence(items: list[Evidence]) -> Evidence:
    """The evidence facts of several satker as one region's: counts added, item lists joined,
    nested mappings merged the same way; other values (satker, window) from the first.

    A region's facts are the union of its satkers' documents, so a manual that reads evidence
    gives the region the value it would give one satker holding all those documents."""

    def merge(a: Any, b: Any) -> Any:
        if isinstance(a, Mapping) and isinstance(b, Mapping):
            out = dict(a)
            for k, v in b.items():
                out[k] = merge(out[k], v) if k in out else v
            return out
        if isinstance(a, list) and isinstance(b, list):
            return a + b
        numbers = (int, float)  # JSON facts
        if isinstance(a, numbers) and isinstance(b, numbers) and not isinstance(a, bool) and not isinstance(b, bool):
            return a + b
        return a

    merged: Any = {}
    for ev in items:
        merged = merge(merged, ev)
    return merged  # type: ignore[no-any-return]


def region_value(
    own: Prepared,
    members: list[Prepared],
    ind: Indicator,
    period: str,
    evidence: Mapping[str, Mapping[str, Evidence]] | None = None,
) -> dict[str, Any]:
    """Region-wide realisation/index of one IKU per its ``region_aggregation``:
    ``sum_of_parts`` adds every satker's parts per period (and joins their evidence facts), then
    applies the Kanwil's manual (a ratio stays a ratio of sums); ``mean`` averages the satker
    realisations; ``own`` is the Kanwil's.

    ``evidence`` (satker code → indicator → aggregates) must be what the satkers' own scores were
    computed from: the region is read from the same realisations, evidence included, so with
    ``own`` (or a single satker) it is the satker's own figure, never a second opinion."""
    evidence = evidence or {}

    def ev(p: Prepared) -> Evidence | None:
        return (evidence.get(p.satker["code"]) or {}).get(ind.code)

    how = ind.region_aggregation
    holders = [(p, p.indicator(ind.code)) for p in members]
    holders = [(p, i) for p, i in holders if i is not None]
    value: Decimal | None
    if how == "sum_of_parts":
        merged: dict[str, dict[str, Decimal]] = {}
        for _, i in holders:
            for per, parts in i.measures.items():  # type: ignore[union-attr]
                slot = merged.setdefault(per, {})
                for k, v in parts.items():
                    slot[k] = slot.get(k, ZERO) + v
        facts = [e for p, _ in holders if (e := ev(p)) is not None]
        value = realise(ind, period, measures=merged, evidence=merge_evidence(facts) if facts else None)[0]
    elif how == "mean":
        values = [realise(i, period, evidence=ev(p))[0] for p, i in holders]  # type: ignore[arg-type]
        known = [v for v in values if v is not None]
        value = sum(known, ZERO) / len(known) if known else None
    else:
        value = realise(ind, period, evidence=ev(own))[0]
    target = ind.targets.get(period)
    ach = achievement(
        rules=own.rules,
        polarity=ind.polarity,
        realization=value,
        target=target.value if target else None,
        manual=ind.manual,
    )
    return {
        "code": ind.code,
        "aggregation": how,
        "satkers": len(holders),
        "realization": value,
        "target": target.value if target else None,
        "index": ach.index,
        "status": ach.status,
        "reason": ach.reason,
    }
