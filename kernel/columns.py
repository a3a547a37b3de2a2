"""Column types every data-owning service uses, so that both modes store the same values.

* :class:`UTCDateTime`: aware timestamps in, aware UTC timestamps out, on PostgreSQL and SQLite.
* :class:`ExactDecimal`: exact decimals within ``kernel.types.BoundedNumber``'s range on both.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from kernel.types import NUMERIC_PRECISION, NUMERIC_SCALE


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
