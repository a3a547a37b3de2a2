"""Bounded exact numbers and room for real token subjects.

* Every number column becomes ``NUMERIC(25, 10)`` on PostgreSQL (the range the API accepts:
  ``kernel.types.BoundedNumber``, docs/contracts.md §4) and ``TEXT`` on SQLite. SQLite's
  ``NUMERIC`` affinity converted the decimal text the application writes into a REAL (15 digits
  kept, ``1e999999`` stored as ``inf``); a ``TEXT`` column keeps the digits as written. Existing
  SQLite values are REALs: copied into the TEXT column they become their 15-digit text form,
  which is what they read back as before.
* Columns that hold a token's ``sub`` (``recorded_by``, ``closed_by``, ``reopened_by``) grow from
  200 to 255 characters: an OIDC provider's subject can be long, and a valid one must not lock
  its owner out with a database error.

On PostgreSQL a value outside NUMERIC(25, 10) (stored before the API bounded numbers) makes the
upgrade fail with "numeric field overflow": such a row broke every read of its satker anyway
and must be corrected by hand first; it is never silently changed here.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02 05:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: frozen here (a migration must not change when the code does)
PRECISION, SCALE = 25, 10
SUBJECT_LENGTH, OLD_SUBJECT_LENGTH = 255, 200

NUMBERS: dict[str, list[tuple[str, bool]]] = {  # table -> [(column, nullable)]
    "objective": [("weight", False)],
    "indicator": [("scale", True), ("weight", False)],
    "target": [("value", True)],
    "measure": [("value", False)],
}
SUBJECTS: dict[str, list[tuple[str, bool]]] = {
    "rule_set": [("recorded_by", False)],
    "agreement": [("recorded_by", False)],
    "agreement_document": [("recorded_by", False)],
    "manual": [("recorded_by", False)],
    "target": [("recorded_by", False)],
    "measure": [("recorded_by", False)],
    "period_closure": [("closed_by", False), ("reopened_by", True)],
}


def _number_type(sqlite: bool, *, bounded: bool) -> sa.types.TypeEngine[object]:
    if bounded:
        return sa.Text() if sqlite else sa.Numeric(PRECISION, SCALE)
    return sa.Numeric()


def _migrate(*, up: bool) -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    new_len, old_len = (SUBJECT_LENGTH, OLD_SUBJECT_LENGTH) if up else (OLD_SUBJECT_LENGTH, SUBJECT_LENGTH)
    for table in sorted(NUMBERS.keys() | SUBJECTS.keys()):
        # batch mode: SQLite cannot change a column's type in place, the table is rebuilt (indexes,
        # partial ones included, are reflected and recreated); PostgreSQL gets plain ALTERs
        with op.batch_alter_table(table) as batch:
            for column, nullable in NUMBERS.get(table, []):
                batch.alter_column(
                    column,
                    existing_type=_number_type(sqlite, bounded=not up),
                    type_=_number_type(sqlite, bounded=up),
                    existing_nullable=nullable,
                )
            for column, nullable in SUBJECTS.get(table, []):
                batch.alter_column(
                    column,
                    existing_type=sa.String(old_len),
                    type_=sa.String(new_len),
                    existing_nullable=nullable,
                )


def upgrade() -> None:
    _migrate(up=True)


def downgrade() -> None:
    _migrate(up=False)
