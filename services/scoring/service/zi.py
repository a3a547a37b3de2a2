"""Zona Integritas results on demand: the template version from the registry, the engine, the wire.

Scoring keeps no data of record: a request names the template version (or the evaluation year)
and brings one level's scores (printed component totals, or the answers); the template with its
thresholds is read from the registry on every request (the caller's token forwarded) and the
result is recomputed. Engine input errors become a 422 problem+json naming the field.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from kernel.auth import Principal
from kernel.client import ServiceClient
from kernel.errors import Unprocessable
from services.scoring.engine import zi
from services.scoring.engine.numbers import display, normal
from services.scoring.store import peers


def _problem(exc: zi.ZiInputError) -> Unprocessable:
    return Unprocessable(f"{exc.field}: {exc.reason}", field=exc.field)


async def load_template(
    *, registry: ServiceClient, principal: Principal, code: str | None, version: int | None, year: int | None
) -> tuple[dict[str, Any], zi.Template, dict[str, zi.PredicateThresholds]]:
    """The template version named by ``code``+``version`` (else the one of evaluation ``year``),
    parsed with its predicate thresholds."""
    row = await peers.zi_template(registry, token=principal.token, code=code, version=version, year=year)
    if row is None:
        raise Unprocessable("name the template (code and version) or the evaluation year", field="template")
    doc = row["document"]
    try:
        template = zi.template_from_document(doc["template"])
        thresholds = zi.thresholds_from_document(doc["thresholds"], template)
    except zi.ZiInputError as exc:
        # The registry validated the document; a failure here is a version scoring cannot read.
        raise Unprocessable(f"template {row['code']} v{row['version']}: {exc.field}: {exc.reason}") from exc
    return row, template, thresholds


def _num(value: Decimal | None) -> str | None:
    n = normal(value)
    return None if n is None else str(n)


def _dec(value: object, field: str) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise Unprocessable(f"{field}: a number (as a string or an integer)", field=field)
    try:
        return Decimal(value)
    except ArithmeticError:
        raise Unprocessable(f"{field}: not a number: {value!r}", field=field) from None


def level_scores(template: zi.Template, body: Mapping[str, Any]) -> zi.LevelScores:
    """One level's scores from the request: ``answers`` (every question) or ``pengungkit`` + ``hasil``."""
    if "answers" in body:
        answers = body["answers"]
        if not isinstance(answers, dict):
            raise Unprocessable("answers: an object question code → answer", field="answers")
        try:
            return zi.score_answers(template, answers)
        except zi.ZiInputError as exc:
            raise _problem(exc) from None
    if "pengungkit" in body and "hasil" in body:
        return zi.LevelScores(pengungkit=_dec(body["pengungkit"], "pengungkit"), hasil=_dec(body["hasil"], "hasil"))
    raise Unprocessable("give either answers or the pengungkit and hasil totals", field="answers")


def results(
    template: zi.Template, thresholds: Mapping[str, zi.PredicateThresholds], s: zi.LevelScores
) -> dict[str, Any]:
    try:
        r = zi.results(template, thresholds, s)
    except zi.ZiInputError as exc:
        raise _problem(exc) from None
    return {
        "pengungkit": _num(r.pengungkit),
        "hasil": _num(r.hasil),
        "total": _num(r.total),
        "total_display": display(r.total),
        "areas": None
        if r.areas is None
        else [
            {
                "code": a.code,
                "weight": _num(a.weight),
                "points": _num(a.points),
                "share": _num(a.share),
                "halves": {h: _num(v) for h, v in a.halves.items()},
            }
            for a in r.areas
        ],
        "sub_components": None if r.sub_components is None else {k: _num(v) for k, v in r.sub_components.items()},
        "predicate": r.predicate,
        "predicates": [
            {
                "predicate": p.predicate,
                "reached": p.reached,
                "complete": p.complete,
                "failed": [c.code for c in p.failed],
                "checks": [
                    {"code": c.code, "required": _num(c.required), "actual": _num(c.actual), "passed": c.passed}
                    for c in p.checks
                ],
            }
            for p in r.predicates
        ],
        "missing": {name: {k: _num(v) for k, v in gaps.items()} for name, gaps in r.missing.items()},
    }


def gap(template: zi.Template, unit: Any, evaluator: Any) -> list[dict[str, Any]]:
    if not isinstance(unit, dict) or not isinstance(evaluator, dict):
        raise Unprocessable("unit and evaluator: objects question code → answer", field="unit")
    for side, answers in (("unit", unit), ("evaluator", evaluator)):
        for code in answers:
            try:
                template.question(code, f"{side}.{code}")
            except zi.ZiInputError as exc:
                raise _problem(exc) from None
    try:
        rows = zi.gap_view(template, unit, evaluator)
    except zi.ZiInputError as exc:
        raise _problem(exc) from None
    return [
        {
            "question": g.question,
            "weight": _num(g.weight),
            "unit_value": _num(g.unit_value),
            "evaluator_value": _num(g.evaluator_value),
            "points_at_risk": _num(g.points_at_risk),
        }
        for g in rows
    ]
