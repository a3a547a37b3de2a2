"""Wire schemas of the registry (pydantic), separate from the tables.

Numbers are ``kernel.types.Number`` (Decimal inside, JSON number outside); numbers a client
sends are ``kernel.types.BoundedNumber`` (the range of docs/contracts.md §4, what the columns and
the engine hold). Input models (``kernel.types.InputModel``) forbid unknown fields, so a typo in
an import document (``polarty``) is an error naming the path, not a silently ignored key, and
refuse NUL in any text (PostgreSQL cannot store it).
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from contracts.bundle import Bundle as Bundle
from contracts.bundle import Bundles as Bundles
from kernel.types import BoundedNumber, InputModel, Number, OrgCode
from services.registry.service.periods import MeasurePeriod, TargetPeriod

Code = OrgCode  # org, SS and IKU codes share the shape (kernel.types)
DocNumber = Annotated[str, StringConstraints(min_length=1, max_length=64, strip_whitespace=True)]
PartName = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,63}$")]
Who = Annotated[str, StringConstraints(min_length=1, max_length=255)]
#: names of SS and IKU (``text`` columns): long official wording, but bounded
LongName = Annotated[str, StringConstraints(min_length=1, max_length=2000)]
Note = Annotated[str, StringConstraints(max_length=4000)]


class SatkerKind(StrEnum):
    KANTOR_PUSAT = "kantor_pusat"
    KANWIL = "kanwil"
    KPU = "kpu"
    KPPBC_MADYA = "kppbc_madya"
    KPPBC_TMP_A = "kppbc_tmp_a"
    KPPBC_TMP_B = "kppbc_tmp_b"
    KPPBC_TMP_C = "kppbc_tmp_c"
    PSO = "pso"
    BLBC = "blbc"
    BIDANG = "bidang"  # a division inside an office (WBC.165 Kepatuhan Internal)


class Polarity(StrEnum):
    MAX = "max"
    MIN = "min"
    STABILIZE = "stabilize"


class Consolidation(StrEnum):
    TAKE_LAST_KNOWN_VALUE = "take_last_known_value"
    SUM = "sum"
    AVERAGE = "average"


class RegionAggregation(StrEnum):
    SUM_OF_PARTS = "sum_of_parts"
    MEAN = "mean"
    OWN = "own"


class _In(InputModel):
    pass


# --- satker -------------------------------------------------------------------------------


class SatkerCreate(_In):
    code: Code
    name: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    kind: SatkerKind
    parent: Code | None = None
    staff: Annotated[int, Field(ge=0, le=1_000_000)] | None = None


class SatkerUpdate(_In):
    name: Annotated[str, StringConstraints(min_length=1, max_length=200)] | None = None
    kind: SatkerKind | None = None
    parent: Code | None = None
    staff: Annotated[int, Field(ge=0, le=1_000_000)] | None = None


class SatkerOut(BaseModel):
    code: str
    name: str
    kind: str
    parent: str | None
    path: list[str]
    staff: int | None


# --- rule sets ----------------------------------------------------------------------------


class RuleSetRef(_In):
    code: Annotated[str, StringConstraints(min_length=1, max_length=64)]
    version: Annotated[int, Field(ge=1, le=2**31 - 1)]


class RuleSetOut(BaseModel):
    code: str
    version: int
    document: dict[str, Any]
    recorded_at: datetime
    recorded_by: str


# --- agreements ---------------------------------------------------------------------------


class ObjectiveIn(_In):
    code: Code
    name: LongName
    perspective: Annotated[str, StringConstraints(min_length=1, max_length=64)]
    weight: BoundedNumber = Decimal(1)


class IndicatorIn(_In):
    code: Code
    objective: Code
    name: LongName
    polarity: Polarity
    unit: Annotated[str, StringConstraints(min_length=1, max_length=32)]
    scale: BoundedNumber | None = None
    consolidation: Consolidation = Consolidation.TAKE_LAST_KNOWN_VALUE
    validity_control: Annotated[str, StringConstraints(max_length=16)] | None = None
    weight: BoundedNumber = Decimal(1)
    region_aggregation: RegionAggregation = RegionAggregation.OWN
    targets: dict[TargetPeriod, BoundedNumber | None] = {}


class AgreementCreate(_In):
    """An agreement as signed (the original document, version 1)."""

    year: Annotated[int, Field(ge=2000, le=2100)]
    number: DocNumber
    level: Annotated[str, StringConstraints(min_length=1, max_length=64)] = "Kemenkeu-Two"
    rule_set: RuleSetRef
    signed_on: date | None = None
    recorded_at: datetime | None = None  # import of history only (see ADR 0003)
    objectives: Annotated[list[ObjectiveIn], Field(min_length=1)]
    indicators: Annotated[list[IndicatorIn], Field(min_length=1)]


class AddendumCreate(_In):
    """An addendum: changed targets only, ``{iku: {period: value | null}}`` (null = "-")."""

    number: DocNumber
    note: Note | None = None
    signed_on: date | None = None
    recorded_at: datetime | None = None  # import of history only
    targets: dict[Code, dict[TargetPeriod, BoundedNumber | None]]


class DocumentOut(BaseModel):
    number: str
    version: int
    kind: str
    signed_on: date | None
    note: str | None
    recorded_at: datetime
    recorded_by: str


class ObjectiveOut(BaseModel):
    code: str
    name: str
    perspective: str
    weight: Number


class IndicatorSummary(BaseModel):
    code: str
    objective: str
    name: str
    polarity: str
    unit: str
    scale: Number | None
    consolidation: str
    validity_control: str | None
    weight: Number
    region_aggregation: str


class AgreementSummary(BaseModel):
    satker: str
    year: int
    number: str
    level: str
    version: int
    rule_set: RuleSetRef
    documents: list[DocumentOut]
    objectives: list[ObjectiveOut]
    indicators: list[IndicatorSummary]
    closed_periods: list[str]
    as_of: datetime


class AgreementListItem(BaseModel):
    year: int
    number: str
    level: str


# --- targets ------------------------------------------------------------------------------


class TargetOut(BaseModel):
    value: Number | None
    document: str
    version: int


class TargetRow(BaseModel):
    period: str
    value: Number | None
    document: str
    version: int
    recorded_at: datetime
    recorded_by: str
    superseded_at: datetime | None


class TargetsOut(BaseModel):
    indicator: str
    as_of: datetime
    targets: dict[str, TargetOut]


# --- measures -----------------------------------------------------------------------------


class MeasureWrite(_In):
    """PUT: the complete set of parts of the period. PATCH: parts to change (null removes a part)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"parts": {"green_total_days": 5.2731, "green_docs": 1099, "red_total_days": 728.52, "red_docs": 306}},
                {"parts": {"realization": 99.39}},
            ]
        }
    )

    parts: dict[PartName, BoundedNumber | None]


class MeasureOut(BaseModel):
    indicator: str
    period: str
    parts: dict[str, Number]
    recorded_at: datetime | None
    recorded_by: str | None
    as_of: datetime


class MeasureRow(BaseModel):
    period: str
    part: str
    value: Number
    recorded_at: datetime
    recorded_by: str
    superseded_at: datetime | None


class MeasuresOut(BaseModel):
    indicator: str
    as_of: datetime
    measures: dict[str, dict[str, Number]]


# --- manuals ------------------------------------------------------------------------------


class ManualOut(BaseModel):
    indicator: str
    version: int
    document: dict[str, Any]
    recorded_at: datetime
    recorded_by: str


# --- periods ------------------------------------------------------------------------------


class ClosureOut(BaseModel):
    period: str
    closed: bool
    closed_at: datetime | None
    closed_by: str | None


# --- bundle (contracts.md §6) ------------------------------------------------------------


# The bundle is a contract (ADR 0016): ``contracts/bundle.py`` defines it once; the registry
# builds it (service/bundles.py, typed with it) and scoring reads it with it; re-exported at the top.


# --- import / export ----------------------------------------------------------------------


class ImportAgreement(AgreementCreate):
    satker: Code
    addenda: list[AddendumCreate] = []
    manuals: dict[Code, dict[str, Any]] = {}
    measures: dict[Code, dict[MeasurePeriod, dict[PartName, BoundedNumber]]] = {}
    #: when each period's measures were really reported (an admin import of history, ADR 0024), so
    #: ``as_of`` reads show what was known then; a period left out is recorded at the import time
    measures_recorded_at: dict[MeasurePeriod, datetime] = {}
    closed_periods: list[MeasurePeriod] = []


class ImportDocument(_In):
    """The import/export format of a whole agreement (``format: kinerja.agreement/v1``)."""

    format: Literal["kinerja.agreement/v1"] = "kinerja.agreement/v1"
    satkers: list[SatkerCreate] = []
    agreement: ImportAgreement


class ImportResult(BaseModel):
    satkers_created: list[str]
    agreement: str
    year: int
    indicators: int
    targets: int
    addenda: int
    manuals: int
    measures: int
    measures_recorded_at: dict[str, datetime] = Field(
        default_factory=dict,
        description="the periods whose measures were recorded at the past time the document gave "
        "(not at the import time); empty: every measure recorded now",
    )


# --- history, plans and budget of a satker (issue 12, ADR 0019) -------------------------------
# Inputs are InputModel (unknown fields and NUL refused) with BoundedNumber figures; outputs carry
# Number (exact decimals, JSON numbers). DocNumber and Note are the ones defined above.

IkuCode = Annotated[str, StringConstraints(min_length=1, max_length=32, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$")]
Unit = Annotated[str, StringConstraints(min_length=1, max_length=32, pattern=r"^[a-z][a-z0-9_]*$")]
Name = Annotated[str, StringConstraints(min_length=1, max_length=2000)]
Label = Annotated[str, StringConstraints(min_length=1, max_length=200)]
Short = Annotated[str, StringConstraints(min_length=1, max_length=32)]
Source = Annotated[str, StringConstraints(max_length=300)]
#: the key of a sub-series of an IKU (``manajemen-risiko``)
SeriesKey = Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=r"^[a-z0-9][a-z0-9_-]*$")]
#: Rupiah amounts: whole or with cents, never negative
Amount = Annotated[BoundedNumber, Field(ge=0)]


class Plan(StrEnum):
    """Renstra DJBC: the directorate's medium-term strategic plan; Renja Kemenkeu: the ministry's work plan."""

    RENSTRA_DJBC = "renstra_djbc"
    RENJA_KEMENKEU = "renja_kemenkeu"


class SpendingType(StrEnum):
    BELANJA_PEGAWAI = "belanja_pegawai"
    BELANJA_BARANG = "belanja_barang"
    BELANJA_MODAL = "belanja_modal"


class BudgetChangeKind(StrEnum):
    INITIAL = "initial"  # the first DIPA
    ADDITION = "addition"  # a revision adding to the pagu
    REDUCTION = "reduction"  # a revision cutting it (amount positive, subtracted)


# --- history --------------------------------------------------------------------------------


class HistoricalResultIn(InputModel):
    indicator: IkuCode = Field(description="the IKU whose trend this row continues (the latest agreement's code)")
    series: SeriesKey | None = Field(
        default=None,
        description="null: the IKU's own result; else the key of a sub-series of the IKU (a part it is computed "
        "from, e.g. manajemen-risiko of 10b-N), which may be recorded in an agreement year too",
    )
    printed_code: IkuCode | None = Field(default=None, description="the code printed that year, if any")
    same_indicator: bool = Field(
        default=True, description="false where the IKU did not exist that year (printed N/A or -)"
    )
    name: Name = Field(description="the name as printed that year")
    unit: Unit | None = None
    polarity: Polarity
    target: BoundedNumber | None = None
    realization: BoundedNumber | None = None
    index: BoundedNumber | None = None
    target_percent: BoundedNumber | None = None
    realization_percent: BoundedNumber | None = None
    printed: Short | None = Field(default=None, description="the token printed instead of a figure (N/A, -)")
    note: Note | None = None
    source: Source | None = None


class HistoryYearIn(InputModel):
    """All results of one year of a satker; replaces what the registry held for that year."""

    results: list[HistoricalResultIn] = Field(max_length=500)


class HistoricalResultOut(BaseModel):
    satker: str
    year: int
    indicator: str
    series: str | None
    printed_code: str | None
    same_indicator: bool
    name: str
    unit: str | None
    polarity: str
    target: Number | None
    realization: Number | None
    index: Number | None
    target_percent: Number | None
    realization_percent: Number | None
    printed: str | None
    note: str | None
    source: str | None
    recorded_at: datetime
    recorded_by: str


# --- plans ----------------------------------------------------------------------------------


class PlanTargetIn(InputModel):
    indicator: IkuCode
    plan: Plan
    target: BoundedNumber | None = Field(default=None, description="null: the plan names the objective, no target")
    unit: Unit | None = None
    objective: Note | None = None
    source: Source | None = None
    note: Note | None = None


class PlanYearIn(InputModel):
    targets: list[PlanTargetIn] = Field(max_length=500)


class PlanTargetOut(BaseModel):
    satker: str
    year: int
    indicator: str
    plan: str
    target: Number | None
    unit: str | None
    objective: str | None
    source: str | None
    note: str | None
    recorded_at: datetime
    recorded_by: str


# --- budget ---------------------------------------------------------------------------------


class BudgetItemIn(InputModel):
    item: Label
    spending_type: SpendingType
    initial: Amount | None = Field(default=None, description="pagu awal")
    revised: Amount = Field(description="pagu setelah revisi")
    gross: Amount | None = Field(default=None, description="realisasi bruto")
    refunds: Amount | None = Field(default=None, description="pengembalian belanja")
    net: Amount = Field(description="realisasi netto")
    note: Note | None = None


class BudgetOutputIn(InputModel):
    programme: Label
    activity: Label
    output_class: Label
    output: Label
    budget: Amount
    realization: Amount
    note: Note | None = None


class BudgetChangeIn(InputModel):
    kind: BudgetChangeKind
    amount: Amount
    spending_type: SpendingType | None = None
    document_number: DocNumber | None = None
    document_date: date | None = None
    subject: Note | None = None
    note: Note | None = None


class BudgetYearIn(InputModel):
    """The budget of a satker-year as a whole (replaces what the registry held).

    Checked before anything is written: the items' revised pagu adds up to the pagu history
    (initial + additions − reductions) and to the outputs' budget when those are given."""

    items: list[BudgetItemIn] = Field(min_length=1, max_length=200)
    outputs: list[BudgetOutputIn] = Field(default_factory=list, max_length=500)
    changes: list[BudgetChangeIn] = Field(default_factory=list, max_length=100)


class BudgetItemOut(BaseModel):
    item: str
    spending_type: str
    initial: Number | None
    revised: Number
    gross: Number | None
    refunds: Number | None
    net: Number
    remaining: Number
    note: str | None


class BudgetOutputOut(BaseModel):
    programme: str
    activity: str
    output_class: str
    output: str
    budget: Number
    realization: Number
    note: str | None


class BudgetChangeOut(BaseModel):
    kind: str
    amount: Number
    spending_type: str | None
    document_number: str | None
    document_date: date | None
    subject: str | None
    note: str | None


class BudgetTotalOut(BaseModel):
    """Totals of the items; ``percent`` = net / revised × 100, exact (display rounds)."""

    initial: Number | None
    revised: Number
    net: Number
    remaining: Number
    percent: Number | None


class BudgetOut(BaseModel):
    satker: str
    year: int
    currency: str = "IDR"
    items: list[BudgetItemOut]
    outputs: list[BudgetOutputOut]
    changes: list[BudgetChangeOut]
    total: BudgetTotalOut
    by_spending_type: dict[str, BudgetTotalOut]
    recorded_at: datetime
    recorded_by: str


class LakinInputsOut(BaseModel):
    """What the registry holds for the LAKIN of a satker-year beside the agreement, in one answer
    (the report's one read, ADR 0019): the historical results of the trend window (``years``
    years ending with ``year``), the plan targets of ``year``, its budget and the previous
    year's (``null`` where none is recorded)."""

    satker: str
    year: int
    history: list[HistoricalResultOut]
    plans: list[PlanTargetOut]
    budget: BudgetOut | None
    previous_budget: BudgetOut | None
