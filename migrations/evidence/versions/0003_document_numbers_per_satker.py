"""document numbers unique per satker (issuer check, ADR 0012)

A number is recorded once per satker: ``(satker, kind, number, issuer)`` among current revisions
instead of ``(kind, number, issuer)`` everywhere. The issuer check (a satker records only its
own numbers and those it received from its tree or the head office) keeps one satker from
occupying another's numbers; the same letter received by two offices is evidence for both.

Downgrade restores the global index; it fails (and changes nothing) if two satker recorded the
same received number meanwhile.

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

_WHERE = {"postgresql_where": sa.text("is_current"), "sqlite_where": sa.text("is_current")}


def upgrade() -> None:
    op.drop_index("uq_documents_current_number", table_name="documents", **_WHERE)
    op.create_index(
        "uq_documents_current_number", "documents", ["satker", "kind", "number", "issuer"], unique=True, **_WHERE
    )


def downgrade() -> None:
    op.drop_index("uq_documents_current_number", table_name="documents", **_WHERE)
    op.create_index("uq_documents_current_number", "documents", ["kind", "number", "issuer"], unique=True, **_WHERE)
