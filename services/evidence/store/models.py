"""Tables of the evidence service (schema ``evidence``), as SQLModel tables.

A *document* row is one immutable revision: its bytes (by sha256), metadata and links never
change; only its review state does. A correction is a new row in the same ``lineage_id`` with
``revision + 1``; the previous row loses ``is_current``. Links point at a parent *lineage*, so a
corrected LPT keeps its SBPs. ``audit_events`` is append-only (a trigger refuses UPDATE and
DELETE on PostgreSQL).

The service has its own SQLAlchemy ``registry`` / ``MetaData`` (``kernel.db.service_metadata``:
not SQLModel's global one), so the registry's tables never show up in this service's Alembic
environment and vice versa. Constraints and indexes are named by the kernel's one convention
(evidence migration 0004 renamed the three that had hand-made names; ADR 0022).
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import registry as sa_registry
from sqlmodel import Field, SQLModel

from kernel.columns import SUBJECT_LENGTH, TS, id_column
from kernel.db import service_metadata

JSON = sa.JSON().with_variant(JSONB(), "postgresql")

metadata = service_metadata()


class EvidenceTable(SQLModel, registry=sa_registry(metadata=metadata)):
    """Base of every evidence table (own metadata, see the module docstring)."""


class DocumentStatus:
    SCANNED = "scanned"
    IN_REVIEW = "in_review"
    VERIFIED = "verified"
    REJECTED = "rejected"


class Document(EvidenceTable, table=True):
    __tablename__ = "documents"
    __table_args__ = (
        sa.Index(None, "satker", "indicator", "year"),
        # the gaming guard "same (kind, number, issuer) twice in a satker" holds among current
        # revisions; per satker, because a received letter may prove several offices' work (ADR 0012)
        sa.Index(
            None,
            "satker",
            "kind",
            "number",
            "issuer",
            unique=True,
            postgresql_where=sa.text("is_current"),
            sqlite_where=sa.text("is_current"),
        ),
        sa.UniqueConstraint("lineage_id", "revision"),
        sa.CheckConstraint("status IN ('scanned','in_review','verified','rejected')", name="status"),
        sa.CheckConstraint("scan_status IN ('clean','not_scanned')", name="scan_status"),
    )

    #: chosen by the service before the insert (never None)
    id: uuid.UUID = Field(sa_type=sa.Uuid, primary_key=True)
    lineage_id: uuid.UUID = Field(sa_type=sa.Uuid, index=True)
    revision: int
    is_current: bool
    supersedes_id: uuid.UUID | None = Field(default=None, sa_type=sa.Uuid)

    satker: str = Field(max_length=32)
    kind: str = Field(max_length=16)
    number: str = Field(max_length=128)
    issuer: str = Field(max_length=64)
    document_date: date
    year: int
    indicator: str = Field(max_length=32)
    period: str = Field(max_length=4)
    title: str | None = Field(default=None, max_length=500)
    fields: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    parent_lineage_id: uuid.UUID | None = Field(default=None, sa_type=sa.Uuid, index=True)

    sha256: str = Field(max_length=64, unique=True)
    size: int = Field(sa_type=sa.BigInteger)
    media_type: str = Field(max_length=127)
    declared_type: str | None = Field(default=None, max_length=127)
    filename: str = Field(max_length=255)
    #: ``staging/<upload id>`` until promoted, then ``sha256/<aa>/<sha256>`` (ADR 0005).
    storage_key: str = Field(max_length=255)
    scan_status: str = Field(max_length=16)  # clean | not_scanned
    scanner: str = Field(max_length=64)

    status: str = Field(max_length=16)
    uploaded_by: str = Field(max_length=SUBJECT_LENGTH)
    uploaded_at: datetime = Field(sa_type=TS)
    submitted_at: datetime | None = Field(default=None, sa_type=TS)
    reviewed_by: str | None = Field(default=None, max_length=SUBJECT_LENGTH)
    reviewed_at: datetime | None = Field(default=None, sa_type=TS)
    review_reason: str | None = Field(default=None, sa_type=sa.Text)


class AuditEvent(EvidenceTable, table=True):
    """Who did what to which document, when, from where. Never updated, never deleted."""

    __tablename__ = "audit_events"

    #: assigned by the database at the insert (``kernel.columns.id_column``): an event is only
    #: ever read (answered, packed) after its flush, so no reader meets the unsaved ``None``.
    id: int = id_column(big=True)
    at: datetime = Field(sa_type=TS)
    action: str = Field(max_length=32)
    actor: str = Field(max_length=SUBJECT_LENGTH)
    actor_role: str = Field(max_length=32)
    actor_satker: str | None = Field(default=None, max_length=32)
    satker: str | None = Field(default=None, max_length=32)
    document_id: uuid.UUID | None = Field(default=None, sa_type=sa.Uuid, index=True)
    sha256: str | None = Field(default=None, max_length=64)
    client_ip: str | None = Field(default=None, max_length=64)
    user_agent: str | None = Field(default=None, max_length=255)
    request_id: str | None = Field(default=None, max_length=128)
    detail: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
