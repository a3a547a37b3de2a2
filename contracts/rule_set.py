"""The rule-set document (docs/contracts.md §7): what the registry stores and scoring interprets.

Format ``kinerja.rule-set/v1`` (ADR 0016). A rule set is written by clients (an admin stores a
new KMK), so the document is strict: :data:`RULE_SET` has ``extra="forbid"`` at every level, and a
misspelt key (``perspectivs``, ``at_leats``) is a 422 naming its JSON path instead of a silently
ignored one. Scoring's ``POST /api/v1/scoring/rule-sets/validate`` checks a document against this
model first and then against the engine's meaning (weights summing to 1, bands in order, the
formulas it knows: ``services/scoring/engine/rules.py``); the registry asks it before storing.
A stored document is read back as part of the bundle (:class:`contracts.bundle.BundleRuleSet`),
where it is an opaque object to the bundle contract and the engine reads it tolerantly.

The formula names are text here (``ratio``, ``two_minus_ratio``, ``inverse_ratio``,
``stabilize``): which formulas exist is the engine's business, reviewed in code, and the
validation route answers an unknown one with the list of the known ones.
"""

from __future__ import annotations

from typing import Any, NotRequired

from pydantic import TypeAdapter, with_config
from typing_extensions import TypedDict

from contracts.wire import Num

FORMAT = "kinerja.rule-set/v1"


@with_config(extra="forbid")
class IndexBounds(TypedDict):
    """An index is clamped to [floor, cap] (default 0 and 120)."""

    floor: NotRequired[Num]
    cap: NotRequired[Num]


@with_config(extra="forbid")
class FormulaRule(TypedDict):
    formula: str


@with_config(extra="forbid")
class PolarityRule(TypedDict):
    """The formula of a polarity for a positive target and, optionally, for a negative one
    (without it a negative target's index is not computable, with the reason)."""

    formula: str
    negative_target: NotRequired[FormulaRule | None]


@with_config(extra="forbid")
class Perspective(TypedDict):
    code: str
    name: NotRequired[str | None]
    weight: Num


@with_config(extra="forbid")
class Predicate(TypedDict):
    """A predicate band, tried top down: ``above`` (strictly greater), ``at_least``, or neither
    (the last, catch-all band)."""

    name: str
    above: NotRequired[Num | None]
    at_least: NotRequired[Num | None]


@with_config(extra="forbid")
class StatusBand(TypedDict):
    status: str
    at_least: NotRequired[Num | None]
    above: NotRequired[Num | None]


@with_config(extra="forbid")
class RuleSetDocument(TypedDict):
    """One version of a rule set, e.g. KMK-300-2022 v1 (polarity formulas, clamp, weights, bands)."""

    code: str
    version: int
    title: NotRequired[str | None]
    description: NotRequired[str | None]
    index: NotRequired[IndexBounds]
    #: polarity (``max``, ``min``, ``stabilize``, ...) → its formulas; an IKU's polarity is a key here
    polarity: dict[str, PolarityRule]
    #: the Balanced-Scorecard perspectives with their weights (summing to 1)
    perspectives: list[Perspective]
    predicates: list[Predicate]
    status_bands: list[StatusBand]


RULE_SET: TypeAdapter[RuleSetDocument] = TypeAdapter(RuleSetDocument)


def check_rule_set(document: Any) -> RuleSetDocument:
    """The document as the contract says it, nothing more (``extra="forbid"``). Raises
    ``ValidationError``; the caller turns it into field errors (``kernel.errors``)."""
    return RULE_SET.validate_python(document)
