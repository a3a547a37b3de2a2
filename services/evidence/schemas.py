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
# The evidence facts scoring reads, field for field as built by ``service.aggregates``; the lead
# points these at the shared ``contracts/evidence.py`` model when it lands.


class WindowOut(BaseModel):
    """The period's first and last day (ISO dates), inclusive."""

    model_config = ConfigDict(populate_by_name=True, serialize_by_alias=True)

    from_: str = Field(alias="from", examples=["2024-04-01"])
    to: str = Field(examples=["2024-06-30"])


class OutcomesOut(BaseModel):
    """How many of each outcome an LPT led to (through its SBPs)."""

    ba_tegah_special: int
    ba_tegah: int
    ba_segel: int
    sbp: int


class LptItemOut(BaseModel):
    document_id: str
    number: str
    date: str
    activity: str
    outcomes: OutcomesOut
    best_outcome: str = Field(description="the highest outcome in `outcomes` with a count, or `none`")


class LptFactsOut(BaseModel):
    count: int
    by_activity: dict[str, int]
    by_best_outcome: dict[str, dict[str, int]] = Field(description="activity → best outcome → count of LPT")
    items: list[LptItemOut]


class FollowUpOut(BaseModel):
    """A follow-up of a seizure: a document's ``follow_up_type``, or the implied late seizure
    (``seizure_after_dec_15``, no document)."""

    type: str
    document_id: str | None
    kind: str | None
    number: str | None


class BaTegahItemOut(BaseModel):
    document_id: str
    number: str
    date: str
    special_criteria: bool
    lpt_id: str | None = Field(description="the LPT it came from (through an SBP), if that LPT is in the window")
    follow_ups: list[FollowUpOut]


class BaTegahFactsOut(BaseModel):
    count: int
    items: list[BaTegahItemOut]


class SeaPatrolItemOut(BaseModel):
    document_id: str
    number: str
    date: str
    ship_class: str
    patrol_days: int
    inspections: int
    seizures: int
    targeted_seizures: int
    sealings: int
    sealings_with_findings: int


class SeaPatrolFactsOut(BaseModel):
    count: int
    items: list[SeaPatrolItemOut]


class IndicatorFactsOut(BaseModel):
    """The facts of one IKU of a satker in a period (contracts §8): counts and outcomes over its
    verified current documents; no score."""

    satker: str
    indicator: str
    year: int
    period: str
    window: WindowOut
    as_of: str | None = Field(description="the moment the facts hold at (ISO 8601)")
    basis: Literal["verified"]
    documents: dict[str, int] = Field(description="kind → number of documents counted")
    lpt: LptFactsOut
    ba_tegah: BaTegahFactsOut
    sea_patrols: SeaPatrolFactsOut


class ManyIndicatorFactsOut(BaseModel):
    """The facts of several IKU of one satker, by code; each exactly the one-IKU answer."""

    satker: str
    year: int
    period: str
    window: WindowOut
    as_of: str = Field(description="the moment the facts hold at (ISO 8601)")
    basis: Literal["verified"]
    indicators: dict[str, IndicatorFactsOut]


class SweepReport(BaseModel):
    spool_removed: int = 0
    staging_removed: int = 0
    promoted: int = 0
