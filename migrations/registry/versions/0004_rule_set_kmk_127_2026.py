"""Data: ship the rule set KMK-127-2026 version 1 beside KMK-300-2022 (contracts.md §7, issue 9).

The document is frozen here on purpose (a migration must not change when the code does). It is a
RECONSTRUCTION from public secondary sources (the text of KMK 127/2026 itself was not available):
the predicates Sangat Baik ≥ 110, Baik ≥ 100, Cukup ≥ 90, Kurang ≥ 80, Buruk below; index 0..120
with Konversi 120 (a met maximal target becomes 120, in the IKU manuals: ``konversi_120``); the
formulas for negative targets; the perspective weights and status bands as in KMK 300/2022
(no secondary source reports a change). An agreement chooses it by ``rule_set: {code:
KMK-127-2026, version: 1}``; a corrected reading is a version 2, never an edit of this one.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02 05:00:00
"""

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

KMK_127_2026 = {
    "code": "KMK-127-2026",
    "version": 1,
    "title": "KMK 127/2026 (pengelolaan kinerja di lingkungan Kementerian Keuangan)",
    "description": (
        "Direkonstruksi dari sumber sekunder publik, bukan dari naskah KMK: predikat Sangat Baik ≥ 110, "
        "Baik ≥ 100, Cukup ≥ 90, Kurang ≥ 80, Buruk di bawahnya; indeks capaian 0..120 dengan Konversi 120; "
        "target negatif: maximize (1 + (1 − R/T)) × 100, minimize R/T × 100. Bobot perspektif dan pita "
        "status seperti KMK 300/2022."
    ),
    "index": {"floor": 0, "cap": 120},
    "polarity": {
        "max": {"formula": "ratio", "negative_target": {"formula": "two_minus_ratio"}},
        "min": {"formula": "two_minus_ratio", "negative_target": {"formula": "ratio"}},
        "stabilize": {"formula": "stabilize", "negative_target": {"formula": "stabilize"}},
    },
    "perspectives": [
        {"code": "stakeholder", "name": "Stakeholder", "weight": 0.30},
        {"code": "customer", "name": "Customer", "weight": 0.20},
        {"code": "internal_process", "name": "Internal Process", "weight": 0.25},
        {"code": "learning_growth", "name": "Learning & Growth", "weight": 0.25},
    ],
    "predicates": [
        {"name": "Sangat Baik", "at_least": 110},
        {"name": "Baik", "at_least": 100},
        {"name": "Cukup", "at_least": 90},
        {"name": "Kurang", "at_least": 80},
        {"name": "Buruk"},
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
                "code": "KMK-127-2026",
                "version": 1,
                "document": KMK_127_2026,
                "recorded_at": datetime(2026, 1, 1, tzinfo=UTC),
                "recorded_by": "migration:0004",
            }
        ],
    )


def downgrade() -> None:
    op.execute(rule_set.delete().where(rule_set.c.code == "KMK-127-2026").where(rule_set.c.version == 1))
