"""Column types and column groups every data-owning service uses (one persistence style, ADR 0022).

* :class:`UTCDateTime`: aware timestamps in, aware UTC timestamps out, on PostgreSQL and SQLite.
* :class:`ExactDecimal`: exact decimals within ``kernel.types.BoundedNumber``'s range on both.
* :func:`id_column`: the surrogate primary key, typed ``int`` (not ``int | None``) for readers.
* :class:`Recorded` / :class:`TemporalRow`: the columns of append-only and temporal rows (ADR 0003)
  and :func:`in_force`, the one ``as_of`` filter.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from kernel.types import NUMERIC_PRECISION, NUMERIC_SCALE

#: columns that hold a token's ``sub`` (who recorded, closed, reopened): an OIDC provider's subject
#: may be long (``kernel.auth.MAX_SUBJECT_LENGTH`` refuses longer ones at verification)
SUBJECT_LENGTH = 255


class UTCDateTime(sa.TypeDecorator[datetime]):
    """Aware timestamps on every backend: ``timestamptz`` on PostgreSQL, naive UTC text on SQLite.

    SQLite keeps no zone, so values are normalised to UTC on the way in and marked UTC on the
    way out; ``as_of`` comparisons then compare like with like on both backends.
    """

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value.isoformat()} cannot be stored as a moment in time")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        # SQLite hands back the stored UTC digits without an offset; PostgreSQL an aware value
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class ExactDecimal(sa.TypeDecorator[Decimal]):
    """``NUMERIC(25, 10)`` as ``Decimal``: native on PostgreSQL; on SQLite (embedded demo mode) a
    ``TEXT`` column holding the decimal's own digits, exact, without SQLAlchemy's float-conversion
    warning. Not SQLite ``NUMERIC``: that affinity turns the text into a REAL (15 digits kept,
    ``1e999999`` stored as ``inf``). The range is ``kernel.types.BoundedNumber``'s (registry
    migration 0003)."""

    impl = sa.Numeric(NUMERIC_PRECISION, NUMERIC_SCALE)
    cache_ok = True

    def load_dialect_impl(self, dialect: sa.Dialect) -> sa.types.TypeEngine[Any]:
        if dialect.name == "sqlite":
            return dialect.type_descriptor(sa.Text())
        return dialect.type_descriptor(sa.Numeric(NUMERIC_PRECISION, NUMERIC_SCALE))

    def process_bind_param(self, value: Decimal | None, dialect: sa.Dialect) -> Any:
        if value is None or dialect.name != "sqlite":
            return value
        return str(value)

    def process_result_value(self, value: Any, dialect: sa.Dialect) -> Decimal | None:
        if value is None or isinstance(value, Decimal):
            return value
        return Decimal(repr(value)) if isinstance(value, float) else Decimal(str(value))


TS = UTCDateTime()


def id_column(*, big: bool = False) -> Any:
    """The surrogate key ``id`` of a table, declared ``id: int = id_column()``.

    Typed ``int`` because every reader of a stored row gets an ``int``: the database assigns the id
    at the INSERT, and repositories hand out only rows they loaded or flushed (``add`` methods
    flush before they return). The ``None`` default exists only between the constructor and that
    flush, which is repository-internal, so use cases never ``assert x.id is not None`` or write
    ``x.id or 0`` (which would silently turn an unsaved row into id 0). ``big``: ``BIGINT`` on
    PostgreSQL for ids that grow with every event (``INTEGER`` on SQLite, its rowid alias).
    """
    if big:
        return Field(
            default=None,
            primary_key=True,
            sa_type=sa.BigInteger().with_variant(sa.Integer, "sqlite"),
            sa_column_kwargs={"autoincrement": True},
        )
    return Field(default=None, primary_key=True)


def in_force(start: Any, end: Any, as_of: Any) -> sa.ColumnElement[bool]:
    """``start <= as_of < coalesce(end, infinity)``: the row was in force at ``as_of`` (ADR 0003).

    The one spelling of the temporal filter, for ORM attributes (``Target.recorded_at``) and Core
    columns (``table.c.recorded_at``) alike; ``end`` NULL means "still current".
    """
    return sa.and_(start <= as_of, sa.or_(end.is_(None), end > as_of))


class Recorded(SQLModel):
    """Who recorded an append-only row and when (``recorded_at`` is also its ``as_of`` instant).

    A mixin for a service's table base: ``class Manual(RegistryTable, Recorded, table=True)``.
    SQLModel copies the fields into each table (no shared ``Column``), so the columns are those
    the tables had before (``timestamptz`` / ``varchar(255)``).
    """

    recorded_at: datetime = Field(sa_type=TS)
    recorded_by: str = Field(max_length=SUBJECT_LENGTH)


class TemporalRow(Recorded):
    """A row a newer one replaces (ADR 0003): never updated except for ``superseded_at``.

    The row current at ``t`` has ``recorded_at <= t < coalesce(superseded_at, infinity)``
    (:meth:`current_at`); a partial unique index ``WHERE superseded_at IS NULL`` on the table's key
    keeps one current row per key.
    """

    superseded_at: datetime | None = Field(default=None, sa_type=TS)

    @classmethod
    def current_at(cls, as_of: Any) -> sa.ColumnElement[bool]:
        """The WHERE clause selecting the rows of this table current at ``as_of``."""
        return in_force(cls.recorded_at, cls.superseded_at, as_of)
