"""The scores use cases: one bulk read of the registry, evidence when a manual needs it, the engine.

No cache of scores: every request reads the registry bundle (ONE request) and recomputes, so a
changed target, measure, manual or rule set shows in the next answer. Parsed manuals are cached
by content only (see :mod:`services.scoring.service.manuals`), which cannot go stale.

Keyword-only use cases taking the peer clients (``kernel.client.Peers``), the manual cache and
the principal, never the FastAPI request (ADR 0017). The report (``service/report.py``) and the
frozen scorecards (``service/cycle.py``) load through the same functions.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import replace
from decimal import Decimal
from typing import Any, cast

import anyio

from contracts.bundle import Bundle
from kernel.auth import Action, Principal, ensure_allowed
from kernel.client import Peers as Peers  # re-exported: the routers type their peer dependency with it
from kernel.errors import FieldError as KFieldError
from kernel.errors import NotFound, Unprocessable
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
from services.scoring.schemas.scores import RegionLine
from services.scoring.service.bundle_cache import BundleCache
from services.scoring.service.manuals import ManualCache
from services.scoring.store import peers as reads

log = logging.getLogger("kinerja.scoring")

EVIDENCE_CONCURRENCY = 4  # evidence requests in flight for one consolidated view


def prepare_bundle(*, manuals: ManualCache, bundle: Bundle) -> Prepared:
    """The bundle made ready for the engine; a bundle the engine cannot score is a 422 naming the fields."""
    try:
        return prepare(bundle, parse=manuals.get, parse_rules=manuals.rule_set)
    except BundleError as exc:
        raise Unprocessable(
            "the agreement's data cannot be scored: " + str(exc),
            errors=[KFieldError(field=p, reason=r) for p, r in exc.errors],
        ) from None


async def load(
    *,
    peers: Peers,
    manuals: ManualCache,
    principal: Principal,
    code: str,
    year: int,
    as_of: str | None,
    bundles: BundleCache | None = None,
) -> Prepared:
    """The satker's bundle (one registry request; the caller's token is forwarded). A year without
    an agreement and a satker outside the caller's reach are the registry's answers (404; 403
    exactly like an unknown satker), relayed.

    ``bundles``: prepared copies kept between requests (:mod:`~services.scoring.service.bundle_cache`);
    the request then names the copy it holds and re-uses it only on the registry's 304 (nothing
    written since). ``None``: every call reads and prepares the whole bundle."""
    key = (code, year, as_of)
    held = bundles.get(key) if bundles is not None else None
    read = await reads.bundle_unless_current(
        peers["registry"], token=principal.token, code=code, year=year, as_of=as_of, etag=held.etag if held else None
    )
    if read.bundle is None:  # 304: the copy is current (get_json_unless_current refuses one without a copy)
        assert held is not None
        prepared = replace(held.prepared, as_of=read.as_of)
    else:
        prepared = prepare_bundle(manuals=manuals, bundle=read.bundle)
        if bundles is not None and read.etag:
            bundles.put(key, read.etag, prepared)
    ensure_allowed(principal, Action.READ, prepared.satker["path"])
    return prepared


async def subtree_bundles(
    *, peers: Peers, principal: Principal, code: str, year: int, as_of: str | None, every: bool = False
) -> list[Bundle]:
    """The checked bundles of the satker and every satker under it with an agreement that year (one
    registry request). ``every=False``: only those the caller may read; ``every=True``: the caller
    must read them all (a partial region would be a wrong publication), else 403."""
    items = await reads.bundles(peers["registry"], token=principal.token, code=code, year=year, as_of=as_of)
    if every:
        for b in items:
            ensure_allowed(principal, Action.READ, b["satker"]["path"])
    else:
        items = [b for b in items if principal.allows(Action.READ, b["satker"]["path"])]
    root = next((b for b in items if b["satker"]["code"] == code), None)
    if root is None:
        raise NotFound(f"satker {code} has no agreement for {year}", field="year")
    ensure_allowed(principal, Action.READ, root["satker"]["path"])
    return items


async def load_subtree(
    *, peers: Peers, manuals: ManualCache, principal: Principal, code: str, year: int, as_of: str | None
) -> list[Prepared]:
    """The satker and every satker under it the caller may read, prepared for the engine."""
    items = await subtree_bundles(peers=peers, principal=principal, code=code, year=year, as_of=as_of)
    return [prepare_bundle(manuals=manuals, bundle=b) for b in items]


async def evidence_for(
    *, peers: Peers, principal: Principal, prepared: Prepared, period: str, as_submitted: bool = False
) -> dict[str, Evidence]:
    """The evidence the period's scores use: the verified facts once the period is declared
    complete (submitted; ADR 0020), none before (the reported realisation stands).
    ``as_submitted``: as if it were submitted (the registry's check before a submission)."""
    from services.scoring.service.cycle import evidence_path_applies
    from services.scoring.service.zi_link import zi_only

    raw = await fetch_evidence(peers=peers, principal=principal, prepared=prepared, period=period)
    # the ZI results of a submitted level are declared by that submit, not by the quarter reports
    return raw if as_submitted or evidence_path_applies(prepared, period) else zi_only(raw)


async def fetch_evidence(*, peers: Peers, principal: Principal, prepared: Prepared, period: str) -> dict[str, Evidence]:
    """Evidence aggregates for the IKU whose manual reads evidence, and the ZI results for the IKU
    whose manual reads the Zona Integritas evaluation (``zi_link``, ADR 0025)."""
    from services.scoring.service.zi_link import with_zi

    raw = await _aggregates(peers=peers, principal=principal, prepared=prepared, period=period)
    return await with_zi(peers=peers, principal=principal, prepared=prepared, evidence=raw)


async def _aggregates(*, peers: Peers, principal: Principal, prepared: Prepared, period: str) -> dict[str, Evidence]:
    """Evidence aggregates for the IKU whose manual reads evidence (contracts §8).

    ONE evidence request per satker for all of them (``indicator`` repeated), so evidence checks
    the caller's right to the satker once. Only when the evidence service is part of the
    deployment (a deployment choice: without it the manuals use the reported realisation). When
    it is part of the deployment but cannot answer, the request fails (503/502 problem): a score
    that silently changes with the availability of a service is worse than no score.
    """
    wanted = [i.code for i in prepared.indicators if i.uses_evidence]
    if not wanted or not peers.has("evidence"):
        return {}
    facts = await reads.aggregates(
        peers["evidence"],
        token=principal.token,
        code=prepared.satker["code"],
        year=int(prepared.agreement["year"]),
        period=period,
        indicators=wanted,
        as_of=prepared.as_of,
    )
    # checked against contracts.evidence by the read; the engine's manuals address the same dicts
    # by dotted paths, so its Evidence type is a plain mapping
    return cast(dict[str, Evidence], facts)


async def scorecard(
    *, peers: Peers, principal: Principal, prepared: Prepared, period: str, trace: bool = False
) -> Scorecard:
    evidence = await evidence_for(peers=peers, principal=principal, prepared=prepared, period=period)
    return score(prepared, period, evidence=evidence, trace=trace)


async def members_evidence(
    *, peers: Peers, principal: Principal, members: list[Prepared], period: str, as_submitted: bool = False
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
                evidence[i] = await evidence_for(
                    peers=peers, principal=principal, prepared=p, period=period, as_submitted=as_submitted
                )
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
) -> RegionLine:
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
