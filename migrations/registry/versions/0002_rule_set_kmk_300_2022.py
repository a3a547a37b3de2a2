"""Data: ship the rule set KMK-300-2022 version 1 (contracts.md §7).

The document is frozen here on purpose (a migration must not change when the code does). A new
regulation (KMK 127/2026, ...) is a new rule set posted through the API or a new data migration,
never an edit of this one.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22 21:30:00
"""

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

KMK_300_2022 = {
    "code": "KMK-300-2022",
    "version": 1,
    "title": "KMK 300/KMK.01/2022 (performance management in the Ministry of Finance)",
    "index": {"floor": 0, "cap": 120},
    "polarity": {
        "max": {"formula": "ratio"},
        "min": {"formula": "two_minus_ratio"},
        "stabilize": {"formula": "stabilize"},
    },
    "perspectives": [
        {"code": "stakeholder", "name": "Stakeholder", "weight": 0.30},
        {"code": "customer", "name": "Customer", "weight": 0.20},
        {"code": "internal_process", "name": "Internal Process", "weight": 0.25},
        {"code": "learning_growth", "name": "Learning & Growth", "weight": 0.25},
    ],
    "predicates": [
        {"name": "Istimewa", "above": 100},
        {"name": "Baik", "at_least": 90},
        {"name": "Butuh Perbaikan", "at_least": 70},
        {"name": "Kurang", "at_least": 50},
        {"name": "Sangat Kurang"},
    ],
    "status_bands": [
        {"status": "green", "at_least": 100},
        {"status": "yellow", "at_least": 80},
        {"status": "red"},
    ],
}

rule_set = sa.table(
    "rule_set",
    sa.column("code", sa.String),
    sa.column("version", sa.Integer),
    sa.column("document", sa.JSON),
    sa.column("recorded_at", sa.DateTime(timezone=True)),
    sa.column("recorded_by", sa.String),
)


def upgrade() -> None:
    op.bulk_insert(
        rule_set,
        [
            {
                "code": "KMK-300-2022",
                "version": 1,
                "document": KMK_300_2022,
                "recorded_at": datetime(2022, 1, 1, tzinfo=UTC),
                "recorded_by": "migration:0002",
            }
        ],
    )


def downgrade() -> None:
    op.execute(rule_set.delete().where(rule_set.c.code == "KMK-300-2022").where(rule_set.c.version == 1))
