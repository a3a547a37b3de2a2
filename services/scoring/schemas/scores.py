"""The scores answers (``GET .../scores`` and friends; issue 10, ADR 0018, ADR 0023).

TypedDicts: the use cases build these dicts (mypy checks every key), the routes answer them
through ``kernel.wire.ExactJSONResponse`` (every Decimal a JSON number with its own digits) without
a second pass through pydantic, and ``tests/scoring`` validate the answers against them with
``extra="forbid"``. One shape for "value + display text": the exact number ``x`` (or null) beside
``x_display``, its printed text (or null), as the answers always had it (``nko`` / ``nko_display``);
``tests/gateway/test_openapi.py`` holds every answer of the API to it.
"""

from __future__ import annotations

from typing import Literal, NotRequired

from pydantic import TypeAdapter, with_config
from typing_extensions import TypedDict

from contracts.bundle import BundleAddendum, BundleAgreement
from kernel.wire import ExactNumber


@with_config(extra="forbid")
class SatkerOut(TypedDict):
    code: str
    name: str
    kind: str
    parent: str | None
    path: list[str]


@with_config(extra="forbid")
class RuleSetRefOut(TypedDict):
    code: str
    version: int


@with_config(extra="forbid")
class IkuOut(TypedDict):
    """One IKU's score in the period."""

    code: str
    name: str
    objective: str
    polarity: str
    unit: str | None
    weight: ExactNumber
    target: ExactNumber | None
    target_display: str | None
    #: the agreement or addendum that set the target (several when derived from quarters)
    target_document: str | None
    realization: ExactNumber | None
    realization_display: str | None
    index: ExactNumber | None
    index_display: str | None
    #: green / yellow / red by the rule set's bands; grey without index
    status: str
    #: why there is no index, or what was applied (clamp, target 0, ...)
    reason: str | None


@with_config(extra="forbid")
class PerspectiveOut(TypedDict):
    code: str
    name: str | None
    weight: ExactNumber
    index: ExactNumber | None
    index_display: str | None
    #: the SS whose index counted
    objectives: list[str]


@with_config(extra="forbid")
class ObjectiveOut(TypedDict):
    code: str
    name: str
    perspective: str
    index: ExactNumber | None
    index_display: str | None
    included: list[str]
    excluded: list[str]


@with_config(extra="forbid")
class EvidenceSide(TypedDict):
    realization: ExactNumber | None
    index: ExactNumber | None
    index_display: str | None
    status: str


@with_config(extra="forbid")
class EvidenceChoice(TypedDict):
    used: Literal["evidence", "reported"]
    reported: EvidenceSide
    evidence: EvidenceSide


@with_config(extra="forbid")
class EvidencePath(TypedDict):
    """The evidence-driven IKU (ADR 0020): which figure the scores use and why (Indonesian)."""

    applies: bool
    why: str
    undeclared_quarters: list[str]
    indicators: dict[str, EvidenceChoice]


@with_config(extra="forbid")
class ScorecardOut(TypedDict):
    """``GET .../scores``: NKO, predicate, perspectives, SS and IKU of one satker in one period."""

    satker: SatkerOut
    agreement: BundleAgreement
    period: str
    as_of: str | None
    rule_set: RuleSetRefOut
    nko: ExactNumber | None
    nko_display: str | None
    predicate: str | None
    #: the figures leave something out (an IKU, SS or perspective without index): see ``notes``
    partial: bool
    perspectives: list[PerspectiveOut]
    objectives: list[ObjectiveOut]
    indicators: list[IkuOut]
    notes: list[str]
    #: present when the agreement has evidence-driven IKU
    evidence_path: NotRequired[EvidencePath]


@with_config(extra="forbid")
class MemberLine(TypedDict):
    code: str
    name: str
    kind: str
    path: list[str]
    nko: ExactNumber | None
    nko_display: str | None
    predicate: str | None
    partial: bool
    #: IKU code → status
    statuses: dict[str, str]


@with_config(extra="forbid")
class RegionLine(TypedDict):
    """One IKU region-wide, by its ``region_aggregation`` (``sum_of_parts``, ``mean``, ``own``)."""

    code: str
    aggregation: str
    satkers: int
    realization: ExactNumber | None
    target: ExactNumber | None
    index: ExactNumber | None
    status: str
    reason: str | None


@with_config(extra="forbid")
class ConsolidatedOut(TypedDict):
    """``GET .../consolidated``: a Kanwil's own NKO, one line per satker under it, region-wide IKU."""

    satker: SatkerOut
    period: str
    year: int
    nko: ExactNumber | None
    nko_display: str | None
    predicate: str | None
    satkers: list[MemberLine]
    region: list[RegionLine]


@with_config(extra="forbid")
class Formulas(TypedDict):
    index: dict[str, str]
    index_negative_target: dict[str, str]
    #: [floor, cap]
    clamp: list[ExactNumber]
    objective: str
    perspective: str
    nko: str


@with_config(extra="forbid")
class ObjectiveDerivation(TypedDict):
    code: str
    perspective: str
    index: ExactNumber | None
    included: list[str]
    excluded: list[str]


@with_config(extra="forbid")
class PerspectiveContribution(TypedDict):
    perspective: str
    weight: ExactNumber
    index: ExactNumber | None
    #: weight × index
    contribution: ExactNumber | None
    objectives: list[str]


@with_config(extra="forbid")
class ExplainRollUp(TypedDict):
    """The roll-up with its derivation: SS from IKU, perspectives from SS, NKO from perspectives."""

    period: str
    rule_set: RuleSetRefOut
    formulas: Formulas
    objectives: list[ObjectiveDerivation]
    perspectives: list[PerspectiveContribution]
    nko: ExactNumber | None
    predicate: str | None
    partial: bool
    notes: list[str]


@with_config(extra="forbid")
class ManualStep(TypedDict):
    path: str
    op: str
    value: ExactNumber | None
    note: str | None


@with_config(extra="forbid")
class ManualTrace(TypedDict):
    version: int | None
    description: str | None
    precision: int | None
    steps: list[ManualStep]


@with_config(extra="forbid")
class TargetUsed(TypedDict):
    value: ExactNumber | None
    document: str | None
    version: int | None


@with_config(extra="forbid")
class Bounds(TypedDict):
    floor: ExactNumber
    cap: ExactNumber


@with_config(extra="forbid")
class IkuRollUp(TypedDict):
    objective: str
    objective_index: ExactNumber | None
    objective_formula: str
    objective_members: list[str]
    objective_excluded: list[str]
    perspective: str | None
    perspective_index: ExactNumber | None
    perspective_weight: ExactNumber | None


@with_config(extra="forbid")
class IkuDerivation(TypedDict):
    """Every number of one IKU with its derivation: inputs read, manual steps, formula, clamp."""

    indicator: str
    name: str
    period: str
    polarity: str
    consolidation: str
    unit: str | None
    #: period → part → value, the measures the manual read
    inputs: dict[str, dict[str, ExactNumber]]
    manual: ManualTrace
    realization: ExactNumber | None
    realization_unrounded: ExactNumber | None
    #: e.g. "derived from Q1 + Q2" when the window's target was derived from its quarters
    target_derivation: str | None
    target: TargetUsed | None
    addenda: list[BundleAddendum]
    rule_set: RuleSetRefOut
    formula: str | None
    ratio: ExactNumber | None
    raw_index: ExactNumber | None
    bounds: Bounds
    index: ExactNumber | None
    status: str
    reason: str | None
    roll_up: IkuRollUp


@with_config(extra="forbid")
class ExplainIndicatorOut(TypedDict):
    """``GET .../explain?indicator=``: the IKU's derivation, its score and the roll-up."""

    indicator: IkuDerivation
    score: IkuOut
    roll_up: ExplainRollUp


ExplainOut = ExplainRollUp | ExplainIndicatorOut


@with_config(extra="forbid")
class Finding(TypedDict):
    """A printed value that differs from the recomputation (or is only its rounding)."""

    #: e.g. ``nko``, ``perspective stakeholder``, ``indicator 1a-N Y index``
    where: str
    #: nko, predicate, perspective, objective, indicator
    kind: str
    period: str
    code: NotRequired[str]
    field: NotRequired[str]
    #: a number, or the predicate's name
    printed: NotRequired[ExactNumber | str]
    recomputed: NotRequired[ExactNumber | str | None]
    recomputed_display: NotRequired[str | None]
    difference: NotRequired[ExactNumber | None]
    #: set when the printed value is the recomputation rounded or truncated (noise, not a contradiction)
    rounding: NotRequired[str]
    reason: str


@with_config(extra="forbid")
class CheckedAgainst(TypedDict):
    rule_set: str
    agreement: str


@with_config(extra="forbid")
class ReportCheckOut(TypedDict):
    """``POST .../report-check``: the contradictions of a printed report, and its rounding noise."""

    period: str
    checked_against: CheckedAgainst
    nko: ExactNumber | None
    differences: list[Finding]
    rounding: list[Finding]
    consistent: bool


@with_config(extra="forbid")
class Remaining(TypedDict):
    """What the rest of the window must deliver (Sum/Average IKU), or how it is read."""

    periods: NotRequired[list[str]]
    so_far: NotRequired[ExactNumber]
    required_per_period: NotRequired[ExactNumber]
    required_total: NotRequired[ExactNumber]
    note: NotRequired[str]


@with_config(extra="forbid")
class WhatItTakesOut(TypedDict):
    """``GET .../what-it-takes``: the realisation needed for ``target_index``."""

    indicator: str
    period: str
    polarity: str
    consolidation: str
    target: ExactNumber | None
    target_index: ExactNumber
    current_realization: ExactNumber | None
    current_index: ExactNumber | None
    rule_set: RuleSetRefOut
    reachable: bool
    reason: NotRequired[str | None]
    #: at_least, at_most, between (a stabilize IKU: ``required_realization`` is [low, high]) or any
    direction: NotRequired[str]
    required_realization: NotRequired[ExactNumber | list[ExactNumber] | None]
    formula: NotRequired[str]
    already_reached: NotRequired[bool]
    gap: NotRequired[ExactNumber]
    remaining: NotRequired[Remaining]


@with_config(extra="forbid")
class InputHashes(TypedDict):
    bundle: str
    evidence: str


@with_config(extra="forbid")
class FrozenItem(TypedDict):
    satker: str
    nko: ExactNumber | None
    predicate: str | None
    #: SHA-256 of the bundle and of the evidence facts exactly as received (canonical JSON)
    input_hashes: InputHashes
    #: SHA-256 of ``input_hashes``: equal = the same inputs
    inputs_sha256: str
    scorecard: ScorecardOut


@with_config(extra="forbid")
class FrozenScorecardsOut(TypedDict):
    """``GET .../frozen-scorecards``: what a publication stores (ADR 0020)."""

    satker: str
    year: int
    period: str
    as_of: str
    items: list[FrozenItem]


SCORECARD: TypeAdapter[ScorecardOut] = TypeAdapter(ScorecardOut)
