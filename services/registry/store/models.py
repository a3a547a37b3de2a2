"""Tables of the registry (SQLModel). No schema name: PostgreSQL's ``search_path`` picks ``registry``.

The registry has its own SQLAlchemy ``registry`` / ``MetaData`` (``kernel.db.service_metadata``:
not SQLModel's global one, and the one naming convention), so the evidence service's tables never
show up in this service's Alembic environment and vice versa. Ids are ``kernel.columns.id_column``
(``int`` for every reader; ADR 0022).

Temporal rows (ADR 0003): ``target``, ``measure`` and ``period_closure`` are never updated in
place. A change inserts a new row (``recorded_at`` = the time of the change) and stamps the row
it replaces with ``superseded_at`` (closures: ``reopened_at``). The row current at instant ``t``
is the one with ``recorded_at <= t < coalesce(superseded_at, infinity)``; a partial unique
index guarantees at most one current row per key. The columns and the filter are
``kernel.columns.TemporalRow`` (``Recorded`` for the append-only rows).
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import registry as sa_registry
from sqlmodel import Field, SQLModel

from kernel.columns import SUBJECT_LENGTH as SUBJECT_LENGTH  # re-exported: the other table modules use them
from kernel.columns import TS as TS
from kernel.columns import ExactDecimal, Recorded, TemporalRow, id_column, in_force
from kernel.db import service_metadata

metadata = service_metadata()


class RegistryTable(SQLModel, registry=sa_registry(metadata=metadata)):
    """Base of every registry table (own metadata, see module docstring)."""


NUM = ExactDecimal()


class Satker(RegistryTable, table=True):
    __tablename__ = "satker"

    code: str = Field(primary_key=True, max_length=32)
    name: str = Field(max_length=200)
    kind: str = Field(max_length=32)
    parent_code: str | None = Field(default=None, foreign_key="satker.code", index=True, max_length=32)
    staff: int | None = Field(default=None)
    created_at: datetime = Field(sa_type=TS)
    updated_at: datetime = Field(sa_type=TS)


class RuleSet(RegistryTable, Recorded, table=True):
    __tablename__ = "rule_set"
    __table_args__ = (sa.UniqueConstraint("code", "version"),)

    id: int = id_column()
    code: str = Field(max_length=64)
    version: int
    document: dict[str, Any] = Field(sa_type=sa.JSON)


class Agreement(RegistryTable, Recorded, table=True):
    """A performance agreement (Perjanjian Kinerja): one per satker and year."""

    __tablename__ = "agreement"
    __table_args__ = (sa.UniqueConstraint("satker_code", "year"),)

    id: int = id_column()
    satker_code: str = Field(foreign_key="satker.code", max_length=32)
    year: int
    number: str = Field(max_length=64, unique=True)
    level: str = Field(max_length=64)
    rule_set_id: int = Field(foreign_key="rule_set.id")


class AgreementDocument(RegistryTable, Recorded, table=True):
    """The signed documents of an agreement: the original (version 1) and each addendum (2, 3, ...)."""

    __tablename__ = "agreement_document"
    __table_args__ = (sa.UniqueConstraint("agreement_id", "version"),)

    id: int = id_column()
    agreement_id: int = Field(foreign_key="agreement.id", index=True)
    version: int
    number: str = Field(max_length=64, unique=True)
    kind: str = Field(max_length=16)  # original | addendum
    signed_on: date | None = Field(default=None)
    note: str | None = Field(default=None, sa_type=sa.Text)


class Objective(RegistryTable, table=True):
    """A strategic objective (SS) of an agreement."""

    __tablename__ = "objective"
    __table_args__ = (sa.UniqueConstraint("agreement_id", "code"),)

    id: int = id_column()
    agreement_id: int = Field(foreign_key="agreement.id")
    code: str = Field(max_length=32)
    name: str = Field(sa_type=sa.Text)
    perspective: str = Field(max_length=64)
    weight: Decimal = Field(sa_type=NUM)
    position: int


class Indicator(RegistryTable, table=True):
    """An IKU of an agreement (belongs to one objective)."""

    __tablename__ = "indicator"
    __table_args__ = (sa.UniqueConstraint("agreement_id", "code"),)

    id: int = id_column()
    agreement_id: int = Field(foreign_key="agreement.id")
    objective_id: int = Field(foreign_key="objective.id", index=True)
    code: str = Field(max_length=32)
    name: str = Field(sa_type=sa.Text)
    polarity: str = Field(max_length=16)
    unit: str = Field(max_length=32)
    scale: Decimal | None = Field(default=None, sa_type=NUM)
    consolidation: str = Field(max_length=32)
    validity_control: str | None = Field(default=None, max_length=16)
    weight: Decimal = Field(sa_type=NUM)
    region_aggregation: str = Field(max_length=32)
    position: int


class Manual(RegistryTable, Recorded, table=True):
    """A version of an IKU manual (a JSON document interpreted by the scoring service)."""

    __tablename__ = "manual"
    __table_args__ = (sa.UniqueConstraint("indicator_id", "version"),)

    id: int = id_column()
    indicator_id: int = Field(foreign_key="indicator.id")
    version: int
    document: dict[str, Any] = Field(sa_type=sa.JSON)


class Target(RegistryTable, TemporalRow, table=True):
    """A target of an IKU for a period, as set by one agreement document (temporal row)."""

    __tablename__ = "target"
    __table_args__ = (
        sa.Index(
            None,
            "indicator_id",
            "period",
            unique=True,
            postgresql_where=sa.text("superseded_at IS NULL"),
            sqlite_where=sa.text("superseded_at IS NULL"),
        ),
    )

    id: int = id_column()
    indicator_id: int = Field(foreign_key="indicator.id", index=True)
    period: str = Field(max_length=8)
    value: Decimal | None = Field(default=None, sa_type=NUM)  # None = "-" in the agreement
    document_id: int = Field(foreign_key="agreement_document.id")


class Measure(RegistryTable, TemporalRow, table=True):
    """One named part of a reported measure of an IKU for a period (temporal row)."""

    __tablename__ = "measure"
    __table_args__ = (
        sa.Index(
            None,
            "indicator_id",
            "period",
            "part",
            unique=True,
            postgresql_where=sa.text("superseded_at IS NULL"),
            sqlite_where=sa.text("superseded_at IS NULL"),
        ),
        sa.Index(None, "indicator_id", "period"),
    )

    id: int = id_column()
    indicator_id: int = Field(foreign_key="indicator.id")
    period: str = Field(max_length=8)
    part: str = Field(max_length=64)
    value: Decimal = Field(sa_type=NUM)


class PeriodClosure(RegistryTable, table=True):
    """A period of an agreement closed for measure writes, until reopened (temporal row)."""

    __tablename__ = "period_closure"
    __table_args__ = (
        sa.Index(
            None,
            "agreement_id",
            "period",
            unique=True,
            postgresql_where=sa.text("reopened_at IS NULL"),
            sqlite_where=sa.text("reopened_at IS NULL"),
        ),
    )

    id: int = id_column()
    agreement_id: int = Field(foreign_key="agreement.id", index=True)
    period: str = Field(max_length=8)
    closed_at: datetime = Field(sa_type=TS)
    closed_by: str = Field(max_length=SUBJECT_LENGTH)
    reopened_at: datetime | None = Field(default=None, sa_type=TS)
    reopened_by: str | None = Field(default=None, max_length=SUBJECT_LENGTH)

    @classmethod
    def current_at(cls, as_of: datetime) -> sa.ColumnElement[bool]:
        """The closures in force at ``as_of`` (closed by then, not reopened by then)."""
        return in_force(cls.closed_at, cls.reopened_at, as_of)


class RegistryRevision(RegistryTable, table=True):
    """One row: a token that changes with every committed write to any registry table (ADR 0026).

    Written only by the database: the triggers of migration 0015 set a new random ``token`` in
    every transaction that inserts, updates or deletes a row of any other registry table (on
    PostgreSQL a deferred constraint trigger, so the row is locked only at commit and once per
    transaction: ``txid``). The bundle's ETag is made of it: read *before* the bundle's rows, a
    token that is still the same proves that nothing the bundle is built from has changed. Random,
    not a counter: a database restored from a backup can never give an old token new meaning."""

    __tablename__ = "registry_revision"

    id: int = Field(primary_key=True)
    token: str = Field(max_length=64)
    txid: int | None = Field(default=None, sa_type=sa.BigInteger())
