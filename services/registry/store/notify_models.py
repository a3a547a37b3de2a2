"""Tables of the notifications (issue 11, ADR 0021): webhook subscribers, e-mail recipients per
satker, the delivery log (one row per event × target, its attempts and next attempt) and the
dispatcher's cursor into the outbox.

A delivery row is the unit of work *and* its log: ``status`` ``pending`` → ``delivered`` or
``failed`` (after the last attempt); ``next_attempt_at`` is stored so a retry survives a restart
of the worker. ``key`` is unique: an event is queued once per target and a reminder once per
satker, period, deadline and step.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field

from kernel.columns import id_column
from services.registry.store.models import SUBJECT_LENGTH, TS, RegistryTable


class WebhookSubscriber(RegistryTable, table=True):
    """An internal app that receives events as signed POSTs (admin-registered)."""

    __tablename__ = "webhook_subscriber"

    id: int = id_column()
    name: str = Field(max_length=128)
    url: str = Field(max_length=2048)
    event_types: list[str] = Field(sa_type=sa.JSON)  # empty: every type
    secret: str = Field(max_length=256)  # the HMAC key; shown once when generated
    active: bool = True
    created_at: datetime = Field(sa_type=TS)
    created_by: str = Field(max_length=SUBJECT_LENGTH)


class NotifyRecipient(RegistryTable, table=True):
    """The e-mail address of a satker's responsible operator (reminders, returned / validated)."""

    __tablename__ = "notify_recipient"

    satker_code: str = Field(primary_key=True, foreign_key="satker.code", max_length=32)
    email: str = Field(max_length=320)
    updated_at: datetime = Field(sa_type=TS)
    updated_by: str = Field(max_length=SUBJECT_LENGTH)


class Delivery(RegistryTable, table=True):
    """One message to one target (a subscriber's URL or an address), with its attempts."""

    __tablename__ = "delivery"
    __table_args__ = (
        sa.CheckConstraint("status IN ('pending','delivered','failed')", name="status"),
        sa.CheckConstraint("channel IN ('webhook','email')", name="channel"),
        sa.Index(None, "status", "next_attempt_at"),
    )

    id: int = id_column(big=True)
    key: str = Field(max_length=255, unique=True)
    channel: str = Field(max_length=16)
    kind: str = Field(max_length=64)  # the event type, or reminder.* / digest.*
    event_id: int | None = Field(default=None, sa_type=sa.BigInteger)  # the outbox event announced, if any
    subscriber_id: int | None = Field(default=None, foreign_key="webhook_subscriber.id")
    target: str = Field(max_length=2048)  # URL or e-mail address
    subject: str | None = Field(default=None, max_length=255)  # e-mail subject
    body: str = Field(sa_type=sa.Text)  # the exact bytes signed and sent (UTF-8)
    status: str = Field(default="pending", max_length=16)
    attempts: int = 0
    next_attempt_at: datetime = Field(sa_type=TS)
    last_attempt_at: datetime | None = Field(default=None, sa_type=TS)
    response_code: int | None = None
    error: str | None = Field(default=None, sa_type=sa.Text)
    created_at: datetime = Field(sa_type=TS)
    delivered_at: datetime | None = Field(default=None, sa_type=TS)


class DispatchCursor(RegistryTable, table=True):
    """The last outbox event id the dispatcher has queued deliveries for."""

    __tablename__ = "dispatch_cursor"

    name: str = Field(primary_key=True, max_length=32)
    after: int = Field(default=0, sa_type=sa.BigInteger)
