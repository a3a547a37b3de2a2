"""HTTP request/response models of the scoring service (ADR 0017: one ``schemas.py`` per service).

Sections: the scores answers (``GET .../scores`` and friends: ``schemas/scores.py``), the LAKIN report (issue 12,
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
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from kernel.types import Number

Language = Literal["id", "en"]


class _Model(BaseModel):
    model_config = ConfigDict(extra="ignore")


# --- the scores answers: services/scoring/schemas/scores.py ---------------------------------


# --- the LAKIN report ------------------------------------------------------------------------


# --- what the registry answers (docs/contracts.md: history, plans, budget) -----------------


class HistoryRow(_Model):
    year: int
    indicator: str
    series: str | None = None  # a sub-series of the IKU (its key), None: the IKU's own result
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


class LakinInputs(_Model):
    """The registry's one answer for a report (``GET /satkers/{code}/lakin/{year}``)."""

    history: list[HistoryRow]
    plans: list[PlanRow]
    budget: Budget | None = None
    previous_budget: Budget | None = None


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


class SubSeries(BaseModel):
    """A series the LAKIN prints beside an IKU's own trend: a part the IKU is computed from, with
    its own five-year table (``manajemen-risiko`` of 10b-N). Every row is recorded history, the
    agreement year's too: the agreement scores no target or index of a part (ADR 0019)."""

    key: str
    name: str
    rows: list[TrendRow]


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
    sub_series: list[SubSeries]
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
