"""Room for real token subjects: ``uploaded_by``, ``reviewed_by`` and the audit ``actor`` grow
from 128 to 255 characters. A long but valid OIDC subject made every upload, review and audit
event of its owner fail with a database error (a 500) on PostgreSQL.

Widening a ``varchar`` is a catalogue change on PostgreSQL (no rewrite, so the append-only
trigger of ``audit_events`` is not involved); SQLite does not enforce the length, the batch
rebuild only records it.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-02 05:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: frozen here (a migration must not change when the code does)
SUBJECT_LENGTH, OLD_SUBJECT_LENGTH = 255, 128
COLUMNS = {"documents": [("uploaded_by", False), ("reviewed_by", True)], "audit_events": [("actor", False)]}


def _resize(old: int, new: int) -> None:
    for table, columns in COLUMNS.items():
        with op.batch_alter_table(table) as batch:
            for column, nullable in columns:
                batch.alter_column(
                    column, existing_type=sa.String(old), type_=sa.String(new), existing_nullable=nullable
                )


def upgrade() -> None:
    _resize(OLD_SUBJECT_LENGTH, SUBJECT_LENGTH)


def downgrade() -> None:
    _resize(SUBJECT_LENGTH, OLD_SUBJECT_LENGTH)
