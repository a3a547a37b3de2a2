"""Schema: every constraint and index named by the kernel's one naming convention (ADR 0022).

``kernel.db.NAMING_CONVENTION`` names a constraint or index after its table and columns. Three
evidence names were hand-made; this renames them (same columns, same uniqueness, same ``WHERE``):

* index ``ix_documents_scope`` → ``ix_documents_satker_indicator_year``;
* partial unique index ``uq_documents_current_number`` → ``uq_documents_satker_kind_number_issuer``;
* unique constraint ``uq_documents_lineage_revision`` → ``uq_documents_lineage_id_revision``.

PostgreSQL: ``ALTER INDEX / ALTER TABLE ... RENAME`` (catalogue changes, no rebuild).
SQLite (embedded mode): an index cannot be renamed there, so the two indexes are dropped and
created again under the new names. A SQLite table constraint's name can only change by rebuilding
the table; the rebuild is Alembic's batch mode (copy into a new ``documents``, same rows). The
indexes are dropped before the rebuild and created after it, so the copy never has to rebuild the
partial unique index (SQLite's reflection would not keep its ``WHERE``).

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-03 07:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_CURRENT = "is_current"
#: (old name, new name, columns, unique, partial WHERE) of the indexes of ``documents``; frozen here
INDEXES: list[tuple[str, str, list[str], bool, str | None]] = [
    ("ix_documents_scope", "ix_documents_satker_indicator_year", ["satker", "indicator", "year"], False, None),
    (
        "uq_documents_current_number",
        "uq_documents_satker_kind_number_issuer",
        ["satker", "kind", "number", "issuer"],
        True,
        _CURRENT,
    ),
]
UNIQUE = ("uq_documents_lineage_revision", "uq_documents_lineage_id_revision", ["lineage_id", "revision"])


def _where(where: str | None) -> dict[str, object]:
    return {"sqlite_where": sa.text(where)} if where else {}


def _apply(up: bool) -> None:
    def name(old: str, new: str) -> tuple[str, str]:
        return (old, new) if up else (new, old)

    if op.get_bind().dialect.name != "sqlite":
        for old, new, *_ in INDEXES:
            frm, to = name(old, new)
            op.execute(sa.text(f'ALTER INDEX "{frm}" RENAME TO "{to}"'))
        frm, to = name(UNIQUE[0], UNIQUE[1])
        op.execute(sa.text(f'ALTER TABLE "documents" RENAME CONSTRAINT "{frm}" TO "{to}"'))
        return
    for old, new, *_ in INDEXES:
        op.drop_index(name(old, new)[0], table_name="documents")
    frm, to = name(UNIQUE[0], UNIQUE[1])
    with op.batch_alter_table("documents", recreate="always") as batch:
        batch.drop_constraint(frm, type_="unique")
        batch.create_unique_constraint(to, UNIQUE[2])
    for old, new, columns, unique, where in INDEXES:
        op.create_index(name(old, new)[1], "documents", columns, unique=unique, **_where(where))


def upgrade() -> None:
    _apply(up=True)


def downgrade() -> None:
    _apply(up=False)
