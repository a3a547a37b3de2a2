"""Notifications (issue 11, ADR 0021): webhook subscribers, e-mail recipients per satker and the
delivery log. Admin only (MANAGE on the whole tree): subscribers receive every satker's events."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query, Request, status
from pydantic import BaseModel, Field

from kernel.auth import Action, PrincipalDep, ensure_allowed
from kernel.db import ReadSessionDep, SessionDep
from kernel.params import CodePath
from kernel.types import InputModel
from services.registry.api.deps import utcnow
from services.registry.service import notify
from services.registry.service.rows import Delivery, NotifyRecipient, WebhookSubscriber
from services.registry.settings import RegistrySettings

router = APIRouter(tags=["notifications"])


class SubscriberIn(InputModel):
    name: Annotated[str, Field(min_length=1, max_length=128)]
    url: Annotated[str, Field(min_length=1, max_length=2048, description="http:// or https:// receiver")]
    event_types: list[Annotated[str, Field(max_length=64)]] = Field(
        default_factory=list, max_length=32, description="event types delivered (empty: all)"
    )
    secret: Annotated[str, Field(min_length=16, max_length=256)] | None = Field(
        default=None, description="the HMAC key; generated (and shown once) when omitted"
    )


class SubscriberOut(BaseModel):
    id: int
    name: str
    url: str
    event_types: list[str]
    active: bool
    created_at: datetime
    created_by: str


class SubscriberCreated(SubscriberOut):
    secret: str = Field(description="shown only in this answer")


class SubscriberList(BaseModel):
    items: list[SubscriberOut]


class RecipientIn(InputModel):
    email: Annotated[str, Field(max_length=320, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")]


class RecipientOut(BaseModel):
    satker: str
    email: str
    updated_at: datetime
    updated_by: str


class DeliveryOut(BaseModel):
    id: int
    channel: Literal["webhook", "email"]
    kind: str
    event_id: int | None
    subscriber_id: int | None
    target: str
    status: Literal["pending", "delivered", "failed"]
    attempts: int
    next_attempt_at: datetime
    last_attempt_at: datetime | None
    response_code: int | None
    error: str | None
    created_at: datetime
    delivered_at: datetime | None


class DeliveryPage(BaseModel):
    items: list[DeliveryOut]
    next_after: int = Field(description="pass as after= for the next page")
    limit: int


def _sub(s: WebhookSubscriber) -> SubscriberOut:
    return SubscriberOut(
        id=s.id,
        name=s.name,
        url=s.url,
        event_types=s.event_types,
        active=s.active,
        created_at=s.created_at,
        created_by=s.created_by,
    )


def _delivery(d: Delivery) -> DeliveryOut:
    return DeliveryOut.model_validate(d, from_attributes=True)


def _recipient(r: NotifyRecipient) -> RecipientOut:
    return RecipientOut(satker=r.satker_code, email=r.email, updated_at=r.updated_at, updated_by=r.updated_by)


@router.post(
    "/notifications/subscribers",
    status_code=status.HTTP_201_CREATED,
    summary="Register a webhook subscriber (admin); the secret is shown once",
    description=(
        "Register a URL that receives the events (`event_types`, empty: all) as HMAC-signed webhooks, "
        "retried with every attempt logged. Without `secret` one is generated and shown once in the "
        "answer: store it."
    ),
)
async def create_subscriber(
    request: Request, body: SubscriberIn, session: SessionDep, principal: PrincipalDep
) -> SubscriberCreated:
    ensure_allowed(principal, Action.MANAGE, [])
    settings: RegistrySettings = request.app.state.settings
    row, secret = await notify.create_subscriber(
        session=session,
        name=body.name,
        url=body.url,
        event_types=body.event_types,
        secret=body.secret,
        block_private=settings.webhook_block_private,
        actor=principal.subject,
        now=utcnow(),
    )
    return SubscriberCreated(**_sub(row).model_dump(), secret=secret)


@router.get(
    "/notifications/subscribers",
    summary="The webhook subscribers (admin; secrets are not shown)",
    description=(
        "The registered webhook subscribers with the events they receive and whether they are active; "
        "their signing secrets are never shown again."
    ),
)
async def list_subscribers(session: ReadSessionDep, principal: PrincipalDep) -> SubscriberList:
    ensure_allowed(principal, Action.MANAGE, [])
    return SubscriberList(items=[_sub(s) for s in await notify.subscribers(session)])


@router.delete(
    "/notifications/subscribers/{subscriber_id}",
    summary="Deactivate a webhook subscriber (admin): nothing more is queued or sent to it; its log stays",
    description=(
        "Stop a subscriber: nothing more is queued for it and queued messages are not sent. Its delivery log is kept."
    ),
)
async def deactivate_subscriber(
    subscriber_id: Annotated[int, Path(ge=1, le=2**31 - 1)], session: SessionDep, principal: PrincipalDep
) -> SubscriberOut:
    ensure_allowed(principal, Action.MANAGE, [])
    return _sub(await notify.deactivate_subscriber(session=session, subscriber_id=subscriber_id))


@router.put(
    "/notifications/recipients/{code}",
    summary="Set the e-mail address of the satker's responsible operator (admin)",
    description="Set (or replace) the e-mail address that receives the notices of the satker `code`.",
)
async def put_recipient(
    code: CodePath, body: RecipientIn, session: SessionDep, principal: PrincipalDep
) -> RecipientOut:
    ensure_allowed(principal, Action.MANAGE, [])
    row = await notify.put_recipient(
        session=session, satker=code, email=body.email, actor=principal.subject, now=utcnow()
    )
    return _recipient(row)


@router.get(
    "/deliveries",
    summary="The delivery log (admin): every message, its attempts and outcome",
    description=(
        "Every notification message (webhook or e-mail) with its attempts and outcome, in id order after "
        "the cursor `after` (at most `limit`); for the admin who chases a notice that did not arrive."
    ),
)
async def list_deliveries(
    session: ReadSessionDep,
    principal: PrincipalDep,
    after: Annotated[int, Query(ge=0, le=2**63 - 1, description="the last delivery id seen")] = 0,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    status: Literal["pending", "delivered", "failed"] | None = None,
) -> DeliveryPage:
    ensure_allowed(principal, Action.MANAGE, [])
    rows = await notify.deliveries(session, after=after, limit=limit, status=status)
    return DeliveryPage(
        items=[_delivery(d) for d in rows], next_after=rows[-1].id or after if rows else after, limit=limit
    )
