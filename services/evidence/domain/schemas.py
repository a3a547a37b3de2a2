"""Wire shapes of the evidence API (separate from the tables)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from kernel.types import InputModel
from services.evidence.domain.kinds import KINDS, PERIODS


class DocumentMetadata(InputModel):
    """What the uploader states about the file (JSON in the ``X-Evidence-Metadata`` header).

    An :class:`~kernel.types.InputModel`: unknown keys and NUL in any text are refused.
    """

    kind: str = Field(description=f"one of: {', '.join(KINDS)}")
    number: str = Field(min_length=3, max_length=128, description="KIND-SEQ/ORG/YEAR, e.g. ND-273/WBC.16/2024")
    document_date: date
    issuer: str | None = Field(default=None, max_length=64, description="issuing satker code; default: the satker")
    indicator: str = Field(min_length=1, max_length=32, description="the IKU it proves, e.g. 3a-CP")
    period: str = Field(description=f"the period it proves: {', '.join(PERIODS)}")
    title: str | None = Field(default=None, max_length=500)
    filename: str | None = Field(default=None, max_length=255)
    parent_id: uuid.UUID | None = Field(default=None, description="the document this one follows from (any revision)")
    fields: dict[str, Any] = Field(default_factory=dict, description="kind-specific fields")


class DocumentOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    lineage_id: uuid.UUID
    revision: int
    is_current: bool
    supersedes_id: uuid.UUID | None
    satker: str
    kind: str
    number: str
    issuer: str
    document_date: date
    year: int
    indicator: str
    period: str
    title: str | None
    fields: dict[str, Any]
    parent_lineage_id: uuid.UUID | None
    sha256: str
    size: int
    media_type: str
    filename: str
    scan_status: str
    scanner: str
    status: str
    uploaded_by: str
    uploaded_at: datetime
    submitted_at: datetime | None
    reviewed_by: str | None
    reviewed_at: datetime | None
    review_reason: str | None


class ReviewIn(InputModel):
    decision: Literal["verify", "reject"]
    reason: str | None = Field(default=None, max_length=2000, description="required when rejecting")


class AuditEventOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    at: datetime
    action: str
    actor: str
    actor_role: str
    actor_satker: str | None
    satker: str | None
    document_id: uuid.UUID | None
    sha256: str | None
    client_ip: str | None
    user_agent: str | None
    request_id: str | None
    detail: dict[str, Any]


class DocumentKindOut(BaseModel):
    """One document kind the service accepts (``GET /evidence/kinds``)."""

    code: str
    name: str
    number_prefixes: list[str]
    media_types: list[str]
    parents: list[str]
    fields: dict[str, Any] | None = Field(description="JSON Schema of the kind's `fields`, or null when it has none")


class SweepReport(BaseModel):
    spool_removed: int = 0
    staging_removed: int = 0
    promoted: int = 0
