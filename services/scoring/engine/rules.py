"""The rule set (contracts §7): polarity formulas, clamp, status bands, predicates.

The rule set is data from the agreement (KMK 300/2022 today, another KMK tomorrow); the code
only knows the *names* of the formulas. Adding a formula is a code change reviewed here, never a
string evaluated at run time.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, localcontext
from functools import cached_property
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator
from pydantic_core import ErrorDetails

from kernel.errors import FieldError, field_errors, json_path
from kernel.types import Number
from services.scoring.engine.evaluate import interpolate
from services.scoring.engine.manual import Manual
from services.scoring.engine.numbers import CONTEXT, HUNDRED, ONE, ZERO

Formula = Literal["ratio", "two_minus_ratio", "inverse_ratio", "stabilize"]

FORMULA_NAMES: tuple[str, ...] = ("ratio", "two_minus_ratio", "inverse_ratio", "stabilize")

FORMULA_TEXT: dict[str, str] = {
    "ratio": "R / T × 100",
    "target_zero_worst": "(worst − R) / worst × 100 (target 0, the manual's worst realisation)",
    "two_minus_ratio": "(1 + (1 − R / T)) × 100",
    "inverse_ratio": "T / R × 100",
    "stabilize": "Ca = R / T × 100 if R ≤ T else 200 − R / T × 100, then the manual's conversion scale",
}


class _M(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class IndexBounds(_M):
    floor: Number = Decimal(0)
    cap: Number = Decimal(120)


class FormulaRule(_M):
    model_config = ConfigDict(extra="forbid", frozen=True)
    formula: Formula


class PolarityRule(_M):
    """The formula of a polarity for a positive target and, optionally, for a negative one.

    ``negative_target`` is data because the sign changes the meaning of R / T: for a max IKU
    with target −10, −11 is worse than −5, yet R / T is larger. Without it a negative target is
    not computable (with the reason), never scored by the positive-target formula."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    formula: Formula
    negative_target: FormulaRule | None = None


class Perspective(_M):
    code: str
    name: str | None = None
    weight: Number


class Predicate(_M):
    name: str
    above: Number | None = None
    at_least: Number | None = None


class StatusBand(_M):
    status: str
    at_least: Number | None = None
    above: Number | None = None


class RuleSet(_M):
    code: str
    version: int
    title: str | None = None
    description: str | None = None
    index: IndexBounds = IndexBounds()
    polarity: dict[str, PolarityRule]
    perspectives: Annotated[list[Perspective], Field(min_length=1)]
    predicates: Annotated[list[Predicate], Field(min_length=1)]
    status_bands: Annotated[list[StatusBand], Field(min_length=1)]

    @model_validator(mode="after")
    def _bounds(self) -> RuleSet:
        if self.index.cap <= self.index.floor:
            raise ValueError("index.cap must be above index.floor")
        return self

    @cached_property
    def _predicate_bands(self) -> tuple[tuple[Decimal | None, Decimal | None, str], ...]:
        return tuple((p.above, p.at_least, p.name) for p in self.predicates)

    @cached_property
    def _status_bands(self) -> tuple[tuple[Decimal | None, Decimal | None, str], ...]:
        return tuple((b.above, b.at_least, b.status) for b in self.status_bands)

    @cached_property
    def _clamp(self) -> tuple[Decimal, Decimal]:
        return self.index.floor, self.index.cap

    @cached_property
    def _positive(self) -> dict[str, tuple[PolarityRule, str, str]]:
        """Per polarity: its rule, the formula of a positive target and that formula's text,
        resolved once per (content-cached) rule set instead of once per IKU score."""
        return {name: (rule, rule.formula, FORMULA_TEXT[rule.formula]) for name, rule in self.polarity.items()}

    @staticmethod
    def _band(bands: tuple[tuple[Decimal | None, Decimal | None, str], ...], value: Decimal) -> str | None:
        for above, at_least, name in bands:
            if above is not None:
                if value > above:
                    return name
            elif at_least is not None:
                if value >= at_least:
                    return name
            else:
                return name
        return None

    def predicate(self, nko: Decimal | None) -> str | None:
        return None if nko is None else self._band(self._predicate_bands, nko)

    def status(self, index: Decimal | None) -> str:
        if index is None:
            return "grey"
        return self._band(self._status_bands, index) or "grey"


class RuleSetError(ValueError):
    def __init__(self, errors: list[tuple[str, str]]) -> None:
        super().__init__("; ".join(f"{p}: {r}" for p, r in errors))
        self.errors = errors


def _refine(e: ErrorDetails, found: FieldError) -> FieldError:
    if e.get("type") == "literal_error":
        return FieldError(
            field=found.field, reason=f"unknown formula {e.get('input')!r}; one of {', '.join(FORMULA_NAMES)}"
        )
    return found


def _relative(loc: tuple[int | str, ...]) -> str:
    return json_path(loc, root="")


def validate_rule_set(document: Any) -> RuleSet:
    """A whole rule-set document as the registry stores it (``code`` and ``version`` inside):
    the model the engine parses with, so the registry refuses what scoring could not read."""
    if not isinstance(document, dict):
        raise RuleSetError([("$", "a rule set document is an object")])
    return parse_rule_set(document.get("code"), document.get("version"), document)  # type: ignore[arg-type]


def parse_rule_set(code: str, version: int, document: Any) -> RuleSet:
    if document is not None and not isinstance(document, dict):
        raise RuleSetError([("$", "a rule set document is an object")])
    try:
        return RuleSet.model_validate({**(document or {}), "code": code, "version": version})
    except ValidationError as exc:
        found = field_errors(exc, locate=_relative, refine=_refine)
        raise RuleSetError([(e.field, e.reason) for e in found]) from None


@dataclass(slots=True)
class Achievement:
    index: Decimal | None  # clamped, full precision
    raw: Decimal | None  # before the clamp
    status: str
    formula: str | None
    reason: str | None  # why there is no index, or what was applied


def achievement(
    *,
    rules: RuleSet,
    polarity: str,
    realization: Decimal | None,
    target: Decimal | None,
    manual: Manual | None,
    worst: Decimal | None = None,
) -> Achievement:
    """Index of one IKU in one period: polarity formula (by the sign of the target), clamp
    [floor, cap], status band. ``worst``: the manual's worst realisation for the period (target 0)."""
    with localcontext(CONTEXT):
        return achieve(rules, polarity, realization, target, manual, worst)


def _grey(formula: str | None, reason: str) -> Achievement:
    return Achievement(None, None, "grey", formula, reason)


def achieve(
    rules: RuleSet,
    polarity: str,
    realization: Decimal | None,
    target: Decimal | None,
    manual: Manual | None,
    worst: Decimal | None = None,
) -> Achievement:
    """:func:`achievement` inside the caller's :data:`CONTEXT` (the scorecard enters it once).

    A positive target (every IKU of every agreement so far) is tested first and takes the short
    way; the arithmetic is the same in every branch."""
    if realization is None:
        return _grey(None, "no realisation for the period")
    if target is None:
        return _grey(None, "no target for the period")
    resolved = rules._positive.get(polarity)
    if resolved is None:
        return _grey(None, f"polarity {polarity!r} not defined by rule set {rules.code}")
    rule, formula, formula_text = resolved
    reason: str | None = None
    if target > ZERO:  # Decimal against Decimal (an int operand is converted on every comparison)
        ratio = realization / target
        if formula == "ratio":
            raw = ratio * HUNDRED
        elif formula == "two_minus_ratio":
            raw = (ONE + (ONE - ratio)) * HUNDRED
        elif formula == "inverse_ratio":
            raw = rules.index.cap if realization == 0 else target / realization * HUNDRED
        else:  # stabilize: the deviation from the target, on either side of it
            ca = ratio * HUNDRED if realization <= target else 2 * HUNDRED - ratio * HUNDRED
            raw = interpolate(list(manual.stabilize_scale), ca) if manual and manual.stabilize_scale else ca
    elif target == 0:
        tz = manual.target_zero if manual else None
        if tz is not None and tz.worst is not None and polarity == "min":
            if worst is None:
                return _grey(FORMULA_TEXT["target_zero_worst"], "target is 0 and the worst realisation has no value")
            if worst <= 0:
                return _grey(
                    FORMULA_TEXT["target_zero_worst"],
                    f"target is 0: the worst realisation must be above 0, got {worst}",
                )
            formula_text = FORMULA_TEXT["target_zero_worst"]
            raw = (worst - realization) / worst * HUNDRED
            reason = f"target 0: (worst − R) / worst × 100 with worst {worst}"
        elif tz is not None and tz.met is not None:
            met = (
                realization <= 0
                if polarity == "min"
                else (realization == 0 if polarity == "stabilize" else realization >= 0)
            )
            formula_text = FORMULA_TEXT[formula]
            raw = tz.met if met else tz.missed
            reason = "target 0: the manual's target_zero rule"
        else:
            why = "the manual names no worst realisation" if polarity == "min" else "the manual defines no rule for it"
            return _grey(FORMULA_TEXT[formula], f"target is 0: index not computable ({why})")
    else:  # a negative target
        if rule.negative_target is None:
            return _grey(
                FORMULA_TEXT[formula],
                f"target {target} is negative: rule set {rules.code} v{rules.version} states no formula "
                f"for a negative target of polarity {polarity}",
            )
        formula = rule.negative_target.formula
        formula_text = FORMULA_TEXT[formula]
        ratio = realization / target
        if formula == "ratio":
            raw = ratio * HUNDRED
        elif formula == "two_minus_ratio":
            raw = (ONE + (ONE - ratio)) * HUNDRED
        elif formula == "inverse_ratio":
            return _grey(formula_text, "inverse_ratio is not defined for a negative target")
        else:  # stabilize
            ca = ratio * HUNDRED if realization >= target else 2 * HUNDRED - ratio * HUNDRED
            raw = interpolate(list(manual.stabilize_scale), ca) if manual and manual.stabilize_scale else ca
        reason = f"negative target: {formula_text}"
    floor, cap = rules._clamp
    if raw < floor:
        index, reason = floor, f"clamped to [{floor}, {cap}]"
    elif raw > cap:
        index, reason = cap, f"clamped to [{floor}, {cap}]"
    else:
        index = raw
    status = "grey"
    for above, at_least, name in rules._status_bands:  # RuleSet.status, inline
        if above is not None:
            if index > above:
                status = name
                break
        elif at_least is None or index >= at_least:
            status = name
            break
    return Achievement(index, raw, status or "grey", formula_text, reason)
