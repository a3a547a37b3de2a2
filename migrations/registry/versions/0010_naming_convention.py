"""Schema: every index named by the kernel's one naming convention (ADR 0022).

``kernel.db.NAMING_CONVENTION`` names an index after its table and columns, ``uq_`` for a unique
one (the partial "one current row" indexes of the temporal rows), ``ix_`` otherwise. Eight
registry indexes had hand-made names (``uq_target_current``, ``ix_delivery_due``, ...); this
renames them. Constraints (pk, fk, uq, ck) already followed the convention. Nothing else changes:
same columns, same uniqueness, same ``WHERE``.

* PostgreSQL: ``ALTER INDEX ... RENAME``, a catalogue change (no rebuild, no data touched).
* SQLite (embedded mode): an index cannot be renamed there, so it is dropped and created again
  under the new name (the same definition; the embedded database is small). Both run in the
  migration's transaction: a failure leaves the old names.

The revision id is ``0010`` (reserved for this change) but it runs after ``0011``.

Revision ID: 0010
Revises: 0011
Create Date: 2026-12-03 07:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_CURRENT = "superseded_at IS NULL"

#: (table, old name, new name, columns, unique, partial WHERE) — frozen here on purpose
RENAMES: list[tuple[str, str, str, list[str], bool, str | None]] = [
    ("target", "uq_target_current", "uq_target_indicator_id_period", ["indicator_id", "period"], True, _CURRENT),
    (
        "measure",
        "uq_measure_current",
        "uq_measure_indicator_id_period_part",
        ["indicator_id", "period", "part"],
        True,
        _CURRENT,
    ),
    (
        "measure",
        "ix_measure_indicator_period",
        "ix_measure_indicator_id_period",
        ["indicator_id", "period"],
        False,
        None,
    ),
    (
        "period_closure",
        "uq_period_closure_current",
        "uq_period_closure_agreement_id_period",
        ["agreement_id", "period"],
        True,
        "reopened_at IS NULL",
    ),
    (
        "analysis_note",
        "uq_analysis_note_current",
        "uq_analysis_note_indicator_id_period",
        ["indicator_id", "period"],
        True,
        _CURRENT,
    ),
    (
        "cycle_submission",
        "uq_cycle_submission_current",
        "uq_cycle_submission_agreement_id_period",
        ["agreement_id", "period"],
        True,
        _CURRENT,
    ),
    (
        "publication",
        "uq_publication_current",
        "uq_publication_satker_code_year_period",
        ["satker_code", "year", "period"],
        True,
        _CURRENT,
    ),
    ("delivery", "ix_delivery_due", "ix_delivery_status_next_attempt_at", ["status", "next_attempt_at"], False, None),
]


def _rename(table: str, old: str, new: str, columns: list[str], unique: bool, where: str | None) -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.drop_index(old, table_name=table)
        op.create_index(new, table, columns, unique=unique, sqlite_where=sa.text(where) if where else None)
    else:
        op.execute(sa.text(f'ALTER INDEX "{old}" RENAME TO "{new}"'))


def upgrade() -> None:
    for table, old, new, columns, unique, where in RENAMES:
        _rename(table, old, new, columns, unique, where)


def downgrade() -> None:
    for table, old, new, columns, unique, where in reversed(RENAMES):
        _rename(table, new, old, columns, unique, where)
