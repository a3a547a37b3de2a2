"""Schema: a historical result may belong to a sub-series of an IKU (issue 12, ADR 0019).

Adds ``historical_result.series`` ('' = the IKU itself; else the key of a sub-series such as
``manajemen-risiko``, a part of 10b-N the LAKIN prints a five-year table for) and makes it part
of the row's key: one row per satker, year, IKU and series. ``''`` rather than NULL because NULLs
never collide in a unique constraint (PostgreSQL before 15, SQLite), so two rows of the IKU itself
would both be accepted. Existing rows are the IKU's own (``''``).

Revision ID: 0014
Revises: 0011
Create Date: 2026-12-03 07:45:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0014"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OLD = "uq_historical_result_satker_code_year_indicator_code"
NEW = "uq_historical_result_satker_code_year_indicator_code_series"


def upgrade() -> None:
    # batch mode: SQLite rebuilds the table to change a constraint; PostgreSQL gets plain ALTERs
    with op.batch_alter_table("historical_result") as batch:
        batch.add_column(
            sa.Column("series", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False, server_default="")
        )
        batch.drop_constraint(OLD, type_="unique")
        batch.create_unique_constraint(NEW, ["satker_code", "year", "indicator_code", "series"])


def downgrade() -> None:
    # the sub-series rows have no place in the old key: they go, the IKU's own rows stay
    op.execute(sa.text("DELETE FROM historical_result WHERE series <> ''"))
    with op.batch_alter_table("historical_result") as batch:
        batch.drop_constraint(NEW, type_="unique")
        batch.create_unique_constraint(OLD, ["satker_code", "year", "indicator_code"])
        batch.drop_column("series")
