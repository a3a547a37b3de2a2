"""Schema: history, plans and budget of a satker for the LAKIN (issue 12, ADR 0019).

Creates ``historical_result`` (yearly totals of years without an agreement, linked to the IKU
whose trend they continue), ``plan_target`` (Renstra DJBC / Renja Kemenkeu targets),
``budget_item``, ``budget_output`` and ``budget_change`` (pagu with its changes, realisation).
No data: the demo loads the Kalbagtim seed through the API (``services.registry.seed``).

Revision ID: 0007
Revises: 0005
Create Date: 2026-12-02 10:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0007"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PRECISION, SCALE = 25, 10  # kernel.types: what BoundedNumber allows (migration 0003)


def _common(table: str) -> list[sa.Column[object]]:
    return [
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("satker_code", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
    ]


def _recorded() -> list[sa.Column[object]]:
    return [
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recorded_by", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
    ]


def _keys(table: str, *unique: str) -> list[sa.schema.SchemaItem]:
    return [
        sa.ForeignKeyConstraint(["satker_code"], ["satker.code"], name=op.f(f"fk_{table}_satker_code_satker")),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{table}")),
        sa.UniqueConstraint(*unique, name=op.f(f"uq_{table}_{'_'.join(unique)}")),
    ]


def upgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"

    def num(name: str, nullable: bool = True) -> sa.Column[object]:
        kind: sa.types.TypeEngine[object] = sa.Text() if sqlite else sa.Numeric(PRECISION, SCALE)
        return sa.Column(name, kind, nullable=nullable)

    def text(name: str, length: int, nullable: bool = True) -> sa.Column[object]:
        return sa.Column(name, sqlmodel.sql.sqltypes.AutoString(length=length), nullable=nullable)

    op.create_table(
        "historical_result",
        *_common("historical_result"),
        text("indicator_code", 32, False),
        text("printed_code", 32),
        sa.Column("same_indicator", sa.Boolean(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        text("unit", 32),
        text("polarity", 16, False),
        num("target"),
        num("realization"),
        num("index"),
        num("target_percent"),
        num("realization_percent"),
        text("printed", 32),
        sa.Column("note", sa.Text(), nullable=True),
        text("source", 300),
        *_recorded(),
        *_keys("historical_result", "satker_code", "year", "indicator_code"),
    )
    op.create_table(
        "plan_target",
        *_common("plan_target"),
        text("indicator_code", 32, False),
        text("plan", 32, False),
        num("target"),
        text("unit", 32),
        sa.Column("objective", sa.Text(), nullable=True),
        text("source", 300),
        sa.Column("note", sa.Text(), nullable=True),
        *_recorded(),
        *_keys("plan_target", "satker_code", "year", "indicator_code", "plan"),
    )
    op.create_table(
        "budget_item",
        *_common("budget_item"),
        sa.Column("position", sa.Integer(), nullable=False),
        text("item", 200, False),
        text("spending_type", 32, False),
        num("initial"),
        num("revised", False),
        num("gross"),
        num("refunds"),
        num("net", False),
        sa.Column("note", sa.Text(), nullable=True),
        *_recorded(),
        *_keys("budget_item", "satker_code", "year", "item"),
    )
    op.create_table(
        "budget_output",
        *_common("budget_output"),
        sa.Column("position", sa.Integer(), nullable=False),
        text("programme", 200, False),
        text("activity", 200, False),
        text("output_class", 200, False),
        text("output", 200, False),
        num("budget", False),
        num("realization", False),
        sa.Column("note", sa.Text(), nullable=True),
        *_recorded(),
        *_keys("budget_output", "satker_code", "year", "position"),
    )
    op.create_table(
        "budget_change",
        *_common("budget_change"),
        sa.Column("position", sa.Integer(), nullable=False),
        text("kind", 16, False),
        num("amount", False),
        text("spending_type", 32),
        text("document_number", 64),
        sa.Column("document_date", sa.Date(), nullable=True),
        sa.Column("subject", sa.Text(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        *_recorded(),
        *_keys("budget_change", "satker_code", "year", "position"),
    )


def downgrade() -> None:
    for table in ("budget_change", "budget_output", "budget_item", "plan_target", "historical_result"):
        op.drop_table(table)
