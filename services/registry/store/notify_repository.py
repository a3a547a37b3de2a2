"""All SQL of the notifications (ADR 0021): subscribers, recipients, the cursor and deliveries."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from services.registry.store.cycle_models import CycleSubmission, OutboxEvent
from services.registry.store.models import Agreement, Satker
from services.registry.store.notify_models import Delivery, DispatchCursor, NotifyRecipient, WebhookSubscriber


class NotifyRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, *rows: object) -> None:
        self.session.add_all(rows)
        await self.session.flush()

    async def locked_cursor(self, name: str) -> DispatchCursor:
        """The cursor row, locked for this transaction (created at first use)."""
        stmt = select(DispatchCursor).where(DispatchCursor.name == name).with_for_update()
        row = (await self.session.execute(stmt)).scalar_one_or_none()
        if row is None:
            try:
                async with self.session.begin_nested():
                    self.session.add(DispatchCursor(name=name, after=0))
                    await self.session.flush()
            except sa.exc.IntegrityError:
                pass  # another worker created it first: lock that one
            row = (await self.session.execute(stmt)).scalar_one()
        return row

    async def events_after(self, after: int, limit: int) -> Sequence[OutboxEvent]:
        stmt = select(OutboxEvent).where(col(OutboxEvent.id) > after).order_by(col(OutboxEvent.id)).limit(limit)
        return (await self.session.execute(stmt)).scalars().all()

    async def subscribers(self) -> Sequence[WebhookSubscriber]:
        stmt = select(WebhookSubscriber).order_by(col(WebhookSubscriber.id))
        return (await self.session.execute(stmt)).scalars().all()

    async def subscriber(self, subscriber_id: int | None) -> WebhookSubscriber | None:
        return None if subscriber_id is None else await self.session.get(WebhookSubscriber, subscriber_id)

    async def recipient(self, satker: str) -> NotifyRecipient | None:
        return await self.session.get(NotifyRecipient, satker)

    async def satker(self, code: str) -> Satker | None:
        return await self.session.get(Satker, code)

    async def add_once(self, delivery: Delivery) -> bool:
        """Insert a delivery unless its key exists (also against a concurrent worker)."""
        if (await self.session.execute(select(Delivery.id).where(Delivery.key == delivery.key))).first():
            return False
        try:
            async with self.session.begin_nested():
                self.session.add(delivery)
                await self.session.flush()
        except sa.exc.IntegrityError:
            return False
        return True

    async def due(self, now: datetime, limit: int) -> Sequence[Delivery]:
        """Pending deliveries whose attempt is due, locked; rows another worker holds are skipped."""
        stmt = (
            select(Delivery)
            .where(Delivery.status == "pending", col(Delivery.next_attempt_at) <= now)
            .order_by(col(Delivery.next_attempt_at), col(Delivery.id))
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        return (await self.session.execute(stmt)).scalars().all()

    async def deliveries(self, after: int, limit: int, status: str | None) -> Sequence[Delivery]:
        stmt = select(Delivery).where(col(Delivery.id) > after)
        if status:
            stmt = stmt.where(Delivery.status == status)
        return (await self.session.execute(stmt.order_by(col(Delivery.id)).limit(limit))).scalars().all()

    async def agreements_of_years(self, years: Sequence[int]) -> Sequence[Agreement]:
        stmt = select(Agreement).where(col(Agreement.year).in_(years)).order_by(col(Agreement.satker_code))
        return (await self.session.execute(stmt)).scalars().all()

    async def current_submissions(self, agreement_ids: Sequence[int]) -> dict[tuple[int, str], CycleSubmission]:
        stmt = select(CycleSubmission).where(
            col(CycleSubmission.agreement_id).in_(agreement_ids), col(CycleSubmission.superseded_at).is_(None)
        )
        return {(s.agreement_id, s.period): s for s in (await self.session.execute(stmt)).scalars()}
