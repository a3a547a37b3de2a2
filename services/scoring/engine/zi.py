"""Zona Integritas (WBK/WBBM) evaluation results — pure, exact, no I/O.

An evaluation sheet (LKE) has two components: *pengungkit* (levers, six change areas, each split
into a *pemenuhan* and a *reform* half under PermenPANRB 90/2021) and *hasil* (results: items such
as the anti-corruption perception survey). Every question carries a weight; its answer is turned
into a value in [0, 1] by the question's scale and scores ``value × weight`` points. The predicate
thresholds (seed 002, Tabel 3) are data too: the engine only compares.

Everything here is :class:`~decimal.Decimal` in :data:`numbers.CONTEXT`; bad input raises
:class:`ZiInputError` naming the field, which the domain layer turns into a problem+json.
An evaluation printed only as component totals (Ngurah Rai 2018) is scored as far as the totals go:
the checks that need per-area or per-item values are reported ``passed: None`` (not evaluable)
and the result says ``complete: False`` — never silently counted as passed or failed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from services.scoring.engine.numbers import CONTEXT, ONE, ZERO

# Scale → option → value. Letter scales as in the official LKE; yes/no as the codes ``yes``/``no``.
LETTER_SCALES: dict[str, dict[str, Decimal]] = {
    "yes_no": {"yes": ONE, "no": ZERO},
    "abc": {"A": ONE, "B": Decimal("0.5"), "C": ZERO},
    "a_d": {"A": ONE, "B": Decimal("0.67"), "C": Decimal("0.33"), "D": ZERO},
    "a_e": {"A": ONE, "B": Decimal("0.75"), "C": Decimal("0.5"), "D": Decimal("0.25"), "E": ZERO},
}
RATIO = "ratio"
SURVEY = "survey"
SURVEY_MAX = Decimal(4)
SCALES = (*LETTER_SCALES, RATIO, SURVEY)
HALVES = ("pemenuhan", "reform")
PREDICATES = ("WBK", "WBBM")  # ascending


class ZiInputError(ValueError):
    """Input the engine cannot score; ``field`` names the culprit, ``reason`` says why."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


def _dec(value: object, where: str) -> Decimal:
    """A finite Decimal; JSON floats via their shortest repr (3.5 → Decimal('3.5'))."""
    if isinstance(value, bool) or not isinstance(value, (Decimal, int, float, str)):
        raise ZiInputError(where, f"not a number: {value!r}")
    try:
        d = value if isinstance(value, Decimal) else Decimal(repr(value) if isinstance(value, float) else value)
    except ArithmeticError as exc:
        raise ZiInputError(where, f"not a number: {value!r}") from exc
    if not d.is_finite():
        # NaN would make every comparison raise; infinity is no score either.
        raise ZiInputError(where, f"not a finite number: {value!r}")
    return d


def answer_value(scale: str, answer: object, where: str = "answer") -> Decimal:
    """The value in [0, 1] of one answer on ``scale``.

    Letter scales take the option code; ``ratio`` takes ``{"numerator": n, "denominator": d}``
    (capped at 1: a unit cannot do more than all of it); ``survey`` takes the survey score on 0-4.
    """
    if scale in LETTER_SCALES:
        options = LETTER_SCALES[scale]
        if not isinstance(answer, str) or answer not in options:
            raise ZiInputError(where, f"{answer!r} is not on the scale {scale} ({', '.join(options)})")
        return options[answer]
    if scale == RATIO:
        if not isinstance(answer, Mapping) or set(answer) != {"numerator", "denominator"}:
            raise ZiInputError(where, "a ratio needs exactly numerator and denominator")
        num = _dec(answer["numerator"], f"{where}.numerator")
        den = _dec(answer["denominator"], f"{where}.denominator")
        if den == 0:
            raise ZiInputError(f"{where}.denominator", "the denominator of a ratio must not be zero")
        if num < 0 or den < 0:
            raise ZiInputError(where, "a ratio's numbers must not be negative")
        try:
            return min(ONE, CONTEXT.divide(num, den))
        except ArithmeticError as exc:  # overflow of absurd magnitudes: input, not a crash
            raise ZiInputError(where, "the ratio's numbers are out of range") from exc
    if scale == SURVEY:
        score = _dec(answer, where)
        if not ZERO <= score <= SURVEY_MAX:
            raise ZiInputError(where, f"a survey score lies between 0 and 4, got {score}")
        return CONTEXT.divide(score, SURVEY_MAX)
    raise ZiInputError("scale", f"unknown scale {scale!r} (one of {', '.join(SCALES)})")


# --- the template ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Area:
    code: str
    weights: Mapping[str, Decimal]  # half → weight

    @property
    def weight(self) -> Decimal:
        return sum(self.weights.values(), ZERO)


@dataclass(frozen=True)
class HasilItem:
    code: str
    weight: Decimal


@dataclass(frozen=True)
class SubComponent:
    code: str
    weight: Decimal
    items: Sequence[HasilItem]


@dataclass(frozen=True)
class Question:
    """One LKE question: under an area and half (pengungkit) or under a hasil item."""

    code: str
    scale: str
    weight: Decimal
    area: str | None = None
    half: str | None = None
    item: str | None = None


@dataclass(frozen=True)
class Template:
    pengungkit_weight: Decimal
    hasil_weight: Decimal
    areas: Sequence[Area]
    sub_components: Sequence[SubComponent]
    questions: Sequence[Question] = ()

    def area(self, code: str) -> Area:
        for a in self.areas:
            if a.code == code:
                return a
        raise ZiInputError("area", f"{code!r} is not an area of the template")

    def items(self) -> dict[str, HasilItem]:
        return {i.code: i for s in self.sub_components for i in s.items}

    def question(self, code: str, where: str = "question") -> Question:
        for q in self.questions:
            if q.code == code:
                return q
        raise ZiInputError(where, f"{code!r} is not a question of the template")


def validate_template(t: Template) -> None:
    """Weights must add up at every level (areas → pengungkit, items → sub-component → hasil,
    questions → their area half or item); questions must name a known place and scale."""
    if t.pengungkit_weight + t.hasil_weight != 100:
        raise ZiInputError("components", f"pengungkit + hasil = {t.pengungkit_weight + t.hasil_weight}, not 100")
    codes = [a.code for a in t.areas]
    if len(set(codes)) != len(codes):
        raise ZiInputError("areas", "area codes repeat")
    for a in t.areas:
        if set(a.weights) != set(HALVES):
            raise ZiInputError(f"areas.{a.code}.weights", f"needs exactly the halves {', '.join(HALVES)}")
        if any(w <= 0 for w in a.weights.values()):
            raise ZiInputError(f"areas.{a.code}.weights", "weights must be positive")
    area_sum = sum((a.weight for a in t.areas), ZERO)
    if area_sum != t.pengungkit_weight:
        raise ZiInputError(
            "areas", f"area weights add up to {area_sum}, not the pengungkit weight {t.pengungkit_weight}"
        )
    sub_sum = sum((s.weight for s in t.sub_components), ZERO)
    if sub_sum != t.hasil_weight:
        raise ZiInputError("sub_components", f"weights add up to {sub_sum}, not the hasil weight {t.hasil_weight}")
    for s in t.sub_components:
        item_sum = sum((i.weight for i in s.items), ZERO)
        if item_sum != s.weight:
            raise ZiInputError(f"sub_components.{s.code}", f"item weights add up to {item_sum}, not {s.weight}")
    if not t.questions:
        return
    items = t.items()
    seen: set[str] = set()
    sums: dict[tuple[str, str], Decimal] = {}
    for q in t.questions:
        where = f"questions.{q.code}"
        if q.code in seen:
            raise ZiInputError(where, "question code repeats")
        seen.add(q.code)
        if q.scale not in SCALES:
            raise ZiInputError(f"{where}.scale", f"unknown scale {q.scale!r}")
        if q.weight <= 0:
            raise ZiInputError(f"{where}.weight", "must be positive")
        if q.item is not None and q.area is None:
            if q.item not in items:
                raise ZiInputError(f"{where}.item", f"{q.item!r} is not a hasil item")
            key = ("item", q.item)
        elif q.area is not None and q.item is None:
            t.area(q.area)
            if q.half not in HALVES:
                raise ZiInputError(f"{where}.half", f"one of {', '.join(HALVES)}")
            key = (q.area, q.half)
        else:
            raise ZiInputError(where, "a question belongs to exactly one area (with a half) or one hasil item")
        sums[key] = sums.get(key, ZERO) + q.weight
    for a in t.areas:
        for half, w in a.weights.items():
            got = sums.get((a.code, half), ZERO)
            if got != w:
                raise ZiInputError(f"areas.{a.code}.{half}", f"question weights add up to {got}, not {w}")
    for code, item in items.items():
        got = sums.get(("item", code), ZERO)
        if got != item.weight:
            raise ZiInputError(f"items.{code}", f"question weights add up to {got}, not {item.weight}")


# --- thresholds -----------------------------------------------------------------------------

HASIL_KEYS = (
    "clean_government_min",
    "clean_government_survey_min",
    "anti_corruption_perception_min",
    "tlhp_min",
    "public_service_min",
    "public_service_survey_min",
)


@dataclass(frozen=True)
class PredicateThresholds:
    total_min: Decimal
    pengungkit_min: Decimal
    area_min_share: Decimal
    hasil: Mapping[str, Decimal]


def validate_thresholds(thresholds: Mapping[str, PredicateThresholds], t: Template) -> None:
    """Both predicates, each within the template, and WBBM never asking less than WBK."""
    if set(thresholds) != set(PREDICATES):
        raise ZiInputError("predicates", f"needs exactly {', '.join(PREDICATES)}")
    for name, p in thresholds.items():
        where = f"predicates.{name}"
        if set(p.hasil) != set(HASIL_KEYS):
            raise ZiInputError(f"{where}.hasil", f"needs exactly {', '.join(HASIL_KEYS)}")
        if not ZERO <= p.total_min <= 100:
            raise ZiInputError(f"{where}.total_min", "must lie between 0 and 100")
        if not ZERO <= p.pengungkit_min <= t.pengungkit_weight:
            raise ZiInputError(f"{where}.pengungkit_min", f"must lie between 0 and {t.pengungkit_weight}")
        if not ZERO < p.area_min_share <= ONE:
            raise ZiInputError(f"{where}.area_min_share", "must lie in (0, 1]")
        for key, v in p.hasil.items():
            if v < 0:
                raise ZiInputError(f"{where}.hasil.{key}", "must not be negative")
    low, high = thresholds["WBK"], thresholds["WBBM"]
    for key in ("total_min", "pengungkit_min", "area_min_share"):
        if getattr(high, key) < getattr(low, key):
            raise ZiInputError(
                f"predicates.WBBM.{key}", f"lower than WBK's {getattr(low, key)}: thresholds out of order"
            )
    for key in HASIL_KEYS:
        if high.hasil[key] < low.hasil[key]:
            raise ZiInputError(
                f"predicates.WBBM.hasil.{key}", f"lower than WBK's {low.hasil[key]}: thresholds out of order"
            )


# --- scores of one level --------------------------------------------------------------------


@dataclass
class LevelScores:
    """What one level (unit, ministry team, national team) scored.

    Either per question (``area_points``/``item_points``/``survey_index`` derived by
    :func:`score_answers`) or only as printed totals (``pengungkit``/``hasil``)."""

    area_points: dict[str, dict[str, Decimal]] | None = None  # area → half → points
    item_points: dict[str, Decimal] | None = None
    survey_index: dict[str, Decimal] = field(default_factory=dict)  # item → raw 0-4 score
    pengungkit: Decimal | None = None
    hasil: Decimal | None = None


def score_answers(t: Template, answers: Mapping[str, object]) -> LevelScores:
    """Points per area half and per hasil item from a complete set of answers (code → answer)."""
    for code in answers:
        t.question(code, f"answers.{code}")
    missing = [q.code for q in t.questions if q.code not in answers]
    if missing:
        raise ZiInputError(f"answers.{missing[0]}", "not answered")
    areas: dict[str, dict[str, Decimal]] = {a.code: {h: ZERO for h in HALVES} for a in t.areas}
    items: dict[str, Decimal] = {code: ZERO for code in t.items()}
    survey: dict[str, Decimal] = {}
    for q in t.questions:
        value = answer_value(q.scale, answers[q.code], f"answers.{q.code}")
        points = CONTEXT.multiply(value, q.weight)
        if q.area is not None and q.half is not None:
            areas[q.area][q.half] += points
        elif q.item is not None:
            items[q.item] += points
            if q.scale == SURVEY:
                survey[q.item] = _dec(answers[q.code], f"answers.{q.code}")
    return LevelScores(area_points=areas, item_points=items, survey_index=survey)


@dataclass(frozen=True)
class Check:
    code: str
    required: Decimal
    actual: Decimal | None
    passed: bool | None  # None: not evaluable from what the level holds


@dataclass(frozen=True)
class PredicateResult:
    predicate: str
    reached: bool
    complete: bool
    checks: Sequence[Check]

    @property
    def failed(self) -> list[Check]:
        return [c for c in self.checks if c.passed is False]


@dataclass(frozen=True)
class AreaResult:
    code: str
    weight: Decimal
    points: Decimal
    share: Decimal
    halves: Mapping[str, Decimal]


@dataclass(frozen=True)
class Results:
    areas: Sequence[AreaResult] | None
    pengungkit: Decimal
    hasil: Decimal
    total: Decimal
    sub_components: Mapping[str, Decimal] | None
    predicates: Sequence[PredicateResult]
    predicate: str | None  # the highest predicate reached
    missing: Mapping[str, Mapping[str, Decimal]]  # predicate → area/"pengungkit"/"total" → points missing


# Which item / sub-component each hasil threshold reads (templates of 90/2021: performance stands
# where 10/2019 had the TLHP item — see docs/adr/0015-zona-integritas.md).
HASIL_SOURCES: dict[str, tuple[str, str]] = {
    "clean_government_min": ("sub_component", "clean_accountable_bureaucracy"),
    "clean_government_survey_min": ("item", "anti_corruption_perception"),
    "anti_corruption_perception_min": ("survey", "anti_corruption_perception"),
    "tlhp_min": ("item", "performance"),
    "public_service_min": ("sub_component", "excellent_public_service"),
    "public_service_survey_min": ("survey", "service_quality_perception"),
}


def _ge(actual: Decimal | None, required: Decimal, code: str) -> Check:
    return Check(code, required, actual, None if actual is None else actual >= required)


def results(t: Template, thresholds: Mapping[str, PredicateThresholds], s: LevelScores) -> Results:
    """Areas, components, total, every threshold of both predicates, the predicate and the gaps."""
    area_results: list[AreaResult] | None = None
    if s.area_points is not None:
        area_results = []
        for a in t.areas:
            halves = s.area_points.get(a.code)
            if halves is None:
                raise ZiInputError(f"areas.{a.code}", "no points for this area")
            for half, v in halves.items():
                if half not in a.weights:
                    raise ZiInputError(f"areas.{a.code}.{half}", "not a half of the template")
                if not ZERO <= v <= a.weights[half]:
                    raise ZiInputError(f"areas.{a.code}.{half}", f"points {v} outside 0..{a.weights[half]}")
            points = sum(halves.values(), ZERO)
            area_results.append(AreaResult(a.code, a.weight, points, CONTEXT.divide(points, a.weight), dict(halves)))
        pengungkit = sum((r.points for r in area_results), ZERO)
    elif s.pengungkit is not None:
        pengungkit = _dec(s.pengungkit, "pengungkit")
    else:
        raise ZiInputError("pengungkit", "neither area points nor a pengungkit total")
    if not ZERO <= pengungkit <= t.pengungkit_weight:
        raise ZiInputError("pengungkit", f"{pengungkit} outside 0..{t.pengungkit_weight}")

    subs: dict[str, Decimal] | None = None
    if s.item_points is not None:
        items = t.items()
        for code, v in s.item_points.items():
            if code not in items:
                raise ZiInputError(f"items.{code}", "not a hasil item of the template")
            if not ZERO <= v <= items[code].weight:
                raise ZiInputError(f"items.{code}", f"points {v} outside 0..{items[code].weight}")
        subs = {sc.code: sum((s.item_points.get(i.code, ZERO) for i in sc.items), ZERO) for sc in t.sub_components}
        hasil = sum(subs.values(), ZERO)
    elif s.hasil is not None:
        hasil = _dec(s.hasil, "hasil")
    else:
        raise ZiInputError("hasil", "neither item points nor a hasil total")
    if not ZERO <= hasil <= t.hasil_weight:
        raise ZiInputError("hasil", f"{hasil} outside 0..{t.hasil_weight}")
    total = pengungkit + hasil

    def hasil_actual(key: str) -> Decimal | None:
        kind, code = HASIL_SOURCES[key]
        if kind == "sub_component":
            return None if subs is None else subs.get(code)
        if kind == "item":
            return None if s.item_points is None else s.item_points.get(code)
        return s.survey_index.get(code)

    predicates: list[PredicateResult] = []
    missing: dict[str, dict[str, Decimal]] = {}
    for name in PREDICATES:
        p = thresholds[name]
        checks = [_ge(total, p.total_min, "total"), _ge(pengungkit, p.pengungkit_min, "pengungkit")]
        gap: dict[str, Decimal] = {
            "total": max(ZERO, p.total_min - total),
            "pengungkit": max(ZERO, p.pengungkit_min - pengungkit),
        }
        for a in t.areas:
            need = CONTEXT.multiply(p.area_min_share, a.weight)
            got = None
            if area_results is not None:
                got = next(r.points for r in area_results if r.code == a.code)
                gap[a.code] = max(ZERO, need - got)
            checks.append(_ge(got, need, f"area.{a.code}"))
        for key in HASIL_KEYS:
            checks.append(_ge(hasil_actual(key), p.hasil[key], f"hasil.{key}"))
        complete = all(c.passed is not None for c in checks)
        reached = all(c.passed is not False for c in checks)
        predicates.append(PredicateResult(name, reached, complete, checks))
        missing[name] = gap
    reached_names = [pr.predicate for pr in predicates if pr.reached]
    return Results(
        areas=area_results,
        pengungkit=pengungkit,
        hasil=hasil,
        total=total,
        sub_components=subs,
        predicates=predicates,
        predicate=reached_names[-1] if reached_names else None,
        missing=missing,
    )


@dataclass(frozen=True)
class GapRow:
    question: str
    weight: Decimal
    unit_value: Decimal
    evaluator_value: Decimal
    points_at_risk: Decimal  # (unit − evaluator) × weight: what the unit claimed but did not get


def gap_view(t: Template, unit: Mapping[str, object], evaluator: Mapping[str, object]) -> list[GapRow]:
    """Per question the unit's answer against the evaluator's, largest points at risk first."""
    rows: list[GapRow] = []
    for q in t.questions:
        if q.code not in unit or q.code not in evaluator:
            continue
        u = answer_value(q.scale, unit[q.code], f"unit.{q.code}")
        e = answer_value(q.scale, evaluator[q.code], f"evaluator.{q.code}")
        rows.append(GapRow(q.code, q.weight, u, e, CONTEXT.multiply(u - e, q.weight)))
    rows.sort(key=lambda r: (-r.points_at_risk, r.question))
    return rows


# --- documents (the shipped ``kinerja.zi-template/v1`` / ``kinerja.zi-thresholds/v1`` shapes) --


def template_from_document(doc: Mapping[str, object]) -> Template:
    """A validated :class:`Template` from the parsed template document (questions optional)."""
    try:
        comps = {c["code"]: c for c in doc["components"]}  # type: ignore[attr-defined]
        lev, res = comps["pengungkit"], comps["hasil"]
        t = Template(
            pengungkit_weight=_dec(lev["weight"], "components.pengungkit.weight"),
            hasil_weight=_dec(res["weight"], "components.hasil.weight"),
            areas=[
                Area(a["code"], {h: _dec(w, f"areas.{a['code']}.weights.{h}") for h, w in a["weights"].items()})
                for a in lev["areas"]
            ],
            sub_components=[
                SubComponent(
                    sc["code"],
                    _dec(sc["weight"], f"sub_components.{sc['code']}.weight"),
                    [HasilItem(i["code"], _dec(i["weight"], f"items.{i['code']}.weight")) for i in sc["items"]],
                )
                for sc in res["sub_components"]
            ],
            questions=[
                Question(
                    code=q["code"],
                    scale=q["scale"],
                    weight=_dec(q["weight"], f"questions.{q['code']}.weight"),
                    area=q.get("area"),
                    half=q.get("half"),
                    item=q.get("item"),
                )
                for q in doc.get("questions") or []  # type: ignore[attr-defined]
            ],
        )
    except (KeyError, TypeError, AttributeError) as exc:
        raise ZiInputError("template", f"malformed template document: {exc!r}") from exc
    validate_template(t)
    return t


def thresholds_from_document(doc: Mapping[str, object], t: Template) -> dict[str, PredicateThresholds]:
    """Validated thresholds from the parsed thresholds document (``printed`` cells ignored)."""
    try:
        preds: Mapping[str, Mapping[str, object]] = doc["predicates"]  # type: ignore[assignment]
        out = {
            name: PredicateThresholds(
                total_min=_dec(p["total_min"], f"predicates.{name}.total_min"),
                pengungkit_min=_dec(p["pengungkit_min"], f"predicates.{name}.pengungkit_min"),
                area_min_share=_dec(p["area_min_share"], f"predicates.{name}.area_min_share"),
                hasil={
                    k: _dec(v, f"predicates.{name}.hasil.{k}")
                    for k, v in p["hasil"].items()  # type: ignore[attr-defined]
                    if k.endswith("_min")
                },
            )
            for name, p in preds.items()
        }
    except (KeyError, TypeError, AttributeError) as exc:
        raise ZiInputError("thresholds", f"malformed thresholds document: {exc!r}") from exc
    validate_thresholds(out, t)
    return out
