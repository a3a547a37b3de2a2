"""Zona Integritas evaluations: the use cases (ADR 0015).

Who may write which level is one table, :data:`LEVEL_RULES`, read with the kernel's policy
(``kernel.auth.POLICY``): the unit's self-assessment needs WRITE on the satker (its operator, or
a kanwil manager over it); the Kanwil / ministry team's level needs REVIEW (a reviewer of the
Kanwil over the satker, or an admin); the national team's level needs EVALUATE (admin, or a
service account with the ``evaluate`` scope). Nobody evaluates their own unit: an evaluator
whose token names the satker itself, or who recorded any of the unit's answers, is refused.

The registry checks what it can know without the scoring engine: that every question is one of
the template's, that an answer lies on the question's scale (option codes; a ratio of two
numbers with a non-zero denominator; a survey score between 0 and 4), that totals stay within
the component weights. The *values* of the scale options (A = 1, B = 0.5 ...) are the scoring
engine's (``services/scoring/engine/zi.py``): the registry stores answers, never points.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from kernel.auth import Action, Principal, ensure_allowed
from kernel.errors import Conflict, FieldError, Forbidden, NotFound, Unprocessable
from services.registry.service import zi as templates
from services.registry.store.zi_evaluations import (
    LEVELS,
    OPEN,
    SUBMITTED,
    ZiAnswer,
    ZiEvaluation,
    ZiEvaluationRepository,
    ZiLevel,
    ZiLevelEvent,
)
from services.registry.store.zi_models import ZiTemplate


@dataclass(frozen=True)
class LevelRule:
    action: Action
    own_unit: bool  # may the satker's own people write this level?
    label: str  # Indonesian, shown to people


#: Who enters which level (read with kernel.auth.POLICY; the matrix test derives from the same table).
LEVEL_RULES: dict[str, LevelRule] = {
    "unit": LevelRule(Action.WRITE, own_unit=True, label="Penilaian mandiri unit"),
    "kanwil": LevelRule(Action.REVIEW, own_unit=False, label="Tim Penilai Internal (Kanwil/Kementerian)"),
    "national": LevelRule(Action.EVALUATE, own_unit=False, label="Tim Penilai Nasional (KemenPANRB)"),
}

#: Option codes of the letter scales (their values live in the scoring engine).
OPTIONS: dict[str, tuple[str, ...]] = {
    "yes_no": ("yes", "no"),
    "abc": ("A", "B", "C"),
    "a_d": ("A", "B", "C", "D"),
    "a_e": ("A", "B", "C", "D", "E"),
}
SURVEY_MAX = Decimal(4)
MAX_EVIDENCE = 20
_DOCUMENT_ID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
MIN_REASON = 10


def questions_of(template_document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {q["code"]: q for q in template_document["template"].get("questions") or []}


def _number(value: Any) -> Decimal | None:
    if isinstance(value, bool) or not isinstance(value, (int, float, str, Decimal)):
        return None
    try:
        d = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
    except (InvalidOperation, ValueError):
        return None
    return d if d.is_finite() else None


def check_answer(question: dict[str, Any], answer: Any, where: str, errors: list[FieldError]) -> Any:
    """The answer as stored (numbers as strings), or ``None`` with the reason in ``errors``."""
    scale = question["scale"]
    if scale in OPTIONS:
        if not isinstance(answer, str) or answer not in OPTIONS[scale]:
            errors.append(
                FieldError(field=where, reason=f"{answer!r} is not on the scale {scale} ({', '.join(OPTIONS[scale])})")
            )
            return None
        return answer
    if scale == "ratio":
        if not isinstance(answer, dict) or set(answer) != {"numerator", "denominator"}:
            errors.append(FieldError(field=where, reason="a ratio needs exactly numerator and denominator"))
            return None
        num, den = _number(answer["numerator"]), _number(answer["denominator"])
        if num is None or den is None:
            errors.append(FieldError(field=where, reason="numerator and denominator must be numbers"))
            return None
        if den == 0:
            errors.append(
                FieldError(field=f"{where}.denominator", reason="the denominator of a ratio must not be zero")
            )
            return None
        if num < 0 or den < 0:
            errors.append(FieldError(field=where, reason="a ratio's numbers must not be negative"))
            return None
        return {"numerator": str(num), "denominator": str(den)}
    if scale == "survey":
        score = _number(answer)
        if score is None or not 0 <= score <= SURVEY_MAX:
            errors.append(FieldError(field=where, reason=f"a survey score is a number between 0 and 4, got {answer!r}"))
            return None
        return str(score)
    errors.append(FieldError(field=where, reason=f"the template's scale {scale!r} is unknown"))
    return None


def _check_evidence(ids: Any, where: str, errors: list[FieldError]) -> list[str]:
    if ids is None:
        return []
    if not isinstance(ids, list) or len(ids) > MAX_EVIDENCE:
        errors.append(FieldError(field=where, reason=f"a list of at most {MAX_EVIDENCE} document ids"))
        return []
    out: list[str] = []
    for i, d in enumerate(ids):
        if not isinstance(d, str) or not _DOCUMENT_ID.match(d):
            errors.append(FieldError(field=f"{where}[{i}]", reason="an evidence document id (UUID)"))
        else:
            out.append(d.lower())
    return out


# --- reading --------------------------------------------------------------------------------------


async def load(*, session: AsyncSession, satker_code: str, year: int) -> ZiEvaluation:
    found = await ZiEvaluationRepository(session).get(satker_code, year)
    if found is None:
        raise NotFound(f"satker {satker_code} has no Zona Integritas evaluation for {year}", field="year")
    return found


async def of_satker(*, session: AsyncSession, satker_code: str) -> list[ZiEvaluation]:
    """Every ZI evaluation of the satker, by year."""
    return await ZiEvaluationRepository(session).years(satker_code)


async def of_satkers(*, session: AsyncSession, codes: list[str], year: int) -> list[ZiEvaluation]:
    """The ZI evaluations of ``year`` of the given satker."""
    return await ZiEvaluationRepository(session).of_satkers(codes, year)


async def describe(*, session: AsyncSession, evaluations: list[ZiEvaluation]) -> list[dict[str, Any]]:
    """The evaluations with their levels, answers and level events, as plain dicts (the wire)."""
    repo = ZiEvaluationRepository(session)
    levels = await repo.levels([e.id for e in evaluations])
    level_ids = [lv.id for lv in levels]
    answers = await repo.answers(level_ids)
    events = await repo.events(level_ids)
    out = []
    for e in evaluations:
        mine = sorted((lv for lv in levels if lv.evaluation_id == e.id), key=lambda lv: LEVELS.index(lv.level))
        out.append(
            {
                "satker": e.satker_code,
                "year": e.year,
                "template": {"code": e.template_code, "version": e.template_version},
                "proposed_predicate": e.proposed_predicate,
                "note": e.note,
                "created_at": e.created_at,
                "created_by": e.created_by,
                "levels": [
                    {
                        "level": lv.level,
                        "label": LEVEL_RULES[lv.level].label,
                        "team_label": lv.team_label,
                        "status": lv.status,
                        "pengungkit": lv.pengungkit,
                        "hasil": lv.hasil,
                        "updated_at": lv.updated_at,
                        "updated_by": lv.updated_by,
                        "submitted_at": lv.submitted_at,
                        "submitted_by": lv.submitted_by,
                        "answers": {
                            a.question_code: {
                                "answer": a.answer,
                                "note": a.note,
                                "evidence": a.evidence,
                                "recorded_at": a.recorded_at,
                                "recorded_by": a.recorded_by,
                            }
                            for a in answers
                            if a.level_id == lv.id
                        },
                        "events": [
                            {"event": ev.event, "reason": ev.reason, "at": ev.at, "by": ev.by}
                            for ev in events
                            if ev.level_id == lv.id
                        ],
                    }
                    for lv in mine
                ],
            }
        )
    return out


# --- writing --------------------------------------------------------------------------------------


async def create(
    *,
    session: AsyncSession,
    satker_code: str,
    year: int,
    template_code: str,
    template_version: int,
    proposed_predicate: str | None,
    note: str | None,
    actor: str,
    now: datetime,
) -> ZiEvaluation:
    await templates.get(session=session, code=template_code, version=template_version)
    repo = ZiEvaluationRepository(session)
    if await repo.get(satker_code, year) is not None:
        raise Conflict(f"satker {satker_code} already has a Zona Integritas evaluation for {year}", field="year")
    row = ZiEvaluation(
        satker_code=satker_code,
        year=year,
        template_code=template_code,
        template_version=template_version,
        proposed_predicate=proposed_predicate,
        note=note,
        created_at=now,
        created_by=actor,
    )
    await repo.add(row)
    return row


def ensure_level_role(*, principal: Principal, level: str, satker_code: str, path: list[str]) -> None:
    """:data:`LEVEL_RULES` applied to the caller: the level's action on the satker's path, and an
    evaluator never of their own unit (checked before anything is loaded)."""
    rule = LEVEL_RULES[level]
    ensure_allowed(principal, rule.action, path)
    if not rule.own_unit and principal.satker is not None and principal.satker == satker_code:
        raise Forbidden(
            f"an evaluator of satker {principal.satker} may not evaluate their own unit ({level} level)", field="level"
        )


async def ensure_not_own_answers(
    *, session: AsyncSession, principal: Principal, evaluation: ZiEvaluation, level: str
) -> None:
    """Who recorded the unit's answers does not evaluate them (any evaluator level)."""
    if LEVEL_RULES[level].own_unit:
        return
    repo = ZiEvaluationRepository(session)
    unit = await repo.level(evaluation.id, "unit")
    if unit is not None:
        recorded = {a.recorded_by for a in await repo.answers([unit.id])} | {unit.updated_by}
        if principal.subject in recorded:
            raise Forbidden(
                f"{principal.subject} answered the unit's self-assessment and may not evaluate it", field="level"
            )


async def template_document(session: AsyncSession, evaluation: ZiEvaluation) -> dict[str, Any]:
    row: ZiTemplate = await templates.get(
        session=session, code=evaluation.template_code, version=evaluation.template_version
    )
    return row.document


def _component_weight(document: dict[str, Any], code: str) -> Decimal:
    comp = next(c for c in document["template"]["components"] if c["code"] == code)
    return Decimal(str(comp["weight"]))


def check_answers(
    questions: dict[str, dict[str, Any]], answers: dict[str, Any], evaluation: ZiEvaluation, errors: list[FieldError]
) -> dict[str, tuple[Any, str | None, list[str]]]:
    """The answers as stored (question code -> (answer, note, evidence ids)); every problem is
    appended to ``errors`` with the field ``answers.{code}[.answer|.note|.evidence[i]]`` (the
    workbook import renames these to the cells they came from)."""
    clean: dict[str, tuple[Any, str | None, list[str]]] = {}
    for code, entry in answers.items():
        where = f"answers.{code}"
        if code not in questions:
            errors.append(
                FieldError(
                    field=where,
                    reason=f"{code!r} is not a question of template "
                    f"{evaluation.template_code} v{evaluation.template_version}",
                )
            )
            continue
        if not isinstance(entry, dict) or "answer" not in entry or not set(entry) <= {"answer", "note", "evidence"}:
            errors.append(FieldError(field=where, reason="an object with answer, and optionally note and evidence"))
            continue
        value = check_answer(questions[code], entry["answer"], f"{where}.answer", errors)
        note = entry.get("note")
        if note is not None and (not isinstance(note, str) or len(note) > 4000):
            errors.append(FieldError(field=f"{where}.note", reason="text of at most 4000 characters"))
        evidence = _check_evidence(entry.get("evidence"), f"{where}.evidence", errors)
        if value is not None:
            clean[code] = (value, note, evidence)
    return clean


async def record(
    *,
    session: AsyncSession,
    evaluation: ZiEvaluation,
    level: str,
    answers: dict[str, Any] | None,
    totals: dict[str, Any] | None,
    team_label: str | None,
    actor: str,
    now: datetime,
) -> ZiLevel:
    """Record answers (question code → ``{answer, note, evidence}``; given codes replace the stored
    ones) or the component totals of an open level. Every problem is listed at once; on any
    problem nothing is written."""
    document = await template_document(session, evaluation)
    questions = questions_of(document)
    repo = ZiEvaluationRepository(session)
    errors: list[FieldError] = []
    earlier = LEVELS[: LEVELS.index(level)]
    for other in earlier:
        found = await repo.level(evaluation.id, other)
        if found is not None and found.status == OPEN:
            raise Conflict(f"the {other} level is still open: it is submitted before the {level} level is entered")
    if answers and level != "unit":
        unit = await repo.level(evaluation.id, "unit")
        if unit is None or unit.status != SUBMITTED:
            raise Conflict("evaluators answer per question after the unit has submitted its self-assessment")
    if (answers is None) == (totals is None):
        raise Unprocessable("give either answers or totals (pengungkit and hasil)", field="answers")
    clean = check_answers(questions, answers or {}, evaluation, errors)
    sums: dict[str, Decimal] = {}
    if totals is not None:
        if set(totals) != {"pengungkit", "hasil"}:
            errors.append(FieldError(field="totals", reason="exactly pengungkit and hasil"))
        else:
            for comp in ("pengungkit", "hasil"):
                d = _number(totals[comp])
                cap = _component_weight(document, comp)
                if d is None or not 0 <= d <= cap:
                    errors.append(FieldError(field=f"totals.{comp}", reason=f"a number between 0 and {cap}"))
                else:
                    sums[comp] = d
    if errors:
        raise Unprocessable(f"{errors[0].field}: {errors[0].reason}", errors=errors)
    row = await repo.level(evaluation.id, level, for_update=True)
    if row is None:
        row = ZiLevel(evaluation_id=evaluation.id, level=level, status=OPEN, updated_at=now, updated_by=actor)
        await repo.add(row)
    elif row.status != OPEN:
        raise Conflict(f"the {level} level is submitted (closed): reopen it with a reason first", field="level")
    has_answers = bool(await repo.answers([row.id]))
    if totals is not None and has_answers or answers is not None and row.pengungkit is not None:
        raise Conflict(f"the {level} level holds {'answers' if has_answers else 'totals'}: one or the other")
    row.updated_at, row.updated_by = now, actor
    if team_label is not None:
        row.team_label = team_label
    if totals is not None:
        row.pengungkit, row.hasil = sums["pengungkit"], sums["hasil"]
    await repo.delete_answers(row.id, list(clean))
    await repo.add(
        row,
        *(
            ZiAnswer(
                level_id=row.id,
                question_code=code,
                answer=value,
                note=note,
                evidence=evidence,
                recorded_at=now,
                recorded_by=actor,
            )
            for code, (value, note, evidence) in clean.items()
        ),
    )
    return row


async def submit(*, session: AsyncSession, evaluation: ZiEvaluation, level: str, actor: str, now: datetime) -> ZiLevel:
    """Close a level: every question answered (or both totals given)."""
    repo = ZiEvaluationRepository(session)
    row = await repo.level(evaluation.id, level, for_update=True)
    if row is None:
        raise Conflict(f"the {level} level has no answers yet", field="level")
    if row.status != OPEN:
        raise Conflict(f"the {level} level is already submitted", field="level")
    if row.pengungkit is None:
        questions = questions_of(await template_document(session, evaluation))
        answered = {a.question_code for a in await repo.answers([row.id])}
        missing = [c for c in questions if c not in answered]
        if missing or not questions:
            raise Unprocessable(
                f"not answered: {', '.join(missing[:20])}" if missing else "the template has no questions",
                errors=[FieldError(field=f"answers.{c}", reason="not answered") for c in missing[:200]],
            )
    row.status, row.submitted_at, row.submitted_by = SUBMITTED, now, actor
    await repo.add(row, ZiLevelEvent(level_id=row.id, event="submitted", reason=None, at=now, by=actor))
    return row


async def reopen(
    *, session: AsyncSession, evaluation: ZiEvaluation, level: str, reason: str, actor: str, now: datetime
) -> ZiLevel:
    """Open a submitted level again; the reason is kept in the level's events (never changed)."""
    if len(reason.strip()) < MIN_REASON:
        raise Unprocessable(f"a reason of at least {MIN_REASON} characters is required", field="reason")
    repo = ZiEvaluationRepository(session)
    row = await repo.level(evaluation.id, level, for_update=True)
    if row is None or row.status != SUBMITTED:
        raise Conflict(f"the {level} level is not submitted", field="level")
    later = LEVELS[LEVELS.index(level) + 1 :]
    for other in later:
        found = await repo.level(evaluation.id, other)
        if found is not None and found.status == SUBMITTED:
            raise Conflict(f"the {other} level is submitted: reopen it first", field="level")
    row.status, row.submitted_at, row.submitted_by = OPEN, None, None
    await repo.add(row, ZiLevelEvent(level_id=row.id, event="reopened", reason=reason.strip(), at=now, by=actor))
    return row
