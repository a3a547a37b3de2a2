"""Zona Integritas results of a *stored* evaluation (ADR 0015): read from the registry, scored here.

Like the bundle of an agreement, the evaluation (every level with its answers or totals) and its
template version are read from the registry over HTTP through the peer client with the caller's
token (the registry decides who may read the satker); nothing is kept. The engine is
``services/scoring/engine/zi.py``; the shaping of one level's results is
``services/scoring/service/zi.py``'s, shared with ``POST /scoring/zi/results``.
"""

from __future__ import annotations

from typing import Any

from kernel.auth import Principal
from kernel.client import ServiceClient
from kernel.errors import Conflict, NotFound, Unprocessable
from services.scoring.engine import zi
from services.scoring.engine.numbers import ZERO
from services.scoring.service import zi as shaping

EVALUATION = "/api/v1/registry/satkers/{code}/zi/evaluations/{year}"
SUBTREE = "/api/v1/registry/satkers/{code}/zi/subtree-evaluations"
TEMPLATE = "/api/v1/registry/zi/templates/{code}/versions/{version}"
LEVELS = ("unit", "kanwil", "national")


async def _template(registry: ServiceClient, principal: Principal, ref: dict[str, Any]) -> tuple[Any, Any]:
    row = await registry.get_json(TEMPLATE.format(**ref), token=principal.token)
    try:
        template = zi.template_from_document(row["document"]["template"])
        return template, zi.thresholds_from_document(row["document"]["thresholds"], template)
    except zi.ZiInputError as exc:
        raise Unprocessable(f"template {ref['code']} v{ref['version']}: {exc.field}: {exc.reason}") from exc


async def evaluation(registry: ServiceClient, principal: Principal, code: str, year: int) -> dict[str, Any]:
    found: dict[str, Any] = await registry.get_json(EVALUATION.format(code=code, year=year), token=principal.token)
    return found


def level_of(evaluation: dict[str, Any], level: str) -> dict[str, Any]:
    found: dict[str, Any] | None = next((lv for lv in evaluation["levels"] if lv["level"] == level), None)
    if found is None:
        raise NotFound(f"the {year_of(evaluation)} evaluation has no {level} level", field="level")
    return found


def year_of(evaluation: dict[str, Any]) -> str:
    return f"{evaluation['satker']} {evaluation['year']}"


def answers_of(level: dict[str, Any]) -> dict[str, Any]:
    return {code: a["answer"] for code, a in level["answers"].items()}


def scores_of(template: zi.Template, level: dict[str, Any]) -> zi.LevelScores:
    if level["pengungkit"] is not None:
        return zi.LevelScores(
            pengungkit=zi._dec(level["pengungkit"], "pengungkit"), hasil=zi._dec(level["hasil"], "hasil")
        )
    try:
        return zi.score_answers(template, answers_of(level))
    except zi.ZiInputError as exc:
        # the registry stores only complete, on-scale answers once submitted; an open level may lack some
        raise Conflict(f"the {level['level']} level cannot be scored yet: {exc.field}: {exc.reason}") from None


def level_results(template: Any, thresholds: Any, ev: dict[str, Any], level: dict[str, Any]) -> dict[str, Any]:
    out = shaping.results(template, thresholds, scores_of(template, level))
    return {
        "satker": ev["satker"],
        "year": ev["year"],
        "template": ev["template"],
        "level": level["level"],
        "label": level["label"],
        "team_label": level["team_label"],
        "status": level["status"],
        **out,
    }


async def results(registry: ServiceClient, principal: Principal, code: str, year: int, level: str) -> dict[str, Any]:
    ev = await evaluation(registry, principal, code, year)
    template, thresholds = await _template(registry, principal, ev["template"])
    return level_results(template, thresholds, ev, level_of(ev, level))


async def gap(registry: ServiceClient, principal: Principal, code: str, year: int, evaluator: str) -> dict[str, Any]:
    ev = await evaluation(registry, principal, code, year)
    template, _ = await _template(registry, principal, ev["template"])
    unit, other = level_of(ev, "unit"), level_of(ev, evaluator)
    if other["pengungkit"] is not None:
        raise Conflict(f"the {evaluator} level holds only totals: there is no per-question gap", field="evaluator")
    rows = shaping.gap(template, answers_of(unit), answers_of(other))
    notes = other["answers"]
    for r in rows:
        r["unit_answer"] = unit["answers"].get(r["question"], {}).get("answer")
        r["evaluator_answer"] = notes.get(r["question"], {}).get("answer")
        r["evaluator_note"] = notes.get(r["question"], {}).get("note")
    total = sum((zi._dec(r["points_at_risk"], "points") for r in rows), ZERO)
    return {
        "satker": ev["satker"],
        "year": ev["year"],
        "template": ev["template"],
        "evaluator": evaluator,
        "points_at_risk": shaping._num(total),
        "items": rows,
    }


async def readiness(registry: ServiceClient, principal: Principal, code: str, year: int) -> dict[str, Any]:
    """Every satker under ``code`` with an evaluation that year: the predicate its furthest scored
    level reaches, whether WBK and WBBM are within reach, and the areas failing each."""
    body: dict[str, Any] = await registry.get_json(
        SUBTREE.format(code=code), token=principal.token, params={"year": year}
    )
    templates: dict[tuple[str, int], Any] = {}
    items = []
    for ev in body["items"]:
        key = (ev["template"]["code"], ev["template"]["version"])
        if key not in templates:
            templates[key] = await _template(registry, principal, ev["template"])
        template, thresholds = templates[key]
        levels = sorted(ev["levels"], key=lambda lv: LEVELS.index(lv["level"]), reverse=True)
        scored = None
        for lv in levels:
            try:
                scored = level_results(template, thresholds, ev, lv)
            except Conflict:
                continue
            break
        if scored is None:
            items.append({"satker": ev["satker"], "level": None, "status": None, "predicate": None, "predicates": []})
            continue
        items.append(
            {
                "satker": ev["satker"],
                "level": scored["level"],
                "status": scored["status"],
                "total": scored["total"],
                "predicate": scored["predicate"],
                "predicates": [
                    {
                        "predicate": p["predicate"],
                        "reached": p["reached"],
                        "complete": p["complete"],
                        "failed": p["failed"],
                        "failing_areas": [f.removeprefix("area.") for f in p["failed"] if f.startswith("area.")],
                        "missing_points": scored["missing"][p["predicate"]].get("total"),
                    }
                    for p in scored["predicates"]
                ],
            }
        )
    return {"satker": code, "year": year, "items": items}
