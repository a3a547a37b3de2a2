"""Notifications (issue 11, ADR 0021): webhook subscribers, e-mail recipients, and the dispatcher
that turns outbox events into deliveries and sends the due ones.

Two steps, each its own transaction, both safe to run in several workers at once:

* :func:`enqueue` locks the dispatcher's cursor row, reads the outbox after it, writes one
  ``delivery`` row per event and matching target (key ``webhook:<subscriber>:<event>`` /
  ``email:<event>:<address>``, unique) and moves the cursor, all in one commit: an event is
  queued exactly once, and never for a change that rolled back (the outbox holds only committed
  changes).
* :func:`deliver_due` takes the pending rows whose ``next_attempt_at`` has come
  (``FOR UPDATE SKIP LOCKED``), sends each once and records the outcome in the same transaction
  as the row lock. A failure sets the next attempt ``retry_base * 2**(attempts-1)`` later
  (stored, so it survives a restart); after ``max_attempts`` the row is ``failed``.

At-least-once, with the event id as the idempotency key: a crash after a receiver accepted a
POST but before the commit leaves the row pending, and the next run sends it again with the
same ``X-Kinerja-Event-Id``; a receiver that keeps the ids it has seen applies it once.
"""

from __future__ import annotations

import ipaddress
import json
import secrets
import socket
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import anyio
import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from kernel.errors import NotFound, Unprocessable
from services.registry.adapters import smtp, webhook
from services.registry.service.cycle_events import EVENT_TYPES, event_json
from services.registry.store.cycle_models import OutboxEvent
from services.registry.store.notify_models import Delivery, NotifyRecipient, WebhookSubscriber
from services.registry.store.notify_repository import NotifyRepository

CURSOR = "outbox"
#: outbox events that also go to the satker's responsible operator by e-mail
EMAIL_EVENTS = ("cycle.returned", "cycle.validated")


@dataclass(frozen=True)
class DeliveryPolicy:
    retry_base_seconds: float = 30.0
    max_attempts: int = 8
    batch: int = 100


def body_of(data: dict[str, Any]) -> str:
    """The exact JSON text that is signed and sent (stable key order)."""
    return json.dumps(data, sort_keys=True, ensure_ascii=False, default=str, separators=(",", ":"))


# --- subscribers


def _blocked(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    return (
        address.is_loopback
        or address.is_link_local
        or address.is_private
        or address.is_unspecified
        or address.is_multicast
        or address.is_reserved
    )


async def check_url(url: str, *, block_private: bool) -> None:
    """Refuse a URL that is not http(s), and with ``block_private`` one whose host is (or resolves
    to) a loopback, link-local or private address: a registered webhook must not make the server
    call its own admin ports or the cloud metadata address."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise Unprocessable("the webhook URL must be http:// or https:// with a host", field="url")
    if not block_private:
        return
    host = parts.hostname
    try:
        addresses = [ipaddress.ip_address(host)]
    except ValueError:
        try:
            infos = await anyio.to_thread.run_sync(lambda: socket.getaddrinfo(host, parts.port or 443))
        except OSError as e:
            raise Unprocessable(f"the webhook host {host} does not resolve", field="url") from e
        addresses = [ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in infos]
    for address in addresses:
        if _blocked(address):
            raise Unprocessable(
                f"the webhook URL points at a loopback, link-local or private address ({address})", field="url"
            )


async def create_subscriber(
    *,
    session: AsyncSession,
    name: str,
    url: str,
    event_types: Sequence[str],
    secret: str | None,
    block_private: bool,
    actor: str,
    now: datetime,
) -> tuple[WebhookSubscriber, str]:
    """Register a subscriber; returns it with its secret (generated when none was supplied)."""
    await check_url(url, block_private=block_private)
    unknown = [t for t in event_types if t not in EVENT_TYPES]
    if unknown:
        raise Unprocessable(f"unknown event type {unknown[0]}", field="event_types")
    key = secret or secrets.token_urlsafe(32)
    row = WebhookSubscriber(
        name=name, url=url, event_types=list(event_types), secret=key, created_at=now, created_by=actor
    )
    await NotifyRepository(session).add(row)
    return row, key


async def subscribers(session: AsyncSession) -> Sequence[WebhookSubscriber]:
    return await NotifyRepository(session).subscribers()


async def deactivate_subscriber(*, session: AsyncSession, subscriber_id: int) -> WebhookSubscriber:
    repo = NotifyRepository(session)
    row = await repo.subscriber(subscriber_id)
    if row is None:
        raise NotFound(f"no subscriber {subscriber_id}")
    row.active = False
    await repo.add(row)
    return row


# --- e-mail recipients


async def put_recipient(
    *, session: AsyncSession, satker: str, email: str, actor: str, now: datetime
) -> NotifyRecipient:
    repo = NotifyRepository(session)
    if await repo.satker(satker) is None:
        raise NotFound(f"no satker {satker}")
    row = await repo.recipient(satker)
    if row is None:
        row = NotifyRecipient(satker_code=satker, email=email, updated_at=now, updated_by=actor)
    else:
        row.email, row.updated_at, row.updated_by = email, now, actor
    await repo.add(row)
    return row


async def recipient_of(session: AsyncSession, satker: str | None) -> str | None:
    if satker is None:
        return None
    row = await NotifyRepository(session).recipient(satker)
    return row.email if row else None


# --- e-mail texts (Indonesian: the operator reads them)


def email_of_event(e: OutboxEvent) -> tuple[str, str]:
    period = e.subject
    if e.type == "cycle.returned":
        reasons = e.payload.get("reasons") or {}
        lines = "\n".join(f"- {iku}: {why}" for iku, why in sorted(reasons.items()))
        return (
            f"[kinerja] Laporan {period} dikembalikan",
            f"Laporan kinerja {period} dikembalikan oleh peninjau untuk diperbaiki.\n"
            + (f"\nAlasan per IKU:\n{lines}\n" if lines else "")
            + "\nSilakan perbaiki dan kirim ulang sebelum batas waktu.\n",
        )
    return (
        f"[kinerja] Laporan {period} divalidasi",
        f"Laporan kinerja {period} telah divalidasi oleh peninjau Kanwil.\n",
    )


# --- the dispatcher


def _event_delivery(
    e: OutboxEvent, key: str, channel: str, target: str, body: str, now: datetime, **extra: Any
) -> Delivery:
    return Delivery(
        key=key, channel=channel, kind=e.type, event_id=e.id, target=target, body=body,
        next_attempt_at=now, created_at=now, **extra,
    )  # fmt: skip


async def enqueue(session: AsyncSession, *, now: datetime, limit: int = 500) -> int:
    """Queue deliveries for the outbox events after the cursor; returns how many were queued."""
    repo = NotifyRepository(session)
    cursor = await repo.locked_cursor(CURSOR)
    events = await repo.events_after(cursor.after, limit)
    if not events:
        return 0
    subs = [s for s in await repo.subscribers() if s.active]
    queued = 0
    for e in events:
        body = body_of(event_json(e))
        for s in subs:
            if s.event_types and e.type not in s.event_types:
                continue
            session.add(_event_delivery(e, f"webhook:{s.id}:{e.id}", "webhook", s.url, body, now, subscriber_id=s.id))
            queued += 1
        address = await recipient_of(session, e.satker_code) if e.type in EMAIL_EVENTS else None
        if address:
            subject, text = email_of_event(e)
            session.add(_event_delivery(e, f"email:{e.id}:{address}", "email", address, text, now, subject=subject))
            queued += 1
    cursor.after = events[-1].id or cursor.after
    await repo.add(cursor)
    return queued


async def queue_message(
    session: AsyncSession, *, key: str, kind: str, to: str, subject: str, text: str, now: datetime
) -> bool:
    """Queue one e-mail under a unique key (reminders, digests); False when that key exists."""
    delivery = Delivery(
        key=key, channel="email", kind=kind, target=to, subject=subject, body=text, next_attempt_at=now, created_at=now
    )
    return await NotifyRepository(session).add_once(delivery)


@dataclass
class Senders:
    http: httpx.AsyncClient
    smtp: smtp.SmtpConfig | None


async def deliver_due(session: AsyncSession, senders: Senders, *, now: datetime, policy: DeliveryPolicy) -> int:
    """Send the due pending deliveries once each and record the outcome; returns how many were tried.

    The caller commits; rows are locked with SKIP LOCKED so parallel workers share the work."""
    repo = NotifyRepository(session)
    rows = await repo.due(now, policy.batch)
    for d in rows:
        if d.channel == "webhook":
            sub = await repo.subscriber(d.subscriber_id)
            if sub is None or not sub.active:
                d.status, d.error = "failed", "the subscriber is inactive"
                continue
            out = await webhook.post(
                senders.http,
                url=d.target,
                secret=sub.secret,
                body=d.body,
                event_key=str(d.event_id),
                delivery_id=d.id,
            )
            ok, code, error = out.ok, out.status_code, out.error
        else:
            if senders.smtp is None:
                ok, code, error = False, None, "no SMTP server configured (KINERJA_REGISTRY_SMTP_HOST)"
            else:
                error = await smtp.send(senders.smtp, to=d.target, subject=d.subject or "", text=d.body)
                ok, code = error is None, None
        d.attempts += 1
        d.last_attempt_at = now
        d.response_code = code
        d.error = error
        if ok:
            d.status, d.delivered_at = "delivered", now
        elif d.attempts >= policy.max_attempts:
            d.status = "failed"
        else:
            d.next_attempt_at = now + timedelta(seconds=policy.retry_base_seconds * 2 ** (d.attempts - 1))
    await repo.add(*rows)
    return len(rows)


async def deliveries(session: AsyncSession, *, after: int, limit: int, status: str | None) -> Sequence[Delivery]:
    return await NotifyRepository(session).deliveries(after, limit, status)
