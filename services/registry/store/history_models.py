"""History, plans and budget of a satker (issue 12, ADR 0019): the data the LAKIN reports beside
the agreement's own scores.

* ``historical_result``: the yearly totals (target, realisation, index as printed) of years the
  registry holds **no agreement** for. They are results of record, not agreements: the seed's
  2020-2023 tables have no quarterly figures, measure parts or manuals, so nothing could be
  recomputed from them (ADR 0019). ``indicator_code`` is the IKU whose trend the row belongs to
  (the code of the latest agreement); ``printed_code`` / ``name`` are what that year printed, so a
  renamed or re-coded IKU stays linked to its successor (``same_indicator`` keeps the report's
  statement that it is the same indicator; false where the IKU did not exist, printed "N/A" / "-").
* ``plan_target``: the medium-term plan (Renstra DJBC) and the ministry's work plan (Renja
  Kemenkeu) target of an IKU and year.
* ``budget_item`` / ``budget_output`` / ``budget_change``: the budget of a satker-year per spending
  item (initial and revised pagu, gross, refunds, net realisation), per programme/activity/output,
  and the pagu's history (initial DIPA, additions with their documents).

Every table is replaced per satker-year as a whole by an admin write (all or nothing).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import sqlalchemy as sa
from sqlmodel import Field

from kernel.columns import Recorded, id_column
from services.registry.store.models import NUM, RegistryTable


class HistoricalResult(RegistryTable, Recorded, table=True):
    __tablename__ = "historical_result"
    __table_args__ = (sa.UniqueConstraint("satker_code", "year", "indicator_code", "series"),)

    id: int = id_column()
    satker_code: str = Field(foreign_key="satker.code", max_length=32)
    year: int
    indicator_code: str = Field(max_length=32)
    #: '' = the IKU itself; else the key of a sub-series of it (migration 0014)
    series: str = Field(default="", max_length=64, sa_column_kwargs={"server_default": ""})
    printed_code: str | None = Field(default=None, max_length=32)
    same_indicator: bool
    name: str = Field(sa_type=sa.Text)
    unit: str | None = Field(default=None, max_length=32)
    polarity: str = Field(max_length=16)
    target: Decimal | None = Field(default=None, sa_type=NUM)
    realization: Decimal | None = Field(default=None, sa_type=NUM)
    index: Decimal | None = Field(default=None, sa_type=NUM)
    target_percent: Decimal | None = Field(default=None, sa_type=NUM)
    realization_percent: Decimal | None = Field(default=None, sa_type=NUM)
    printed: str | None = Field(default=None, max_length=32)
    note: str | None = Field(default=None, sa_type=sa.Text)
    source: str | None = Field(default=None, max_length=300)


class PlanTarget(RegistryTable, Recorded, table=True):
    __tablename__ = "plan_target"
    __table_args__ = (sa.UniqueConstraint("satker_code", "year", "indicator_code", "plan"),)

    id: int = id_column()
    satker_code: str = Field(foreign_key="satker.code", max_length=32)
    year: int
    indicator_code: str = Field(max_length=32)
    plan: str = Field(max_length=32)
    target: Decimal | None = Field(default=None, sa_type=NUM)
    unit: str | None = Field(default=None, max_length=32)
    objective: str | None = Field(default=None, sa_type=sa.Text)
    source: str | None = Field(default=None, max_length=300)
    note: str | None = Field(default=None, sa_type=sa.Text)


class BudgetItem(RegistryTable, Recorded, table=True):
    __tablename__ = "budget_item"
    __table_args__ = (sa.UniqueConstraint("satker_code", "year", "item"),)

    id: int = id_column()
    satker_code: str = Field(foreign_key="satker.code", max_length=32)
    year: int
    position: int
    item: str = Field(max_length=200)
    spending_type: str = Field(max_length=32)
    initial: Decimal | None = Field(default=None, sa_type=NUM)
    revised: Decimal = Field(sa_type=NUM)
    gross: Decimal | None = Field(default=None, sa_type=NUM)
    refunds: Decimal | None = Field(default=None, sa_type=NUM)
    net: Decimal = Field(sa_type=NUM)
    note: str | None = Field(default=None, sa_type=sa.Text)


class BudgetOutput(RegistryTable, Recorded, table=True):
    __tablename__ = "budget_output"
    __table_args__ = (sa.UniqueConstraint("satker_code", "year", "position"),)

    id: int = id_column()
    satker_code: str = Field(foreign_key="satker.code", max_length=32)
    year: int
    position: int
    programme: str = Field(max_length=200)
    activity: str = Field(max_length=200)
    output_class: str = Field(max_length=200)
    output: str = Field(max_length=200)
    budget: Decimal = Field(sa_type=NUM)
    realization: Decimal = Field(sa_type=NUM)
    note: str | None = Field(default=None, sa_type=sa.Text)


class BudgetChange(RegistryTable, Recorded, table=True):
    __tablename__ = "budget_change"
    __table_args__ = (sa.UniqueConstraint("satker_code", "year", "position"),)

    id: int = id_column()
    satker_code: str = Field(foreign_key="satker.code", max_length=32)
    year: int
    position: int
    kind: str = Field(max_length=16)
    amount: Decimal = Field(sa_type=NUM)
    spending_type: str | None = Field(default=None, max_length=32)
    document_number: str | None = Field(default=None, max_length=64)
    document_date: date | None = Field(default=None)
    subject: str | None = Field(default=None, sa_type=sa.Text)
    note: str | None = Field(default=None, sa_type=sa.Text)
