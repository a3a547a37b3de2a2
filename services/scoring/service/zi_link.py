"""The IKU link of Zona Integritas (issue 13, ADR 0025): an IKU whose manual reads the stored evaluation.

A manual node ``{op: zona_integritas, field: total, level: national}`` (engine/manual.py) reads the
results of one *submitted* level of the satker's evaluation of the agreement's year. Here they are
read from the registry (the evaluation and its template, the caller's token forwarded, as for
``/zi/{year}/results``), scored by the ZI engine and handed to the IKU's manual as the input
``zona_integritas`` — beside its evidence facts, so a frozen scorecard hashes them too.

The ZI results do not wait for the quarter reports (ADR 0020's evidence path): a ZI level is
declared by its own submit, and an open level is never read. No evaluation that year, or no
submitted level, gives the node no value ("no data"), never 0.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from kernel.auth import Principal
from kernel.client import Peers
from kernel.errors import ProblemError
from services.scoring.engine.evaluate import Evidence
from services.scoring.engine.manual import ZI_INPUT, Manual
from services.scoring.engine.scorecard import Prepared
from services.scoring.service import zi_evaluations as stored

SUBMITTED = "submitted"


def reads_zi(manual: Manual) -> bool:
    return manual.reads_zi  # cached on the (immutable, content-cached) manual


def level_facts(results: dict[str, Any]) -> dict[str, str]:
    """One level's results as the node's fields (numbers as exact strings; wbk/wbbm 1 or 0)."""
    facts = {k: results[k] for k in ("total", "pengungkit", "hasil") if results.get(k) is not None}
    if results.get("areas") is not None:
        for half in ("pemenuhan", "reform"):
            facts[half] = str(sum((Decimal(a["halves"][half]) for a in results["areas"]), Decimal(0)))
    for p in results["predicates"]:
        facts[p["predicate"].lower()] = "1" if p["reached"] else "0"
    return facts


async def zi_input(*, peers: Peers, principal: Principal, code: str, year: int) -> dict[str, Any]:
    """Level → facts for every submitted level of the satker's evaluation of ``year`` ({} if none)."""
    registry = peers["registry"]
    try:
        ev = await stored.evaluation(registry, principal, code, year)
    except ProblemError as exc:
        if exc.status_code == 404:
            return {}
        raise
    template, thresholds = await stored._template(registry, principal, ev["template"])
    out: dict[str, Any] = {"year": year, "template": ev["template"]}
    for level in ev["levels"]:
        if level["status"] == SUBMITTED:
            out[level["level"]] = level_facts(stored.level_results(template, thresholds, ev, level))
    return out


async def with_zi(
    *, peers: Peers, principal: Principal, prepared: Prepared, evidence: dict[str, Evidence]
) -> dict[str, Evidence]:
    """``evidence`` with the ZI input added for every IKU whose manual reads it (one registry read)."""
    wanted = [i.code for i in prepared.indicators if reads_zi(i.manual)]
    if not wanted:
        return evidence
    facts = await zi_input(
        peers=peers, principal=principal, code=prepared.satker["code"], year=int(prepared.agreement["year"])
    )
    out = dict(evidence)
    for code in wanted:
        out[code] = {**(evidence.get(code) or {}), ZI_INPUT: facts}
    return out


def zi_only(evidence: dict[str, Evidence]) -> dict[str, Evidence]:
    """Only the ZI inputs of ``evidence`` (what stands while the quarter reports are not declared)."""
    return {code: {ZI_INPUT: facts[ZI_INPUT]} for code, facts in evidence.items() if ZI_INPUT in facts}
