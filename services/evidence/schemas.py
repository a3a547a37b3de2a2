"""Wire shapes of the evidence API (separate from the tables)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SerializerFunctionWrapHandler, model_serializer

from kernel.types import InputModel
from services.evidence.service.kinds import KINDS, PERIODS


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

    code: str = Field(description="the kind's code, as in the metadata's `kind`", examples=["LPT"])
    name: str = Field(description="its Indonesian name", examples=["Laporan Pelaksanaan Tugas"])
    number_prefixes: list[str] = Field(description="what its number may start with (KIND-SEQ/ORG/YEAR)")
    media_types: list[str] = Field(description="file types accepted for it (sniffed, never the client's word)")
    parents: list[str] = Field(description="kinds it may follow from (`parent_id`)")
    fields: KindFieldsSchema | None = Field(description="JSON Schema of the kind's `fields`, or null when it has none")


class KindFieldsSchema(BaseModel):
    """The JSON Schema (draft 2020-12, as pydantic writes it) of a kind's ``fields`` object.

    Its ``properties`` are the kind's own, hence an open map of JSON Schemas; the frame is fixed.
    """

    model_config = ConfigDict(populate_by_name=True, serialize_by_alias=True)

    title: str
    type: Literal["object"]
    description: str | None = None
    properties: dict[str, dict[str, Any]] = Field(description="one JSON Schema per field")
    required: list[str] | None = None
    additional_properties: bool = Field(alias="additionalProperties")

    @model_serializer(mode="wrap")
    def _without_absent(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        # a schema without a description or required fields has no such key (not null)
        return {k: v for k, v in handler(self).items() if v is not None}


# --- aggregates (contracts §8) ----------------------------------------------------------------
# The evidence facts scoring reads are a contract (ADR 0016): ``contracts/evidence.py`` defines
# them once, the route answers with ``contracts.evidence.Facts`` and scoring reads with it.


class SweepReport(BaseModel):
    spool_removed: int = 0
    staging_removed: int = 0
    promoted: int = 0
