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

from pydantic import BaseModel, Field, StringConstraints

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


class BundleSatker(BaseModel):
    code: str
    name: str
    kind: str
    parent: str | None
    path: list[str]
    staff: int | None


class BundleAgreement(BaseModel):
    number: str
    year: int
    level: str
    version: int


class BundleRuleSet(BaseModel):
    code: str
    version: int
    document: dict[str, Any]


class BundleAddendum(BaseModel):
    number: str
    version: int
    recorded_at: datetime
    recorded_by: str
    note: str | None


class BundleManual(BaseModel):
    version: int
    document: dict[str, Any]


class BundleIndicator(IndicatorSummary):
    manual: BundleManual | None
    targets: dict[str, TargetOut]
    measures: dict[str, dict[str, Number]]


class BundleCycle(BaseModel):
    state: str
    revision: int
    submitted_at: datetime | None
    due: datetime | None
    on_time: bool | None


class Bundle(BaseModel):
    as_of: datetime
    satker: BundleSatker
    agreement: BundleAgreement
    rule_set: BundleRuleSet
    addenda: list[BundleAddendum]
    objectives: list[ObjectiveOut]
    indicators: list[BundleIndicator]
    closed_periods: list[str]
    #: the reporting cycle per quarter at ``as_of`` (ADR 0020): state, revision, submitted_at, due, on_time
    cycle: dict[str, BundleCycle] = {}


class Bundles(BaseModel):
    as_of: datetime
    items: list[Bundle]


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
