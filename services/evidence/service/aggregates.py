"""Facts for the scoring service (contracts §8): counts and outcomes over verified documents.

No score appears here: the manual of each IKU (owned by scoring) maps the outcome and
follow-up codes to numbers, so a new regulation changes data, not this module.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from contracts.evidence import OUTCOME_ORDER as OUTCOME_ORDER
from contracts.evidence import (
    BaTegahItem,
    FollowUp,
    IndicatorFacts,
    LptItem,
    ManyIndicatorFacts,
    Outcomes,
    SeaPatrolItem,
)
from contracts.periods import window_bounds
from kernel.auth import Action
from services.evidence.service.context import Actor, Runtime
from services.evidence.service.disclosure import authorize
from services.evidence.service.kinds import IMPLICIT_LATE_SEIZURE, TARGETING_KINDS
from services.evidence.store import repository as repo
from services.evidence.store.models import Document

ACTIVITIES = ("patrol", "operation", "sea_patrol")
MAX_DEPTH = 6  # PRIN → LPT → SBP → BA Tegah → follow-up / NHI: deeper chains are not part of the model


def _late(d: date) -> bool:
    return (d.month, d.day) > (12, 15)


class _Tree:
    """Verified current documents reachable from the roots, indexed by parent lineage."""

    def __init__(self) -> None:
        self.children: dict[uuid.UUID, list[Document]] = defaultdict(list)
        self.counts: dict[str, int] = defaultdict(int)

    def under(self, doc: Document, *kinds: str) -> list[Document]:
        return [c for c in self.children.get(doc.lineage_id, []) if not kinds or c.kind in kinds]

    def descendants(self, doc: Document) -> list[Document]:
        out, todo = [], [doc]
        while todo:
            cur = todo.pop()
            for c in self.children.get(cur.lineage_id, []):
                out.append(c)
                todo.append(c)
        return out


async def _load_tree(session: AsyncSession, satker: str, roots: list[Document], as_of: datetime | None) -> _Tree:
    tree = _Tree()
    seen: set[uuid.UUID] = {r.lineage_id for r in roots}
    frontier = list(seen)
    for _ in range(MAX_DEPTH):
        kids = await repo.verified_children(session, satker, frontier, as_of)
        frontier = []
        for k in kids:
            assert k.parent_lineage_id is not None
            tree.children[k.parent_lineage_id].append(k)
            if k.lineage_id not in seen:
                seen.add(k.lineage_id)
                frontier.append(k.lineage_id)
        if not frontier:
            break
    return tree


def _outcomes(tree: _Tree, lpt: Document) -> Outcomes:
    out = Outcomes(ba_tegah_special=0, ba_tegah=0, ba_segel=0, sbp=0)
    for sbp in tree.under(lpt, "SBP"):
        out["sbp"] += 1
        for ba in tree.under(sbp, "BA Tegah"):
            if ba.fields.get("special_criteria"):
                out["ba_tegah_special"] += 1
            else:
                out["ba_tegah"] += 1
        out["ba_segel"] += len(tree.under(sbp, "BA Segel"))
    out["ba_segel"] += len(tree.under(lpt, "BA Segel"))
    return out


def _best(outcomes: Outcomes) -> str:
    counts: Mapping[str, object] = outcomes
    return next((o for o in OUTCOME_ORDER if counts[o]), "none")


def _follow_ups(tree: _Tree, ba: Document) -> list[FollowUp]:
    items: list[FollowUp] = [
        {"type": c.fields["follow_up_type"], "document_id": str(c.id), "kind": c.kind, "number": c.number}
        for c in tree.under(ba)
        if c.fields.get("follow_up_type")
    ]
    if _late(ba.document_date):
        items.append({"type": IMPLICIT_LATE_SEIZURE, "document_id": None, "kind": None, "number": None})
    return items


async def facts(
    *,
    rt: Runtime,
    session: AsyncSession,
    actor: Actor,
    satker: str,
    indicators: Sequence[str],
    several: bool,
    year: int,
    period: str,
    as_of: datetime | None,
) -> IndicatorFacts | ManyIndicatorFacts:
    """The answer of ``GET .../aggregates``: the facts of one IKU or, when ``several`` were asked
    for, ``{"satker", "year", "period", "window", "as_of", "basis", "indicators": {code: facts}}``,
    each ``facts`` exactly what the one-IKU request answers; one authorisation, one pass.

    A naive ``as_of`` is read as UTC; without one the facts hold now (``rt.clock``)."""
    await authorize(rt, actor.principal, Action.READ, satker)
    if as_of is not None and as_of.tzinfo is None:
        as_of = as_of.replace(tzinfo=UTC)
    stamp = (as_of or rt.clock()).isoformat()
    many = await aggregates_many(session, satker=satker, indicators=indicators, year=year, period=period, as_of=as_of)
    for one in many.values():
        one["as_of"] = stamp
    if not several:
        return many[indicators[0]]
    first = next(iter(many.values()))
    return {
        "satker": satker,
        "year": year,
        "period": period,
        "window": first["window"],
        "as_of": stamp,
        "basis": "verified",
        "indicators": many,
    }


async def aggregates(
    session: AsyncSession, *, satker: str, indicator: str, year: int, period: str, as_of: datetime | None
) -> IndicatorFacts:
    """The facts of one IKU (contracts §8)."""
    return (
        await aggregates_many(session, satker=satker, indicators=[indicator], year=year, period=period, as_of=as_of)
    )[indicator]


async def aggregates_many(
    session: AsyncSession, *, satker: str, indicators: Sequence[str], year: int, period: str, as_of: datetime | None
) -> dict[str, IndicatorFacts]:
    """The facts of several IKU of one satker, by code: the roots of all of them in one query and
    their linked documents in one walk (children are shared by lineage, so the result of each IKU
    is exactly what :func:`aggregates` alone gives)."""
    codes = list(dict.fromkeys(indicators))
    start, end = window_bounds(year, period)
    roots = list(
        await repo.verified_roots(
            session,
            satker=satker,
            indicator=codes,
            year=year,
            kinds=("LPT", "BA Tegah", "PRIN"),
            date_from=start,
            date_to=end,
            as_of=as_of,
        )
    )
    tree = await _load_tree(session, satker, roots, as_of)
    return {
        code: _facts(
            tree,
            [r for r in roots if r.indicator == code],
            satker=satker,
            indicator=code,
            year=year,
            period=period,
            window=(start, end),
            as_of=as_of,
        )
        for code in codes
    }


def _facts(
    tree: _Tree,
    roots: list[Document],
    *,
    satker: str,
    indicator: str,
    year: int,
    period: str,
    window: tuple[date, date],
    as_of: datetime | None,
) -> IndicatorFacts:
    start, end = window
    counted: dict[str, set[uuid.UUID]] = defaultdict(set)

    lpts = [r for r in roots if r.kind == "LPT"]
    by_activity = dict.fromkeys(ACTIVITIES, 0)
    by_best = {a: dict.fromkeys((*OUTCOME_ORDER, "none"), 0) for a in ACTIVITIES}
    lpt_items: list[LptItem] = []
    lpt_of_ba: dict[uuid.UUID, uuid.UUID] = {}
    for lpt in lpts:
        activity = str(lpt.fields.get("activity", "patrol"))
        outcomes = _outcomes(tree, lpt)
        best = _best(outcomes)
        by_activity[activity] = by_activity.get(activity, 0) + 1
        by_best.setdefault(activity, dict.fromkeys((*OUTCOME_ORDER, "none"), 0))[best] += 1
        for sbp in tree.under(lpt, "SBP"):
            for ba in tree.under(sbp, "BA Tegah"):
                lpt_of_ba[ba.lineage_id] = lpt.id
        for d in [lpt, *tree.descendants(lpt)]:
            counted[d.kind].add(d.id)
        lpt_items.append(
            {
                "document_id": str(lpt.id),
                "number": lpt.number,
                "date": lpt.document_date.isoformat(),
                "activity": activity,
                "outcomes": outcomes,
                "best_outcome": best,
            }
        )

    ba_items: list[BaTegahItem] = []
    for ba in (r for r in roots if r.kind == "BA Tegah"):
        counted[ba.kind].add(ba.id)
        for d in tree.descendants(ba):
            counted[d.kind].add(d.id)
        ba_items.append(
            {
                "document_id": str(ba.id),
                "number": ba.number,
                "date": ba.document_date.isoformat(),
                "special_criteria": bool(ba.fields.get("special_criteria")),
                "lpt_id": str(lpt_of_ba[ba.lineage_id]) if ba.lineage_id in lpt_of_ba else None,
                "follow_ups": _follow_ups(tree, ba),
            }
        )

    sea_items: list[SeaPatrolItem] = []
    for prin in (r for r in roots if r.kind == "PRIN" and r.fields.get("ship_class")):
        desc = tree.descendants(prin)
        for d in [prin, *desc]:
            counted[d.kind].add(d.id)
        prin_targeted = any(c.kind in TARGETING_KINDS for c in tree.under(prin))
        seizures = targeted = 0
        for lpt in tree.under(prin, "LPT"):
            lpt_targeted = prin_targeted or any(c.kind in TARGETING_KINDS for c in tree.under(lpt))
            for sbp in tree.under(lpt, "SBP"):
                for ba in tree.under(sbp, "BA Tegah"):
                    seizures += 1
                    if lpt_targeted or any(c.kind in TARGETING_KINDS for c in tree.under(ba)):
                        targeted += 1
        segel = [d for d in desc if d.kind == "BA Segel"]
        sea_items.append(
            {
                "document_id": str(prin.id),
                "number": prin.number,
                "date": prin.document_date.isoformat(),
                "ship_class": prin.fields["ship_class"],
                "patrol_days": prin.fields["patrol_days"],
                "inspections": sum(1 for d in desc if d.kind == "BA Riksa"),
                "seizures": seizures,
                "targeted_seizures": targeted,
                "sealings": len(segel),
                "sealings_with_findings": sum(1 for d in segel if d.fields.get("findings")),
            }
        )

    return {
        "satker": satker,
        "indicator": indicator,
        "year": year,
        "period": period,
        "window": {"from": start.isoformat(), "to": end.isoformat()},
        "as_of": as_of.isoformat() if as_of else None,
        "basis": "verified",
        "documents": {k: len(v) for k, v in sorted(counted.items())},
        "lpt": {"count": len(lpt_items), "by_activity": by_activity, "by_best_outcome": by_best, "items": lpt_items},
        "ba_tegah": {"count": len(ba_items), "items": ba_items},
        "sea_patrols": {"count": len(sea_items), "items": sea_items},
    }
