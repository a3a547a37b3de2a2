"""The rule set (contracts §7): polarity formulas, clamp, status bands, predicates.

The rule set is data from the agreement (KMK 300/2022 today, another KMK tomorrow); the code
only knows the *names* of the formulas. Adding a formula is a code change reviewed here, never a
string evaluated at run time.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, localcontext
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from bench.engine_before.evaluate import interpolate
from bench.engine_before.manual import Manual
from bench.engine_before.numbers import CONTEXT, HUNDRED, ONE
from kernel.types import Number

Formula = Literal["ratio", "two_minus_ratio", "inverse_ratio", "stabilize"]

FORMULA_TEXT: dict[str, str] = {
    "ratio": "R / T × 100",
    "two_minus_ratio": "(1 + (1 − R / T)) × 100",
    "inverse_ratio": "T / R × 100",
    "stabilize": "Ca = R / T × 100 if R ≤ T else 200 − R / T × 100, then the manual's conversion scale",
}


class _M(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class IndexBounds(_M):
    floor: Number = Decimal(0)
    cap: Number = Decimal(120)


class PolarityRule(_M):
    formula: Formula


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

    def predicate(self, nko: Decimal | None) -> str | None:
        if nko is None:
            return None
        for p in self.predicates:
            if p.above is not None and nko > p.above:
                return p.name
            if p.at_least is not None and nko >= p.at_least:
                return p.name
            if p.above is None and p.at_least is None:
                return p.name
        return None

    def status(self, index: Decimal | None) -> str:
        if index is None:
            return "grey"
        for b in self.status_bands:
            if b.above is not None and index > b.above:
                return b.status
            if b.at_least is not None and index >= b.at_least:
                return b.status
            if b.above is None and b.at_least is None:
                return b.status
        return "grey"


class RuleSetError(ValueError):
    def __init__(self, errors: list[tuple[str, str]]) -> None:
        super().__init__("; ".join(f"{p}: {r}" for p, r in errors))
        self.errors = errors


def parse_rule_set(code: str, version: int, document: Any) -> RuleSet:
    try:
        return RuleSet.model_validate({"code": code, "version": version, **(document or {})})
    except ValidationError as exc:
        raise RuleSetError(
            [(".".join(str(x) for x in e.get("loc", ())) or "$", str(e.get("msg"))) for e in exc.errors()]
        ) from None


@dataclass(frozen=True)
class Achievement:
    index: Decimal | None  # clamped, full precision
    raw: Decimal | None  # before the clamp
    status: str
    formula: str | None
    reason: str | None  # why there is no index, or what was applied


def achievement(
    *, rules: RuleSet, polarity: str, realization: Decimal | None, target: Decimal | None, manual: Manual | None
) -> Achievement:
    """Index of one IKU in one period: polarity formula, clamp [floor, cap], status band."""
    if realization is None:
        return Achievement(None, None, "grey", None, "no realisation for the period")
    if target is None:
        return Achievement(None, None, "grey", None, "no target for the period")
    rule = rules.polarity.get(polarity)
    if rule is None:
        return Achievement(None, None, "grey", None, f"polarity {polarity!r} not defined by rule set {rules.code}")
    formula = rule.formula
    with localcontext(CONTEXT):
        if target == 0:
            tz = manual.target_zero if manual else None
            if tz is None:
                return Achievement(
                    None,
                    None,
                    "grey",
                    FORMULA_TEXT[formula],
                    "target is 0: index not computable (the manual defines no rule for it)",
                )
            met = (
                realization <= 0
                if polarity == "min"
                else (realization == 0 if polarity == "stabilize" else realization >= 0)
            )
            raw = tz.met if met else tz.missed
            reason = "target 0: the manual's target_zero rule"
        else:
            ratio = realization / target
            if formula == "ratio":
                raw = ratio * HUNDRED
            elif formula == "two_minus_ratio":
                raw = (ONE + (ONE - ratio)) * HUNDRED
            elif formula == "inverse_ratio":
                raw = rules.index.cap if realization == 0 else target / realization * HUNDRED
            else:  # stabilize
                ca = ratio * HUNDRED if realization <= target else 2 * HUNDRED - ratio * HUNDRED
                raw = interpolate(list(manual.stabilize_scale), ca) if manual and manual.stabilize_scale else ca
            reason = None
        index = min(max(raw, rules.index.floor), rules.index.cap)
        if index != raw:
            reason = f"clamped to [{rules.index.floor}, {rules.index.cap}]"
    return Achievement(index, raw, rules.status(index), FORMULA_TEXT[formula], reason)
