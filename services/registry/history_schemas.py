"""Wire models of the registry's history, plans and budget (issue 12, ADR 0019).

Kept in a module of their own while the registry's ``schemas`` move (issue 10) is in flight; the
lead folds this into ``services/registry/schemas.py`` (or the ``schemas/`` package) at merge.
Inputs are :class:`kernel.types.InputModel` (unknown fields and NUL refused) with
``BoundedNumber`` figures; outputs carry ``Number`` (exact decimals, JSON numbers).
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, Field, StringConstraints

from kernel.types import BoundedNumber, InputModel, Number

IkuCode = Annotated[str, StringConstraints(min_length=1, max_length=32, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$")]
Unit = Annotated[str, StringConstraints(min_length=1, max_length=32, pattern=r"^[a-z][a-z0-9_]*$")]
Name = Annotated[str, StringConstraints(min_length=1, max_length=2000)]
Label = Annotated[str, StringConstraints(min_length=1, max_length=200)]
Short = Annotated[str, StringConstraints(min_length=1, max_length=32)]
Source = Annotated[str, StringConstraints(max_length=300)]
Note = Annotated[str, StringConstraints(max_length=4000)]
DocNumber = Annotated[str, StringConstraints(min_length=1, max_length=64, strip_whitespace=True)]
#: Rupiah amounts: whole or with cents, never negative
Amount = Annotated[BoundedNumber, Field(ge=0)]


class HistoryPolarity(StrEnum):
    MAX = "max"
    MIN = "min"
    STABILIZE = "stabilize"


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
    printed_code: IkuCode | None = Field(default=None, description="the code printed that year, if any")
    same_indicator: bool = Field(
        default=True, description="false where the IKU did not exist that year (printed N/A or -)"
    )
    name: Name = Field(description="the name as printed that year")
    unit: Unit | None = None
    polarity: HistoryPolarity
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
