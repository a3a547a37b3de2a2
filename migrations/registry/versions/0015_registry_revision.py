"""Schema: the registry revision, changed by the database on every committed write (ADR 0026).

``registry_revision`` holds one row whose ``token`` is replaced, by triggers on every other
registry table, in each transaction that inserts, updates, deletes or truncates. The bundle route
reads it before the bundle's rows and answers ``ETag``/``304`` with it, so scoring re-uses a bundle
it already holds only when nothing in the registry has changed since.

* PostgreSQL: one trigger function; a ``DEFERRABLE INITIALLY DEFERRED`` constraint trigger per
  table (fires at commit: the revision row is locked last and briefly, so two writers cannot
  deadlock on it; ``txid`` makes it one update per transaction, not one per row) and a statement
  trigger for ``TRUNCATE``. The function's ``search_path`` is fixed at creation, so a write from a
  session with another search path still finds the revision.
* SQLite (the embedded default): row triggers ``AFTER INSERT/UPDATE/DELETE`` per table (SQLite
  has one writer at a time, so there is no lock order to care about).

A table added by a later migration must get the same triggers (``install(table)`` below, copied):
``tests/registry/test_registry_revision.py`` fails for a table without them.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-03 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLE = "registry_revision"
FUNCTION = "registry_revision_bump"
SKIP = {TABLE, "alembic_version"}


def _tables(bind: sa.Connection) -> list[str]:
    return sorted(t for t in sa.inspect(bind).get_table_names() if t not in SKIP)


def install(bind: sa.Connection, table: str) -> None:
    """The revision triggers of one table (PostgreSQL or SQLite)."""
    if bind.dialect.name == "postgresql":
        op.execute(
            f'CREATE CONSTRAINT TRIGGER "{FUNCTION}" AFTER INSERT OR UPDATE OR DELETE ON "{table}" '
            f"DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION {FUNCTION}()"
        )
        op.execute(
            f'CREATE TRIGGER "{FUNCTION}_truncate" AFTER TRUNCATE ON "{table}" '
            f"FOR EACH STATEMENT EXECUTE FUNCTION {FUNCTION}()"
        )
        return
    for event in ("insert", "update", "delete"):
        op.execute(
            f'CREATE TRIGGER "{FUNCTION}_{table}_{event}" AFTER {event.upper()} ON "{table}" '
            f"BEGIN UPDATE {TABLE} SET token = lower(hex(randomblob(16))) WHERE id = 1; END"
        )


def upgrade() -> None:
    op.create_table(
        TABLE,
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token", sa.String(length=64), nullable=False),
        sa.Column("txid", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_registry_revision")),
    )
    bind = op.get_bind()
    postgresql = bind.dialect.name == "postgresql"
    first = "gen_random_uuid()::text" if postgresql else "lower(hex(randomblob(16)))"
    op.execute(f"INSERT INTO {TABLE} (id, token) VALUES (1, {first})")
    if postgresql:
        op.execute(
            f"CREATE FUNCTION {FUNCTION}() RETURNS trigger LANGUAGE plpgsql SET search_path FROM CURRENT AS $$\n"
            "BEGIN\n"
            f"  UPDATE {TABLE} SET token = gen_random_uuid()::text, txid = txid_current()\n"
            "   WHERE id = 1 AND txid IS DISTINCT FROM txid_current();\n"
            "  RETURN NULL;\n"
            "END $$"
        )
    for table in _tables(bind):
        install(bind, table)


def downgrade() -> None:
    bind = op.get_bind()
    for table in _tables(bind):
        if bind.dialect.name == "postgresql":
            op.execute(f'DROP TRIGGER IF EXISTS "{FUNCTION}" ON "{table}"')
            op.execute(f'DROP TRIGGER IF EXISTS "{FUNCTION}_truncate" ON "{table}"')
        else:
            for event in ("insert", "update", "delete"):
                op.execute(f'DROP TRIGGER IF EXISTS "{FUNCTION}_{table}_{event}"')
    if bind.dialect.name == "postgresql":
        op.execute(f"DROP FUNCTION IF EXISTS {FUNCTION}()")
    op.drop_table(TABLE)
