"""HTTP request/response models of the scoring service (ADR 0017: one ``schemas.py`` per service).

Sections: the scores answers (``GET .../scores`` and friends), then the LAKIN report (issue 12,
ADR 0019): what ``GET .../report`` answers as JSON and what the Excel and PDF renderers draw
from (one model, so the three cannot disagree).

Numbers are exact (``kernel.types.Number``: Decimal inside, JSON number outside); every
``*_display`` is the printed form (2 decimals, ROUND_HALF_UP, a dot; the documents print the
decimal comma of the chosen language). Codes (``status``, ``unit``, ``plan``, ``period``) are
English and stable for programs; ``*_label`` is the text a person reads, in the language of
``Accept-Language`` (Indonesian by default).

The registry models (history, plans, budget) are read here as scoring's own models of the
registry's answer (the bundle and the evidence facts are contracts: ``contracts/``).
"""

from __future__ import annotations

from datetime import date
from typing import Literal, NotRequired

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, with_config
from typing_extensions import TypedDict

from contracts.bundle import BundleAddendum, BundleAgreement
from kernel.types import Number
from kernel.wire import ExactNumber

Language = Literal["id", "en"]


class _Model(BaseModel):
    model_config = ConfigDict(extra="ignore")


# --- the scores answers (issue 10: typed in services/scoring/api/, models go here) ----------
# TypedDicts (ADR 0023): the use cases build these dicts (mypy checks every key), the routes
# answer them through ``kernel.wire.ExactJSONResponse`` (every Decimal a JSON number with its own
# digits, ADR 0018) without a second pass through pydantic, and ``tests/scoring`` validate the
# answers against them with ``extra="forbid"``. One shape for "value + display text": the exact
# number ``x`` (or null) beside ``x_display``, its printed text (or null), as the answers always
# had it (``nko`` / ``nko_display``); ``tests/scoring/test_answers_typed.py`` holds every answer to it.


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


# --- the LAKIN report ------------------------------------------------------------------------


# --- what the registry answers (docs/contracts.md: history, plans, budget) -----------------


class HistoryRow(_Model):
    year: int
    indicator: str
    printed_code: str | None = None
    same_indicator: bool
    name: str
    unit: str | None = None
    target: Number | None = None
    realization: Number | None = None
    index: Number | None = None
    printed: str | None = None
    note: str | None = None
    source: str | None = None


class PlanRow(_Model):
    year: int
    indicator: str
    plan: str
    target: Number | None = None
    unit: str | None = None
    objective: str | None = None
    note: str | None = None


class BudgetItem(_Model):
    item: str
    spending_type: str
    initial: Number | None = None
    revised: Number
    gross: Number | None = None
    refunds: Number | None = None
    net: Number
    remaining: Number


class BudgetOutput(_Model):
    programme: str
    activity: str
    output_class: str
    output: str
    budget: Number
    realization: Number


class BudgetChange(_Model):
    kind: str
    amount: Number
    spending_type: str | None = None
    document_number: str | None = None
    document_date: date | None = None
    subject: str | None = None


class BudgetTotal(_Model):
    initial: Number | None = None
    revised: Number
    net: Number
    remaining: Number
    percent: Number | None = None


class Budget(_Model):
    year: int
    items: list[BudgetItem]
    outputs: list[BudgetOutput]
    changes: list[BudgetChange]
    total: BudgetTotal
    by_spending_type: dict[str, BudgetTotal]


# --- the report -------------------------------------------------------------------------------


class SatkerRef(BaseModel):
    code: str
    name: str | None
    kind: str | None
    path: list[str]


class Cell(BaseModel):
    """One IKU in one period: target, realisation, index, status."""

    period: str
    period_label: str
    target: Number | None
    target_display: str | None
    realization: Number | None
    realization_display: str | None
    index: Number | None
    index_display: str | None
    status: str
    status_label: str


class TrendRow(BaseModel):
    year: int
    source: Literal["history", "agreement"]
    name: str
    printed_code: str | None
    unit: str | None
    unit_label: str | None
    target: Number | None
    realization: Number | None
    index: Number | None
    printed: str | None
    note: str | None


class PlanComparison(BaseModel):
    plan: str
    plan_label: str
    target: Number | None
    unit: str | None
    unit_label: str | None
    objective: str | None
    note: str | None


class IndicatorReport(BaseModel):
    code: str
    objective: str
    name: str
    polarity: str
    unit: str | None
    unit_label: str | None
    weight: Number
    year: Cell
    quarterly: list[Cell]
    trend: list[TrendRow]
    plans: list[PlanComparison]


class ObjectiveReport(BaseModel):
    code: str
    name: str
    perspective: str
    index: Number | None
    index_display: str | None
    indicators: list[str]


class PerspectiveReport(BaseModel):
    code: str
    name: str
    weight: Number
    index: Number | None
    index_display: str | None
    objectives: list[str]


class PeriodScore(BaseModel):
    period: str
    period_label: str
    nko: Number | None
    nko_display: str | None
    predicate: str | None
    partial: bool


class AnalysisNote(BaseModel):
    """A red or yellow IKU of the year and what the office wrote about it (the reporting cycle,
    issue 11, supplies the notes; until then ``notes`` is empty)."""

    indicator: str
    name: str
    status: str
    status_label: str
    index_display: str | None
    notes: list[str]


class BudgetReport(BaseModel):
    year: int
    total: BudgetTotal
    by_spending_type: dict[str, BudgetTotal]
    spending_type_labels: dict[str, str]
    items: list[BudgetItem]
    outputs: list[BudgetOutput]
    changes: list[BudgetChange]
    previous: BudgetTotal | None


class ScoreTable(BaseModel):
    """Every period of a satker-year in one answer: the NKO row and each IKU's cells."""

    satker: SatkerRef
    year: int
    language: Language
    periods: list[PeriodScore]
    indicators: dict[str, list[Cell]]


class Report(BaseModel):
    format: Literal["kinerja.lakin/v1"] = "kinerja.lakin/v1"
    language: Language
    title: str
    satker: SatkerRef
    year: int
    agreement: str | None
    rule_set: str
    as_of: str | None
    nko: Number | None
    nko_display: str | None
    predicate: str | None
    partial: bool
    perspectives: list[PerspectiveReport]
    objectives: list[ObjectiveReport]
    indicators: list[IndicatorReport]
    periods: list[PeriodScore]
    budget: BudgetReport | None
    analysis: list[AnalysisNote]
    labels: dict[str, str]
    notes: list[str]


class MemberRank(BaseModel):
    rank: int
    code: str
    name: str | None
    kind: str | None
    nko: Number | None
    nko_display: str | None
    predicate: str | None
    partial: bool
    perspectives: list[PerspectiveReport]
    red: list[str]
    yellow: list[str]


class RedIndicator(BaseModel):
    indicator: str
    name: str
    satkers: list[str]


class ConsolidatedReport(BaseModel):
    format: Literal["kinerja.lakin-kanwil/v1"] = "kinerja.lakin-kanwil/v1"
    language: Language
    title: str
    satker: SatkerRef
    year: int
    own: PeriodScore
    members: list[MemberRank]
    red_indicators: list[RedIndicator]
    labels: dict[str, str]


# --- the Zona Integritas reads (POST /zi/results, POST /zi/gap): exact decimals as decimal text ---

#: an exact decimal as text (``"37.5"``, ``"-1.25"``); ``None`` where the engine has no value
DecimalText = str | None


class _Answer(BaseModel):  # the ZI answers: exactly what is sent, nothing more
    model_config = ConfigDict(extra="forbid")


class TemplateVersion(_Answer):
    code: str
    version: int


class AreaResult(_Answer):
    code: str
    weight: DecimalText
    points: DecimalText
    share: DecimalText
    halves: dict[str, DecimalText] = Field(description="half of the area (pemenuhan, reform, ...) → points")


class PredicateCheck(_Answer):
    code: str
    required: DecimalText
    actual: DecimalText
    passed: bool | None = Field(description="null: not evaluable from what the level holds")


class PredicateResult(_Answer):
    predicate: str
    reached: bool
    complete: bool
    failed: list[str] = Field(description="codes of the checks not passed")
    checks: list[PredicateCheck]


class ZiResults(_Answer):
    """Results of one evaluation level: the totals, per area (when answers were given), the predicates."""

    template: TemplateVersion
    pengungkit: DecimalText
    hasil: DecimalText
    total: DecimalText
    total_display: str | None = Field(description="the total as printed: 2 decimals, ROUND_HALF_UP")
    areas: list[AreaResult] | None = Field(description="null when only the pengungkit and hasil totals were given")
    sub_components: dict[str, DecimalText] | None
    predicate: str | None = Field(description="the highest predicate reached (WBK, WBBM), null: none")
    predicates: list[PredicateResult]
    missing: dict[str, dict[str, DecimalText]] = Field(
        description="predicate → area, pengungkit or total → points still missing"
    )


class GapRow(_Answer):
    question: str
    weight: DecimalText
    unit_value: DecimalText
    evaluator_value: DecimalText
    points_at_risk: DecimalText


class ZiGap(_Answer):
    """Per question the unit's answer against the evaluator's and the points at risk."""

    template: TemplateVersion
    items: list[GapRow]
