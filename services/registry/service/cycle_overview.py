"""The Kanwil's view of the cycle (issue 11, ADR 0024): per satker of its tree with an agreement,
per quarter, the state of the report (not started, overdue, submitted, returned, validated,
published), its NKO and predicate, and its red IKU with their analysis notes.

The states and notes are the registry's own; the NKO, predicate and statuses come from scoring's
``/consolidated`` (one call per quarter for the whole tree, the caller's token forwarded, so a
caller who may not read every satker under the Kanwil is refused by scoring as for the
consolidated view). A published quarter also carries what was published (SKEP, NKO, predicate as
frozen): the live figures may have moved since, and both are shown so the difference is visible.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from kernel.client import Peers
from kernel.errors import NotFound
from services.registry.service import cycle_calendar as calendars
from services.registry.service import cycle_submissions as cycle
from services.registry.store.cycle_repository import CycleRepository
from services.registry.store.models import Satker
from services.registry.store.repositories import AgreementRepository, SatkerRepository

CONSOLIDATED = "/api/v1/scoring/satkers/{code}/consolidated"


async def overview(
    *,
    session: AsyncSession,
    peers: Peers,
    token: str,
    lineage: Sequence[Satker],
    year: int,
    now: datetime,
) -> dict[str, Any]:
    top = lineage[-1]
    members = [s for s, _ in await SatkerRepository(session).subtree(top.code)]
    by_code = {s.code: s for s in members}
    agreements = {a.satker_code: a for a in await AgreementRepository(session).for_satkers(list(by_code), year)}
    if top.code not in agreements:
        raise NotFound(f"{top.code} has no agreement for {year}", field="year")

    def path_of(code: str) -> list[Satker]:
        out: list[Satker] = []
        at: str | None = code
        while at is not None and at in by_code and at != top.code:
            out.append(by_code[at])
            at = by_code[at].parent_code
        return [*lineage, *reversed(out)]

    scores: dict[str, dict[str, dict[str, Any]]] = {}
    for q in calendars.QUARTERS:
        body = await peers["scoring"].get_json(
            CONSOLIDATED.format(code=top.code), token=token, params={"year": year, "period": q}
        )
        scores[q] = {str(r["code"]): r for r in body.get("satkers") or []}
    repo = CycleRepository(session)
    indicators = await AgreementRepository(session).indicators([a.id for a in agreements.values() if a.id])
    codes_of = {i.id: (i.agreement_id, i.code) for i in indicators}
    rows = []
    for code in sorted(agreements, key=lambda c: (c != top.code, c)):
        agreement = agreements[code]
        periods = []
        for q in calendars.QUARTERS:
            view = await cycle.period_view(
                session=session, lineage=path_of(code), agreement=agreement, period=q, now=now
            )
            row = scores[q].get(code) or {}
            notes = {
                codes_of[n.indicator_id][1]: cycle.note_json(n, codes_of[n.indicator_id][1])
                for n in await repo.notes([i for i, (aid, _) in codes_of.items() if aid == agreement.id and i], q)
            }
            red = sorted(c for c, s in (row.get("statuses") or {}).items() if s == "red")
            published = None
            if view["state"] == "published":
                found = [(s, p) for s, p in await repo.published(code, year, q) if s.superseded_at is None]
                if found:
                    card, pub = found[0]
                    published = {
                        "skep_number": pub.skep_number,
                        "published_at": pub.published_at,
                        "nko": None if card.nko is None else float(card.nko),
                        "predicate": card.predicate,
                    }
            periods.append(
                {
                    "period": q,
                    "state": view["state"],
                    "state_label": view["state_label"],
                    "revision": view["revision"],
                    "realisations_due": (view["deadlines"] or {}).get("realisations_due"),
                    "nko": row.get("nko"),
                    "nko_display": row.get("nko_display"),
                    "predicate": row.get("predicate"),
                    "published": published,
                    "red_indicators": [{"indicator": c, "note": notes.get(c)} for c in red],
                }
            )
        satker = by_code[code]
        rows.append({"code": code, "name": satker.name, "kind": satker.kind, "periods": periods})
    return {"satker": top.code, "year": year, "satkers": rows}
