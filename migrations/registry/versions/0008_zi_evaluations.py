"""Schema: Zona Integritas evaluations per satker and year, their levels, answers and level events
(issue 13, ADR 0015).

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02 10:50:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

from kernel.columns import ExactDecimal

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

S = sqlmodel.sql.sqltypes.AutoString
TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "zi_evaluation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("satker_code", S(length=32), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("template_code", S(length=64), nullable=False),
        sa.Column("template_version", sa.Integer(), nullable=False),
        sa.Column("proposed_predicate", S(length=8), nullable=True),
        sa.Column("note", S(length=2000), nullable=True),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("created_by", S(length=255), nullable=False),
        sa.ForeignKeyConstraint(["satker_code"], ["satker.code"], name=op.f("fk_zi_evaluation_satker_code_satker")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_zi_evaluation")),
        sa.UniqueConstraint("satker_code", "year", name=op.f("uq_zi_evaluation_satker_code_year")),
    )
    op.create_index(op.f("ix_zi_evaluation_satker_code"), "zi_evaluation", ["satker_code"])
    op.create_table(
        "zi_level",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("evaluation_id", sa.Integer(), nullable=False),
        sa.Column("level", S(length=16), nullable=False),
        sa.Column("team_label", S(length=200), nullable=True),
        sa.Column("status", S(length=16), nullable=False),
        sa.Column("pengungkit", ExactDecimal(), nullable=True),
        sa.Column("hasil", ExactDecimal(), nullable=True),
        sa.Column("updated_at", TS, nullable=False),
        sa.Column("updated_by", S(length=255), nullable=False),
        sa.Column("submitted_at", TS, nullable=True),
        sa.Column("submitted_by", S(length=255), nullable=True),
        sa.ForeignKeyConstraint(
            ["evaluation_id"], ["zi_evaluation.id"], name=op.f("fk_zi_level_evaluation_id_zi_evaluation")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_zi_level")),
        sa.UniqueConstraint("evaluation_id", "level", name=op.f("uq_zi_level_evaluation_id_level")),
    )
    op.create_index(op.f("ix_zi_level_evaluation_id"), "zi_level", ["evaluation_id"])
    op.create_table(
        "zi_answer",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("level_id", sa.Integer(), nullable=False),
        sa.Column("question_code", S(length=64), nullable=False),
        sa.Column("answer", sa.JSON(), nullable=False),
        sa.Column("note", S(length=4000), nullable=True),
        sa.Column("evidence", sa.JSON(), nullable=False),
        sa.Column("recorded_at", TS, nullable=False),
        sa.Column("recorded_by", S(length=255), nullable=False),
        sa.ForeignKeyConstraint(["level_id"], ["zi_level.id"], name=op.f("fk_zi_answer_level_id_zi_level")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_zi_answer")),
        sa.UniqueConstraint("level_id", "question_code", name=op.f("uq_zi_answer_level_id_question_code")),
    )
    op.create_index(op.f("ix_zi_answer_level_id"), "zi_answer", ["level_id"])
    op.create_table(
        "zi_level_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("level_id", sa.Integer(), nullable=False),
        sa.Column("event", S(length=16), nullable=False),
        sa.Column("reason", S(length=2000), nullable=True),
        sa.Column("at", TS, nullable=False),
        sa.Column("by", S(length=255), nullable=False),
        sa.ForeignKeyConstraint(["level_id"], ["zi_level.id"], name=op.f("fk_zi_level_event_level_id_zi_level")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_zi_level_event")),
    )
    op.create_index(op.f("ix_zi_level_event_level_id"), "zi_level_event", ["level_id"])


def downgrade() -> None:
    op.drop_table("zi_level_event")
    op.drop_table("zi_answer")
    op.drop_table("zi_level")
    op.drop_table("zi_evaluation")
