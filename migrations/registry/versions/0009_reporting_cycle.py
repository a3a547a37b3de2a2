"""Schema + data: the reporting cycle (issue 11, ADR 0020).

Creates the calendar (``cycle_calendar``: versioned documents per year and satker level, the
preset or a Kanwil's own dates), submissions with their rounds, analysis notes, publications
with their frozen scorecards, and the outbox of events (``outbox_event``).

Ships the preset calendar ``DJBC-praktik`` version 1 for 2024-2027 and the levels ``kanwil`` and
``kppbc``, frozen here on purpose (a migration must not change when code does). What is from the
seed and what is assumed is said in every document's ``sources``:

* realisations and evidence are due "paling lambat tanggal 7 s.d. 9" of the month after the
  quarter (seed: LAKIN 2024, baris 1054 and 1898): the KPPBC by the 7th, the Kanwil by the 9th
  (which office gets which end of the range is assumed);
* the order of the quarter (record realisations → review of the agreement and its quality by K3
  → validation → SKEP NKO) is the ministry's practice (seed); the review, validation and
  publication days (14th, 21st, last day of the month) are assumed;
* deadlines end at 23:59:59 WIB (UTC+07:00, assumed: the directorate's head office time).

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02 10:33:27
"""

import calendar as _calendar
from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import Any

import sqlalchemy as sa
import sqlmodel
from alembic import op

from kernel.columns import ExactDecimal

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PRESET_YEARS = (2024, 2025, 2026, 2027)
QUARTER_END_MONTH = {"Q1": 3, "Q2": 6, "Q3": 9, "Q4": 12}
#: day of the month after the quarter by which realisations and evidence are due, per level
DUE_DAY = {"kppbc": 7, "kanwil": 9}


def _next_month(year: int, month: int) -> tuple[int, int]:
    return (year + 1, 1) if month == 12 else (year, month + 1)


def preset(year: int, level: str) -> dict[str, Any]:
    periods: dict[str, dict[str, str]] = {}
    for period, end in QUARTER_END_MONTH.items():
        y, m = _next_month(year, end)
        last = _calendar.monthrange(y, m)[1]
        periods[period] = {
            "window_opens": date(y, m, 1).isoformat(),
            "realisations_due": date(y, m, DUE_DAY[level]).isoformat(),
            "evidence_due": date(y, m, DUE_DAY[level]).isoformat(),
            "review_due": date(y, m, 14).isoformat(),
            "validation_due": date(y, m, 21).isoformat(),
            "publication_due": date(y, m, last).isoformat(),
        }
    return {
        "format": "kinerja.cycle-calendar/v1",
        "code": "DJBC-praktik",
        "title": f"Kalender pelaporan kinerja {year}, tingkat {level} (praktik Kementerian Keuangan)",
        "utc_offset": "+07:00",
        "periods": periods,
        "sources": {
            "realisations_due": "seed: laporan bulanan 'paling lambat tanggal 7 s.d. 9' bulan berikutnya "
            "(LAKIN 2024, baris 1054, 1898); tanggal 7 untuk KPPBC, 9 untuk Kanwil: asumsi",
            "evidence_due": "asumsi: sama dengan batas realisasi (bukti dinyatakan lengkap saat penyampaian)",
            "window_opens": "asumsi: hari pertama bulan setelah triwulan berakhir",
            "review_due": "seed: urutan rekam realisasi → reviu PK dan kualitasnya (K3) → validasi → SKEP NKO; "
            "tanggal 14: asumsi",
            "validation_due": "tanggal 21: asumsi",
            "publication_due": "hari terakhir bulan: asumsi",
            "utc_offset": "asumsi: batas berakhir pukul 23.59.59 WIB",
        },
    }


def upgrade() -> None:
    calendar = op.create_table(
        "cycle_calendar",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("level", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("owner", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("document", sa.JSON(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recorded_by", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cycle_calendar")),
        sa.UniqueConstraint(
            "year", "level", "owner", "version", name=op.f("uq_cycle_calendar_year_level_owner_version")
        ),
    )
    op.create_table(
        "outbox_event",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("type", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("subject", sqlmodel.sql.sqltypes.AutoString(length=128), nullable=False),
        sa.Column("satker_code", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox_event")),
    )
    op.create_index(op.f("ix_outbox_event_satker_code"), "outbox_event", ["satker_code"], unique=False)
    op.create_table(
        "publication",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("satker_code", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("period", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
        sa.Column("skep_number", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("published_by", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
        sa.Column("superseded_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("superseded_by", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["satker_code"], ["satker.code"], name=op.f("fk_publication_satker_code_satker")),
        sa.ForeignKeyConstraint(
            ["superseded_by"], ["publication.id"], name=op.f("fk_publication_superseded_by_publication")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_publication")),
        sa.UniqueConstraint("skep_number", name=op.f("uq_publication_skep_number")),
    )
    op.create_index(
        "uq_publication_current",
        "publication",
        ["satker_code", "year", "period"],
        unique=True,
        postgresql_where=sa.text("superseded_at IS NULL"),
        sqlite_where=sa.text("superseded_at IS NULL"),
    )
    op.create_table(
        "cycle_submission",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("agreement_id", sa.Integer(), nullable=False),
        sa.Column("satker_code", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("period", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("state", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("opened_by", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
        sa.Column("reopen_reason", sa.Text(), nullable=True),
        sa.Column("validated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("superseded_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "state IN ('open','submitted','returned','validated','published')", name=op.f("ck_cycle_submission_state")
        ),
        sa.ForeignKeyConstraint(
            ["agreement_id"], ["agreement.id"], name=op.f("fk_cycle_submission_agreement_id_agreement")
        ),
        sa.ForeignKeyConstraint(["satker_code"], ["satker.code"], name=op.f("fk_cycle_submission_satker_code_satker")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cycle_submission")),
        sa.UniqueConstraint(
            "agreement_id", "period", "revision", name=op.f("uq_cycle_submission_agreement_id_period_revision")
        ),
    )
    op.create_index(op.f("ix_cycle_submission_satker_code"), "cycle_submission", ["satker_code"], unique=False)
    op.create_index(
        "uq_cycle_submission_current",
        "cycle_submission",
        ["agreement_id", "period"],
        unique=True,
        postgresql_where=sa.text("superseded_at IS NULL"),
        sqlite_where=sa.text("superseded_at IS NULL"),
    )
    op.create_table(
        "cycle_round",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("submission_id", sa.Integer(), nullable=False),
        sa.Column("round", sa.Integer(), nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("submitted_by", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
        sa.Column("due", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decision", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decided_by", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=True),
        sa.Column("reasons", sa.JSON(), nullable=True),
        sa.Column("remark", sa.Text(), nullable=True),
        sa.CheckConstraint(
            "decision IS NULL OR decision IN ('returned','validated')", name=op.f("ck_cycle_round_decision")
        ),
        sa.ForeignKeyConstraint(
            ["submission_id"], ["cycle_submission.id"], name=op.f("fk_cycle_round_submission_id_cycle_submission")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cycle_round")),
        sa.UniqueConstraint("submission_id", "round", name=op.f("uq_cycle_round_submission_id_round")),
    )
    op.create_index(op.f("ix_cycle_round_submission_id"), "cycle_round", ["submission_id"], unique=False)
    op.create_table(
        "published_scorecard",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("publication_id", sa.Integer(), nullable=False),
        sa.Column("satker_code", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("submission_id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("period", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
        sa.Column("nko", ExactDecimal(), nullable=True),
        sa.Column("predicate", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column("as_of", sa.DateTime(timezone=True), nullable=False),
        sa.Column("inputs_sha256", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("input_hashes", sa.JSON(), nullable=False),
        sa.Column("scorecard", sa.JSON(), nullable=False),
        sa.Column("superseded_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["publication_id"], ["publication.id"], name=op.f("fk_published_scorecard_publication_id_publication")
        ),
        sa.ForeignKeyConstraint(
            ["satker_code"], ["satker.code"], name=op.f("fk_published_scorecard_satker_code_satker")
        ),
        sa.ForeignKeyConstraint(
            ["submission_id"],
            ["cycle_submission.id"],
            name=op.f("fk_published_scorecard_submission_id_cycle_submission"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_published_scorecard")),
        sa.UniqueConstraint(
            "publication_id", "satker_code", name=op.f("uq_published_scorecard_publication_id_satker_code")
        ),
    )
    op.create_index(
        op.f("ix_published_scorecard_publication_id"), "published_scorecard", ["publication_id"], unique=False
    )
    op.create_index(op.f("ix_published_scorecard_satker_code"), "published_scorecard", ["satker_code"], unique=False)
    op.create_table(
        "analysis_note",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("indicator_id", sa.Integer(), nullable=False),
        sa.Column("period", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
        sa.Column("events_causes", sa.Text(), nullable=False),
        sa.Column("solutions_actions", sa.Text(), nullable=False),
        sa.Column("risks", sa.Text(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recorded_by", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
        sa.Column("superseded_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["indicator_id"], ["indicator.id"], name=op.f("fk_analysis_note_indicator_id_indicator")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_analysis_note")),
    )
    op.create_index(op.f("ix_analysis_note_indicator_id"), "analysis_note", ["indicator_id"], unique=False)
    op.create_index(
        "uq_analysis_note_current",
        "analysis_note",
        ["indicator_id", "period"],
        unique=True,
        postgresql_where=sa.text("superseded_at IS NULL"),
        sqlite_where=sa.text("superseded_at IS NULL"),
    )
    op.bulk_insert(
        calendar,
        [
            {
                "year": year,
                "level": level,
                "owner": "",
                "version": 1,
                "document": preset(year, level),
                "recorded_at": datetime(2023, 12, 1, tzinfo=UTC),
                "recorded_by": "migration:0009",
            }
            for year in PRESET_YEARS
            for level in ("kanwil", "kppbc")
        ],
    )


def downgrade() -> None:
    op.drop_index(
        "uq_analysis_note_current",
        table_name="analysis_note",
        postgresql_where=sa.text("superseded_at IS NULL"),
        sqlite_where=sa.text("superseded_at IS NULL"),
    )
    op.drop_index(op.f("ix_analysis_note_indicator_id"), table_name="analysis_note")
    op.drop_table("analysis_note")
    op.drop_index(op.f("ix_published_scorecard_satker_code"), table_name="published_scorecard")
    op.drop_index(op.f("ix_published_scorecard_publication_id"), table_name="published_scorecard")
    op.drop_table("published_scorecard")
    op.drop_index(op.f("ix_cycle_round_submission_id"), table_name="cycle_round")
    op.drop_table("cycle_round")
    op.drop_index(
        "uq_cycle_submission_current",
        table_name="cycle_submission",
        postgresql_where=sa.text("superseded_at IS NULL"),
        sqlite_where=sa.text("superseded_at IS NULL"),
    )
    op.drop_index(op.f("ix_cycle_submission_satker_code"), table_name="cycle_submission")
    op.drop_table("cycle_submission")
    op.drop_index(
        "uq_publication_current",
        table_name="publication",
        postgresql_where=sa.text("superseded_at IS NULL"),
        sqlite_where=sa.text("superseded_at IS NULL"),
    )
    op.drop_table("publication")
    op.drop_index(op.f("ix_outbox_event_satker_code"), table_name="outbox_event")
    op.drop_table("outbox_event")
    op.drop_table("cycle_calendar")
