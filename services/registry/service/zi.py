"""Zona Integritas LKE templates (ADR 0015): versioned data, checked for shape and sums here.

A template version document is ``{"code", "version", "valid_from_year", "template", "thresholds"}``
where ``template`` is a ``kinerja.zi-template/v1`` document (components, areas with a weight per
half, hasil sub-components and items, optional questions) and ``thresholds`` a
``kinerja.zi-thresholds/v1`` document (WBK and WBBM minimums). Like rule sets, the registry checks
that the weights add up exactly (``Decimal``) and that the thresholds are in order; the scoring
service interprets them. A stored version is never changed: a changed regulation or weight is a
new version, so an evaluation scored with a version keeps its meaning.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from kernel.errors import Conflict, FieldError, NotFound, Unprocessable
from services.registry.service.rule_sets import _num
from services.registry.store.repositories import flush
from services.registry.store.zi_models import ZiTemplate

HALVES = ("pemenuhan", "reform")
SCALES = ("yes_no", "abc", "a_d", "a_e", "ratio", "survey")
PREDICATES = ("WBK", "WBBM")  # ascending
#: answers scoring can suggest (``prefill`` of a question; ADR 0025): the NKO better than the year before
PREFILLS = ("nko_improvement",)
HASIL_MINIMUMS = (
    "clean_government_min",
    "clean_government_survey_min",
    "anti_corruption_perception_min",
    "tlhp_min",
    "public_service_min",
    "public_service_survey_min",
)


def _weight(value: Any, field: str, errors: list[FieldError]) -> Decimal | None:
    # Numbers as quoted strings (as the seed transcribes them) or JSON numbers; floats via repr.
    d = _num(value)
    if d is None or d <= 0:
        errors.append(FieldError(field=field, reason="must be a positive number"))
        return None
    return d


def _validate_template(t: Any, errors: list[FieldError]) -> None:
    if not isinstance(t, dict) or not isinstance(t.get("components"), list):
        errors.append(FieldError(field="template.components", reason="must be a list"))
        return
    comps = {c.get("code"): c for c in t["components"] if isinstance(c, dict)}
    if set(comps) != {"pengungkit", "hasil"} or len(t["components"]) != 2:
        errors.append(FieldError(field="template.components", reason="needs exactly pengungkit and hasil"))
        return
    lev_w = _weight(comps["pengungkit"].get("weight"), "template.components.pengungkit.weight", errors)
    res_w = _weight(comps["hasil"].get("weight"), "template.components.hasil.weight", errors)
    if lev_w is not None and res_w is not None and lev_w + res_w != 100:
        errors.append(FieldError(field="template.components", reason=f"weights add up to {lev_w + res_w}, not 100"))
    areas = comps["pengungkit"].get("areas")
    if not isinstance(areas, list) or not areas:
        errors.append(FieldError(field="template.components.pengungkit.areas", reason="must be a non-empty list"))
        return
    area_halves: dict[str, dict[str, Decimal]] = {}
    for i, a in enumerate(areas):
        f = f"template.components.pengungkit.areas[{i}]"
        if not isinstance(a, dict) or not isinstance(a.get("code"), str) or not isinstance(a.get("name"), str):
            errors.append(FieldError(field=f, reason="needs a code and an Indonesian name"))
            continue
        if a["code"] in area_halves:
            errors.append(FieldError(field=f"{f}.code", reason=f"duplicate area {a['code']}"))
        weights = a.get("weights")
        if not isinstance(weights, dict) or set(weights) != set(HALVES):
            errors.append(FieldError(field=f"{f}.weights", reason=f"needs exactly the halves {', '.join(HALVES)}"))
            continue
        parsed = {h: _weight(weights[h], f"{f}.weights.{h}", errors) for h in HALVES}
        area_halves[a["code"]] = {h: w for h, w in parsed.items() if w is not None}
    if lev_w is not None and not errors:
        total = sum((w for hs in area_halves.values() for w in hs.values()), Decimal(0))
        if total != lev_w:
            errors.append(
                FieldError(
                    field="template.components.pengungkit.areas",
                    reason=f"area weights add up to {total}, not the pengungkit weight {lev_w}",
                )
            )
    subs = comps["hasil"].get("sub_components")
    items: dict[str, Decimal] = {}
    if not isinstance(subs, list) or not subs:
        errors.append(FieldError(field="template.components.hasil.sub_components", reason="must be a non-empty list"))
        return
    sub_total = Decimal(0)
    for i, s in enumerate(subs):
        f = f"template.components.hasil.sub_components[{i}]"
        if not isinstance(s, dict) or not isinstance(s.get("items"), list):
            errors.append(FieldError(field=f, reason="needs a code, a weight and items"))
            continue
        sw = _weight(s.get("weight"), f"{f}.weight", errors)
        item_total = Decimal(0)
        for j, it in enumerate(s["items"]):
            iw = _weight(it.get("weight") if isinstance(it, dict) else None, f"{f}.items[{j}].weight", errors)
            if iw is not None and isinstance(it.get("code"), str):
                items[it["code"]] = iw
                item_total += iw
        if sw is not None:
            sub_total += sw
            if item_total != sw:
                errors.append(FieldError(field=f"{f}.items", reason=f"item weights add up to {item_total}, not {sw}"))
    if res_w is not None and sub_total != res_w:
        errors.append(
            FieldError(
                field="template.components.hasil.sub_components",
                reason=f"weights add up to {sub_total}, not the hasil weight {res_w}",
            )
        )
    _validate_questions(t.get("questions"), area_halves, items, errors)


def _validate_questions(
    questions: Any, areas: dict[str, dict[str, Decimal]], items: dict[str, Decimal], errors: list[FieldError]
) -> None:
    if questions is None:
        return
    if not isinstance(questions, list):
        errors.append(FieldError(field="template.questions", reason="must be a list"))
        return
    sums: dict[str, Decimal] = {}
    seen: set[str] = set()
    for i, q in enumerate(questions):
        f = f"template.questions[{i}]"
        if not isinstance(q, dict) or not isinstance(q.get("code"), str) or not isinstance(q.get("text"), str):
            errors.append(FieldError(field=f, reason="needs a code and the question text (Indonesian)"))
            continue
        if q["code"] in seen:
            errors.append(FieldError(field=f"{f}.code", reason=f"duplicate question {q['code']}"))
        seen.add(q["code"])
        if q.get("scale") not in SCALES:
            errors.append(FieldError(field=f"{f}.scale", reason=f"one of {', '.join(SCALES)}"))
        if q.get("prefill") is not None and (q["prefill"] not in PREFILLS or q.get("scale") != "yes_no"):
            errors.append(
                FieldError(field=f"{f}.prefill", reason=f"one of {', '.join(PREFILLS)}, on a yes_no question")
            )
        w = _weight(q.get("weight"), f"{f}.weight", errors)
        if q.get("area") in areas and q.get("half") in HALVES and "item" not in q:
            key = f"{q['area']}.{q['half']}"
        elif q.get("item") in items and "area" not in q:
            key = f"item.{q['item']}"
        else:
            errors.append(FieldError(field=f, reason="names one known area with its half, or one known hasil item"))
            continue
        if w is not None:
            sums[key] = sums.get(key, Decimal(0)) + w
    if errors:
        return
    expected = {f"{a}.{h}": w for a, hs in areas.items() for h, w in hs.items()}
    expected.update({f"item.{c}": w for c, w in items.items()})
    for key, w in expected.items():
        if sums.get(key, Decimal(0)) != w:
            errors.append(
                FieldError(
                    field="template.questions", reason=f"weights under {key} add up to {sums.get(key, 0)}, not {w}"
                )
            )


def _validate_thresholds(th: Any, errors: list[FieldError]) -> None:
    preds = th.get("predicates") if isinstance(th, dict) else None
    if not isinstance(preds, dict) or set(preds) != set(PREDICATES):
        errors.append(FieldError(field="thresholds.predicates", reason=f"needs exactly {', '.join(PREDICATES)}"))
        return
    values: dict[str, dict[str, Decimal]] = {}
    for name in PREDICATES:
        p, f = preds[name], f"thresholds.predicates.{name}"
        hasil = p.get("hasil") if isinstance(p, dict) else None
        if not isinstance(hasil, dict):
            errors.append(FieldError(field=f"{f}.hasil", reason="must be an object"))
            continue
        found: dict[str, Decimal] = {}
        for key, raw in [*((k, p.get(k)) for k in ("total_min", "pengungkit_min", "area_min_share"))] + [
            (k, hasil.get(k)) for k in HASIL_MINIMUMS
        ]:
            d = _num(raw)
            where = f"{f}.{key}" if key in p else f"{f}.hasil.{key}"
            if d is None or d < 0:
                errors.append(FieldError(field=where, reason="must be a number >= 0"))
            else:
                found[key] = d
        if "total_min" in found and found["total_min"] > 100:
            errors.append(FieldError(field=f"{f}.total_min", reason="must not exceed 100"))
        if "area_min_share" in found and not 0 < found["area_min_share"] <= 1:
            errors.append(FieldError(field=f"{f}.area_min_share", reason="a share in (0, 1]"))
        values[name] = found
    if errors:
        return
    low, high = values["WBK"], values["WBBM"]
    for key, v in high.items():
        if v < low[key]:
            place = key if key in ("total_min", "pengungkit_min", "area_min_share") else f"hasil.{key}"
            errors.append(
                FieldError(
                    field=f"thresholds.predicates.WBBM.{place}",
                    reason=f"{v} is below WBK's {low[key]}: thresholds out of order",
                )
            )


def validate(document: Any) -> list[FieldError]:
    """All the problems of a ZI template version document (empty list = valid)."""
    if not isinstance(document, dict):
        return [FieldError(field="document", reason="must be an object")]
    errors: list[FieldError] = []
    if not isinstance(document.get("code"), str) or not document["code"]:
        errors.append(FieldError(field="code", reason="required string"))
    for key, low in (("version", 1), ("valid_from_year", 2000)):
        v = document.get(key)
        if not isinstance(v, int) or isinstance(v, bool) or v < low:
            errors.append(FieldError(field=key, reason=f"required integer >= {low}"))
    _validate_template(document.get("template"), errors)
    _validate_thresholds(document.get("thresholds"), errors)
    return errors


class ZiTemplateRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, code: str, version: int) -> ZiTemplate | None:
        stmt = sa.select(ZiTemplate).where(col(ZiTemplate.code) == code, col(ZiTemplate.version) == version)
        return (await self.session.execute(stmt)).scalar_one_or_none()

    async def for_year(self, year: int) -> ZiTemplate | None:
        stmt = (
            sa.select(ZiTemplate)
            .where(col(ZiTemplate.valid_from_year) <= year)
            .order_by(col(ZiTemplate.valid_from_year).desc(), col(ZiTemplate.version).desc())
            .limit(1)
        )
        return (await self.session.execute(stmt)).scalar_one_or_none()

    async def list(self) -> list[ZiTemplate]:
        stmt = sa.select(ZiTemplate).order_by(col(ZiTemplate.code), col(ZiTemplate.version))
        return list((await self.session.execute(stmt)).scalars())

    async def add(self, row: ZiTemplate) -> ZiTemplate:
        self.session.add(row)
        await flush(self.session)
        return row


async def get(*, session: AsyncSession, code: str, version: int) -> ZiTemplate:
    found = await ZiTemplateRepository(session).get(code, version)
    if found is None:
        raise NotFound(f"unknown ZI template {code} version {version}", field="version")
    return found


async def for_year(*, session: AsyncSession, year: int) -> ZiTemplate:
    found = await ZiTemplateRepository(session).for_year(year)
    if found is None:
        raise NotFound(f"no ZI template valid in {year}", field="year")
    return found


async def list_all(*, session: AsyncSession) -> list[ZiTemplate]:
    return await ZiTemplateRepository(session).list()


async def create(*, session: AsyncSession, document: dict[str, Any], actor: str, now: datetime) -> ZiTemplate:
    errors = validate(document)
    if errors:
        raise Unprocessable(f"invalid ZI template: {errors[0].field}: {errors[0].reason}", errors=errors)
    repo = ZiTemplateRepository(session)
    if await repo.get(document["code"], document["version"]) is not None:
        # A stored version is immutable (evaluations may be scored with it): store a new version.
        raise Conflict(
            f"ZI template {document['code']} version {document['version']} exists; store a new version instead",
            field="version",
        )
    return await repo.add(
        ZiTemplate(
            code=document["code"],
            version=document["version"],
            valid_from_year=document["valid_from_year"],
            document=document,
            recorded_at=now,
            recorded_by=actor,
        )
    )
