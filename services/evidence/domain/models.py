"""Tables of the evidence service (schema ``evidence``).

A *document* row is one immutable revision: its bytes (by sha256), metadata and links never
change; only its review state does. A correction is a new row in the same ``lineage_id`` with
``revision + 1``; the previous row loses ``is_current``. Links point at a parent *lineage*, so a
corrected LPT keeps its SBPs. ``audit_events`` is append-only (a trigger refuses UPDATE and
DELETE on PostgreSQL).
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from kernel.columns import UTCDateTime

JSON = sa.JSON().with_variant(JSONB(), "postgresql")


metadata = sa.MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)


#: columns holding a token's ``sub``: room for a real OIDC subject (kernel.auth refuses longer
#: ones at verification; evidence migration 0002)
SUBJECT_LENGTH = 255


class Base(DeclarativeBase):
    metadata = metadata


class DocumentStatus:
    SCANNED = "scanned"
    IN_REVIEW = "in_review"
    VERIFIED = "verified"
    REJECTED = "rejected"


class Document(Base):
    __tablename__ = "documents"

    id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, primary_key=True)
    lineage_id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, index=True)
    revision: Mapped[int] = mapped_column(sa.Integer)
    is_current: Mapped[bool] = mapped_column(sa.Boolean)
    supersedes_id: Mapped[uuid.UUID | None] = mapped_column(sa.Uuid, nullable=True)

    satker: Mapped[str] = mapped_column(sa.String(32))
    kind: Mapped[str] = mapped_column(sa.String(16))
    number: Mapped[str] = mapped_column(sa.String(128))
    issuer: Mapped[str] = mapped_column(sa.String(64))
    document_date: Mapped[date] = mapped_column(sa.Date)
    year: Mapped[int] = mapped_column(sa.Integer)
    indicator: Mapped[str] = mapped_column(sa.String(32))
    period: Mapped[str] = mapped_column(sa.String(4))
    title: Mapped[str | None] = mapped_column(sa.String(500), nullable=True)
    fields: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    parent_lineage_id: Mapped[uuid.UUID | None] = mapped_column(sa.Uuid, nullable=True, index=True)

    sha256: Mapped[str] = mapped_column(sa.String(64), unique=True)
    size: Mapped[int] = mapped_column(sa.BigInteger)
    media_type: Mapped[str] = mapped_column(sa.String(127))
    declared_type: Mapped[str | None] = mapped_column(sa.String(127), nullable=True)
    filename: Mapped[str] = mapped_column(sa.String(255))
    #: ``staging/<upload id>`` until promoted, then ``sha256/<aa>/<sha256>`` (ADR 0005).
    storage_key: Mapped[str] = mapped_column(sa.String(255))
    scan_status: Mapped[str] = mapped_column(sa.String(16))  # clean | not_scanned
    scanner: Mapped[str] = mapped_column(sa.String(64))

    status: Mapped[str] = mapped_column(sa.String(16))
    uploaded_by: Mapped[str] = mapped_column(sa.String(SUBJECT_LENGTH))
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime())
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    reviewed_by: Mapped[str | None] = mapped_column(sa.String(SUBJECT_LENGTH), nullable=True)
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    review_reason: Mapped[str | None] = mapped_column(sa.Text, nullable=True)

    __table_args__ = (
        sa.Index("ix_documents_scope", "satker", "indicator", "year"),
        # the gaming guard "same (kind, number, issuer) twice in a satker" holds among current
        # revisions; per satker, because a received letter may prove several offices' work (ADR 0012)
        sa.Index(
            "uq_documents_current_number",
            "satker",
            "kind",
            "number",
            "issuer",
            unique=True,
            postgresql_where=sa.text("is_current"),
            sqlite_where=sa.text("is_current"),
        ),
        sa.UniqueConstraint("lineage_id", "revision", name="uq_documents_lineage_revision"),
        sa.CheckConstraint("status IN ('scanned','in_review','verified','rejected')", name="status"),
        sa.CheckConstraint("scan_status IN ('clean','not_scanned')", name="scan_status"),
    )


class AuditEvent(Base):
    """Who did what to which document, when, from where. Never updated, never deleted."""

    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(
        sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    action: Mapped[str] = mapped_column(sa.String(32))
    actor: Mapped[str] = mapped_column(sa.String(SUBJECT_LENGTH))
    actor_role: Mapped[str] = mapped_column(sa.String(32))
    actor_satker: Mapped[str | None] = mapped_column(sa.String(32), nullable=True)
    satker: Mapped[str | None] = mapped_column(sa.String(32), nullable=True)
    document_id: Mapped[uuid.UUID | None] = mapped_column(sa.Uuid, nullable=True, index=True)
    sha256: Mapped[str | None] = mapped_column(sa.String(64), nullable=True)
    client_ip: Mapped[str | None] = mapped_column(sa.String(64), nullable=True)
    user_agent: Mapped[str | None] = mapped_column(sa.String(255), nullable=True)
    request_id: Mapped[str | None] = mapped_column(sa.String(128), nullable=True)
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
