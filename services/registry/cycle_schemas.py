"""Wire models of the reporting cycle's answers (issue 11, ADR 0020 / ADR 0024).

Kept in a module of their own (like ``history_schemas``) while the registry's ``schemas`` move
(issue 10) is in flight; the lead may fold them into the registry's schemas at merge. The
service functions build plain dicts (``services.registry.service.cycle_*``); these models are the
contract FastAPI validates them against and publishes in the OpenAPI. States are English codes
with their Indonesian ``state_label`` beside them.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

Quarter = Literal["Q1", "Q2", "Q3", "Q4"]
#: a quarter's state as shown to a reader (``overdue``: not submitted after its deadline)
State = Literal["not_started", "overdue", "open", "submitted", "returned", "validated", "published"]


class CalendarOut(BaseModel):
    year: int
    level: Literal["kanwil", "kppbc"]
    owner: str | None = Field(description="null: the preset; else the Kanwil whose own dates these are")
    version: int
    document: dict[str, Any] = Field(description="periods with their dates, and where each date comes from")
    recorded_at: datetime
    recorded_by: str
    source: str | None = Field(
        default=None, description="'preset' or 'kanwil:<code>' (where the calendar in force comes from)"
    )


class CalendarList(BaseModel):
    items: list[CalendarOut]


class Deadlines(BaseModel):
    source: str
    calendar_version: int
    window_opens: datetime
    realisations_due: datetime
    evidence_due: datetime
    review_due: datetime
    validation_due: datetime
    publication_due: datetime


class RoundOut(BaseModel):
    round: int
    submitted_at: datetime
    submitted_by: str
    due: datetime | None
    on_time: bool | None = Field(description="submitted by the deadline in force then (measured)")
    decision: Literal["returned", "validated"] | None
    decided_at: datetime | None
    decided_by: str | None
    reasons: dict[str, str] | None = Field(description="IKU code → why it was returned")
    remark: str | None


class RevisionOut(BaseModel):
    revision: int
    state: str = Field(description="the revision's state, or 'superseded' after a reopen")
    opened_at: datetime
    opened_by: str
    reopen_reason: str | None
    superseded_at: datetime | None
    rounds: list[RoundOut]


class PeriodOut(BaseModel):
    satker: str
    year: int
    period: Quarter
    state: State
    state_label: str = Field(description="the state in Indonesian")
    revision: int | None
    deadlines: Deadlines | None
    revisions: list[RevisionOut]


class NoteOut(BaseModel):
    indicator: str
    period: Quarter
    events_causes: str = Field(description="kejadian / penyebab")
    solutions_actions: str = Field(description="solusi / rencana aksi")
    risks: str = Field(description="risiko")
    recorded_at: datetime
    recorded_by: str


class NoteList(BaseModel):
    items: list[NoteOut]


class PeriodDetail(PeriodOut):
    notes: list[NoteOut]


class CycleOut(BaseModel):
    satker: str
    year: int
    periods: list[PeriodOut]


class PublicationRef(BaseModel):
    publisher: str = Field(description="the Kanwil that published")
    skep_number: str
    published_at: datetime
    published_by: str


class PublishedOut(BaseModel):
    satker: str
    year: int
    period: Quarter
    publication: PublicationRef
    status: Literal["current", "superseded"]
    superseded_at: datetime | None
    nko: float | None
    predicate: str | None
    as_of: datetime = Field(description="the instant the scorecard was computed at (recompute with it)")
    inputs_sha256: str
    input_hashes: dict[str, Any]
    scorecard: dict[str, Any] = Field(description="the scorecard exactly as scoring answered it")


class PublishedList(BaseModel):
    items: list[PublishedOut]


class PublishOut(BaseModel):
    satker: str
    year: int
    period: Quarter
    skep_number: str
    published_at: datetime
    published_by: str
    supersedes: str | None = Field(description="the SKEP this publication supersedes")
    scorecards: list[PublishedOut]


class EventOut(BaseModel):
    id: int = Field(description="the cursor")
    type: str
    subject: str
    satker: str | None
    payload: dict[str, Any]
    created_at: datetime


class EventsPage(BaseModel):
    items: list[EventOut]
    next_after: int = Field(description="pass as ?after= for the next page")
    limit: int


# --- the Kanwil's view (ADR 0024)


class PublishedFigures(BaseModel):
    skep_number: str
    published_at: datetime
    nko: float | None
    predicate: str | None


class RedIndicator(BaseModel):
    indicator: str
    note: NoteOut | None = Field(description="its analysis note of the quarter (null: none recorded)")


class OverviewPeriod(BaseModel):
    period: Quarter
    state: State
    state_label: str
    revision: int | None
    realisations_due: datetime | None
    nko: float | None = Field(description="as computed now by scoring")
    nko_display: str | None
    predicate: str | None
    published: PublishedFigures | None = Field(description="as published (frozen), when published")
    red_indicators: list[RedIndicator]


class OverviewSatker(BaseModel):
    code: str
    name: str
    kind: str
    periods: list[OverviewPeriod]


class OverviewOut(BaseModel):
    satker: str
    year: int
    satkers: list[OverviewSatker]
