"""Tables of the reporting cycle (issue 11, ADR 0020): calendars, submissions and their rounds,
analysis notes, publications with their frozen scorecards, and the outbox of events.

They share the registry's metadata (imported in ``services/registry/domain/__init__.py`` so
Alembic sees them). Rows are appended, never rewritten, except the state columns the ADR names:
``cycle_submission.state`` / ``superseded_at`` (a reopen supersedes a revision),
``cycle_round`` decision columns (set once), ``analysis_note.superseded_at`` and
``publication.superseded_at`` / ``published_scorecard.superseded_at`` (set once on republication).
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field

from kernel.columns import Recorded, TemporalRow, id_column
from services.registry.store.models import NUM, SUBJECT_LENGTH, TS, RegistryTable

#: ``cycle_calendar.owner`` of the shipped / admin-set preset (a Kanwil's own calendar names the Kanwil)
PRESET = ""


class CycleCalendar(RegistryTable, Recorded, table=True):
    """One version of a year's calendar for one satker level: the preset (``owner`` null) or a
    Kanwil's own dates for the satker under it (``owner`` = the Kanwil). Never changed once stored."""

    __tablename__ = "cycle_calendar"
    __table_args__ = (sa.UniqueConstraint("year", "level", "owner", "version"),)

    id: int = id_column()
    year: int
    level: str = Field(max_length=32)
    owner: str = Field(default=PRESET, max_length=32)  # PRESET, or the code of the Kanwil whose dates these are
    version: int
    document: dict[str, Any] = Field(sa_type=sa.JSON)


class CycleSubmission(RegistryTable, table=True):
    """One revision of a satker's report of a period: ``open`` → ``submitted`` → (``returned`` →
    ``submitted``)* → ``validated`` → ``published``; a reopen supersedes it with the next revision."""

    __tablename__ = "cycle_submission"
    __table_args__ = (
        sa.UniqueConstraint("agreement_id", "period", "revision"),
        sa.Index(
            None,
            "agreement_id",
            "period",
            unique=True,
            postgresql_where=sa.text("superseded_at IS NULL"),
            sqlite_where=sa.text("superseded_at IS NULL"),
        ),
        sa.CheckConstraint("state IN ('open','submitted','returned','validated','published')", name="state"),
    )

    id: int = id_column()
    agreement_id: int = Field(foreign_key="agreement.id")
    satker_code: str = Field(foreign_key="satker.code", max_length=32, index=True)
    year: int
    period: str = Field(max_length=8)
    revision: int
    state: str = Field(max_length=16)
    opened_at: datetime = Field(sa_type=TS)
    opened_by: str = Field(max_length=SUBJECT_LENGTH)
    reopen_reason: str | None = Field(default=None, sa_type=sa.Text)  # why this revision exists (2, 3, ...)
    validated_at: datetime | None = Field(default=None, sa_type=TS)
    published_at: datetime | None = Field(default=None, sa_type=TS)
    superseded_at: datetime | None = Field(default=None, sa_type=TS)


class CycleRound(RegistryTable, table=True):
    """One submission round: when and by whom it was submitted, and the reviewer's decision."""

    __tablename__ = "cycle_round"
    __table_args__ = (
        sa.UniqueConstraint("submission_id", "round"),
        sa.CheckConstraint("decision IS NULL OR decision IN ('returned','validated')", name="decision"),
    )

    id: int = id_column()
    submission_id: int = Field(foreign_key="cycle_submission.id", index=True)
    round: int
    submitted_at: datetime = Field(sa_type=TS)
    submitted_by: str = Field(max_length=SUBJECT_LENGTH)
    due: datetime | None = Field(default=None, sa_type=TS)  # the calendar's deadline then in force
    decision: str | None = Field(default=None, max_length=16)
    decided_at: datetime | None = Field(default=None, sa_type=TS)
    decided_by: str | None = Field(default=None, max_length=SUBJECT_LENGTH)
    reasons: dict[str, Any] | None = Field(default=None, sa_type=sa.JSON)  # IKU code -> reason (returned)
    remark: str | None = Field(default=None, sa_type=sa.Text)


class AnalysisNote(RegistryTable, TemporalRow, table=True):
    """The LAKIN's analysis of an IKU in a period (temporal row: a change supersedes)."""

    __tablename__ = "analysis_note"
    __table_args__ = (
        sa.Index(
            None,
            "indicator_id",
            "period",
            unique=True,
            postgresql_where=sa.text("superseded_at IS NULL"),
            sqlite_where=sa.text("superseded_at IS NULL"),
        ),
    )

    id: int = id_column()
    indicator_id: int = Field(foreign_key="indicator.id", index=True)
    period: str = Field(max_length=8)
    events_causes: str = Field(sa_type=sa.Text)  # kejadian / penyebab
    solutions_actions: str = Field(sa_type=sa.Text)  # solusi / rencana aksi
    risks: str = Field(sa_type=sa.Text)  # risiko


class Publication(RegistryTable, table=True):
    """A Kanwil's publication of a period's NKO (SKEP NKO); superseded by a republication."""

    __tablename__ = "publication"
    __table_args__ = (
        sa.Index(
            None,
            "satker_code",
            "year",
            "period",
            unique=True,
            postgresql_where=sa.text("superseded_at IS NULL"),
            sqlite_where=sa.text("superseded_at IS NULL"),
        ),
    )

    id: int = id_column()
    satker_code: str = Field(foreign_key="satker.code", max_length=32)
    year: int
    period: str = Field(max_length=8)
    skep_number: str = Field(max_length=64, unique=True)
    published_at: datetime = Field(sa_type=TS)
    published_by: str = Field(max_length=SUBJECT_LENGTH)
    superseded_at: datetime | None = Field(default=None, sa_type=TS)
    superseded_by: int | None = Field(default=None, foreign_key="publication.id")


class PublishedScorecard(RegistryTable, table=True):
    """A satker's scorecard as published: the scoring answer verbatim, with the SHA-256 of every
    input it was computed from (the bundle and the evidence facts at ``as_of``)."""

    __tablename__ = "published_scorecard"
    __table_args__ = (sa.UniqueConstraint("publication_id", "satker_code"),)

    id: int = id_column()
    publication_id: int = Field(foreign_key="publication.id", index=True)
    satker_code: str = Field(foreign_key="satker.code", max_length=32, index=True)
    submission_id: int = Field(foreign_key="cycle_submission.id")
    year: int
    period: str = Field(max_length=8)
    nko: Decimal | None = Field(default=None, sa_type=NUM)
    predicate: str | None = Field(default=None, max_length=64)
    as_of: datetime = Field(sa_type=TS)
    inputs_sha256: str = Field(max_length=64)
    input_hashes: dict[str, Any] = Field(sa_type=sa.JSON)
    scorecard: dict[str, Any] = Field(sa_type=sa.JSON)
    superseded_at: datetime | None = Field(default=None, sa_type=TS)


class OutboxEvent(RegistryTable, table=True):
    """An event, written in the transaction of the change it announces (the outbox).

    ``id`` grows with every event and is the feed's cursor. Delivery (e-mail, webhooks) keeps its
    attempts per subscriber in its own table keyed by this id; this row is never changed."""

    __tablename__ = "outbox_event"

    id: int = id_column(big=True)
    type: str = Field(max_length=64)
    subject: str = Field(max_length=128)
    satker_code: str | None = Field(default=None, max_length=32, index=True)
    payload: dict[str, Any] = Field(sa_type=sa.JSON)
    created_at: datetime = Field(sa_type=TS)
