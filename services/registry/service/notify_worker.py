"""The notification worker's loop (ADR 0021): every ``worker_interval_seconds`` it queues the new
outbox events, queues the due reminders and sends the due deliveries, each step in its own
transaction. The schedule is the database itself (``delivery.next_attempt_at``, the cursor,
unique reminder keys), so a restarted or second worker picks up where the last one stopped.

``clock`` is passed in: the tests drive the loop with a fake clock.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

import anyio
import httpx

from kernel.db import Database
from services.registry.adapters.smtp import SmtpConfig
from services.registry.service import notify, notify_reminders
from services.registry.settings import RegistrySettings

log = logging.getLogger("kinerja.registry.notify")


def utcnow() -> datetime:
    return datetime.now(UTC)


def smtp_config(settings: RegistrySettings) -> SmtpConfig | None:
    if not settings.smtp_host:
        return None
    return SmtpConfig(
        host=settings.smtp_host,
        port=settings.smtp_port,
        sender=settings.smtp_from,
        tls=settings.smtp_tls,
        username=settings.smtp_username,
        password=settings.smtp_password,
    )


@dataclass(frozen=True)
class Tick:
    queued: int
    reminders: int
    tried: int


async def run_once(db: Database, settings: RegistrySettings, http: httpx.AsyncClient, *, now: datetime) -> Tick:
    async with db.sessions() as session:
        queued = await notify.enqueue(session, now=now)
        await session.commit()
    async with db.sessions() as session:
        reminders = await notify_reminders.queue_due(session, now=now)
        await session.commit()
    policy = notify.DeliveryPolicy(
        retry_base_seconds=settings.delivery_retry_base_seconds, max_attempts=settings.delivery_max_attempts
    )
    async with db.sessions() as session:
        tried = await notify.deliver_due(
            session, notify.Senders(http=http, smtp=smtp_config(settings)), now=now, policy=policy
        )
        await session.commit()
    return Tick(queued=queued, reminders=reminders, tried=tried)


def http_client(settings: RegistrySettings) -> httpx.AsyncClient:
    """The webhook client: no redirects (a 3xx is not delivered), a bounded timeout."""
    return httpx.AsyncClient(timeout=settings.webhook_timeout_seconds, follow_redirects=False)


async def run_forever(db: Database, settings: RegistrySettings, *, clock: Callable[[], datetime] = utcnow) -> None:
    """Run :func:`run_once` until cancelled. A failing tick (database away, a bug) is logged with
    its traceback and the next one runs; the heartbeat file is touched only after a good tick, so
    a worker that keeps failing is restarted by its liveness probe."""
    async with http_client(settings) as http:
        while True:
            try:
                tick = await run_once(db, settings, http, now=clock())
                if settings.worker_heartbeat_file is not None:
                    await anyio.Path(settings.worker_heartbeat_file).touch()
                if tick.queued or tick.reminders or tick.tried:
                    log.info(
                        "notifications: queued %d, reminders %d, tried %d", tick.queued, tick.reminders, tick.tried
                    )
            except Exception:
                log.exception("notification tick failed; retrying in %ss", settings.worker_interval_seconds)
            await anyio.sleep(settings.worker_interval_seconds)
