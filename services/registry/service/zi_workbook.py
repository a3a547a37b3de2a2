"""Zona Integritas answers as the LKE workbook: export and all-or-nothing import (ADR 0015, issue 13).

The workbook (:mod:`services.registry.adapters.zi_xlsx`) is another spelling of ``PUT .../levels/{level}``:
its answers go through the same checks (:func:`zi_evaluations.check_answers`) and the same write
(:func:`zi_evaluations.record`), only the errors name cells (``Jawaban!D17``) instead of JSON paths,
and the conversion's and the registry's errors come back together in one 422. The Info sheet must
name the evaluation the workbook is uploaded to. Nothing is written on any error.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from kernel.errors import FieldError, Unprocessable
from services.registry.adapters import zi_xlsx
from services.registry.adapters.xlsx.names import MAX_ERRORS
from services.registry.service import zi_evaluations as evaluations
from services.registry.store.zi_evaluations import ZiEvaluation


async def export_data(*, session: AsyncSession, evaluation: ZiEvaluation, evaluator_level: str) -> dict[str, Any]:
    """What :func:`zi_xlsx.write_answers` needs: the template and the unit's and evaluator's answers."""
    document = await evaluations.template_document(session, evaluation)
    (described,) = await evaluations.describe(session=session, evaluations=[evaluation])
    levels = {lv["level"]: lv["answers"] for lv in described["levels"]}
    return {
        "template": document["template"],
        "info": {
            "Format": zi_xlsx.FORMAT,
            "Satker": evaluation.satker_code,
            "Tahun": evaluation.year,
            "Templat": evaluation.template_code,
            "Versi templat": evaluation.template_version,
            "Tingkat penilai": evaluator_level,
        },
        "unit": levels.get("unit", {}),
        "evaluator": levels.get(evaluator_level, {}),
    }


async def questions(*, session: AsyncSession, evaluation: ZiEvaluation) -> dict[str, dict[str, Any]]:
    return evaluations.questions_of(await evaluations.template_document(session, evaluation))


def _info_errors(read: zi_xlsx.ReadAnswers, evaluation: ZiEvaluation, level: str) -> list[FieldError]:
    expected = {
        "Satker": evaluation.satker_code,
        "Tahun": str(evaluation.year),
        "Templat": evaluation.template_code,
        "Versi templat": str(evaluation.template_version),
    }
    out = []
    for name, want in expected.items():
        if name in read.info and read.info[name][0] != want:
            value, ref = read.info[name]
            out.append(
                FieldError(field=ref, reason=f"the workbook is for {name} {value!r}, this evaluation's is {want!r}")
            )
    if "Format" in read.info and read.info["Format"][0] != zi_xlsx.FORMAT:
        value, ref = read.info["Format"]
        out.append(FieldError(field=ref, reason=f"unknown format {value!r} (expected {zi_xlsx.FORMAT})"))
    if level != "unit" and "Tingkat penilai" in read.info and read.info["Tingkat penilai"][0] != level:
        value, ref = read.info["Tingkat penilai"]
        out.append(
            FieldError(field=ref, reason=f"the workbook holds the {value} level's answers, not the {level} level's")
        )
    return out


async def import_answers(
    *,
    session: AsyncSession,
    evaluation: ZiEvaluation,
    level: str,
    read: zi_xlsx.ReadAnswers,
    actor: str,
    now: datetime,
) -> int:
    """Record the workbook's answers of ``level`` (the unit's columns for ``unit``, the evaluator's
    for ``kanwil``/``national``); returns how many questions were written."""
    document = await evaluations.template_document(session, evaluation)
    side = read.sides["unit" if level == "unit" else "evaluator"]
    errors = list(read.errors) + _info_errors(read, evaluation, level)
    found: list[FieldError] = []
    evaluations.check_answers(evaluations.questions_of(document), side.answers, evaluation, found)
    for e in found:
        ref = zi_xlsx.cell_of(side, e.field)
        errors.append(FieldError(field=ref, reason=e.reason) if ref else e)
    if not side.answers and not errors:
        errors.append(FieldError(field=read.sheet, reason=f"no answers in the {level} columns"))
    if errors:
        errors = errors[:MAX_ERRORS]
        raise Unprocessable(f"{errors[0].field}: {errors[0].reason}", errors=errors)
    await evaluations.record(
        session=session,
        evaluation=evaluation,
        level=level,
        answers=side.answers,
        totals=None,
        team_label=None,
        actor=actor,
        now=now,
    )
    return len(side.answers)
