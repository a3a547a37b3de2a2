"""All SQL of the reporting cycle (ADR 0020). The cycle services call these; nothing else queries
the cycle tables. Reads that feed the bundle take lists of agreement ids (one query per table)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from services.registry.store.cycle_models import (
    AnalysisNote,
    CycleCalendar,
    CycleRound,
    CycleSubmission,
    OutboxEvent,
    Publication,
    PublishedScorecard,
)
from services.registry.store.repositories import flush


class CycleRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, *rows: object) -> None:
        self.session.add_all(rows)
        await flush(self.session)

    # --- calendars

    async def calendars(self, year: int | None = None) -> list[CycleCalendar]:
        stmt = sa.select(CycleCalendar)
        if year is not None:
            stmt = stmt.where(col(CycleCalendar.year) == year)
        stmt = stmt.order_by(
            col(CycleCalendar.year), col(CycleCalendar.level), col(CycleCalendar.owner), col(CycleCalendar.version)
        )
        return list((await self.session.execute(stmt)).scalars())

    async def latest_calendars(
        self, year: int, level: str, owners: Sequence[str], as_of: datetime
    ) -> dict[str, CycleCalendar]:
        """Per owner among ``owners``: the highest version recorded by ``as_of``."""
        stmt = (
            sa.select(CycleCalendar)
            .where(
                col(CycleCalendar.year) == year,
                col(CycleCalendar.level) == level,
                col(CycleCalendar.owner).in_(owners),
                col(CycleCalendar.recorded_at) <= as_of,
            )
            .order_by(col(CycleCalendar.version))
        )
        return {c.owner: c for c in (await self.session.execute(stmt)).scalars()}

    async def last_calendar_version(self, year: int, level: str, owner: str) -> int:
        stmt = sa.select(sa.func.max(col(CycleCalendar.version))).where(
            col(CycleCalendar.year) == year, col(CycleCalendar.level) == level, col(CycleCalendar.owner) == owner
        )
        return int((await self.session.execute(stmt)).scalar() or 0)

    # --- submissions and rounds

    async def current(self, agreement_id: int, period: str) -> CycleSubmission | None:
        stmt = sa.select(CycleSubmission).where(
            col(CycleSubmission.agreement_id) == agreement_id,
            col(CycleSubmission.period) == period,
            col(CycleSubmission.superseded_at).is_(None),
        )
        return (await self.session.execute(stmt)).scalar_one_or_none()

    async def current_for(self, agreement_ids: Sequence[int], period: str) -> dict[int, CycleSubmission]:
        stmt = sa.select(CycleSubmission).where(
            col(CycleSubmission.agreement_id).in_(agreement_ids),
            col(CycleSubmission.period) == period,
            col(CycleSubmission.superseded_at).is_(None),
        )
        return {s.agreement_id: s for s in (await self.session.execute(stmt)).scalars()}

    async def submissions(self, agreement_ids: Sequence[int], as_of: datetime | None = None) -> list[CycleSubmission]:
        """Every revision of the agreements' submissions (opened by ``as_of`` when given)."""
        stmt = sa.select(CycleSubmission).where(col(CycleSubmission.agreement_id).in_(agreement_ids))
        if as_of is not None:
            stmt = stmt.where(col(CycleSubmission.opened_at) <= as_of)
        stmt = stmt.order_by(col(CycleSubmission.period), col(CycleSubmission.revision))
        return list((await self.session.execute(stmt)).scalars())

    async def rounds(self, submission_ids: Sequence[int]) -> list[CycleRound]:
        if not submission_ids:
            return []
        stmt = (
            sa.select(CycleRound)
            .where(col(CycleRound.submission_id).in_(submission_ids))
            .order_by(col(CycleRound.submission_id), col(CycleRound.round))
        )
        return list((await self.session.execute(stmt)).scalars())

    # --- analysis notes

    async def notes(self, indicator_ids: Sequence[int], period: str | None = None) -> list[AnalysisNote]:
        """The current notes of the indicators (of one period when given)."""
        stmt = sa.select(AnalysisNote).where(
            col(AnalysisNote.indicator_id).in_(indicator_ids), col(AnalysisNote.superseded_at).is_(None)
        )
        if period is not None:
            stmt = stmt.where(col(AnalysisNote.period) == period)
        return list((await self.session.execute(stmt)).scalars())

    async def supersede_note(self, indicator_id: int, period: str, at: datetime) -> None:
        await self.session.execute(
            sa.update(AnalysisNote)
            .where(
                col(AnalysisNote.indicator_id) == indicator_id,
                col(AnalysisNote.period) == period,
                col(AnalysisNote.superseded_at).is_(None),
            )
            .values(superseded_at=at)
        )

    # --- publications

    async def skep_taken(self, number: str) -> bool:
        stmt = sa.select(col(Publication.id)).where(col(Publication.skep_number) == number).limit(1)
        return (await self.session.execute(stmt)).first() is not None

    async def current_publication(self, satker_code: str, year: int, period: str) -> Publication | None:
        stmt = sa.select(Publication).where(
            col(Publication.satker_code) == satker_code,
            col(Publication.year) == year,
            col(Publication.period) == period,
            col(Publication.superseded_at).is_(None),
        )
        return (await self.session.execute(stmt)).scalar_one_or_none()

    async def supersede_publication(self, publication: Publication, at: datetime) -> None:
        publication.superseded_at = at
        await self.session.execute(
            sa.update(PublishedScorecard)
            .where(
                col(PublishedScorecard.publication_id) == publication.id,
                col(PublishedScorecard.superseded_at).is_(None),
            )
            .values(superseded_at=at)
        )
        await flush(self.session)

    async def published(self, satker_code: str, year: int, period: str) -> list[tuple[PublishedScorecard, Publication]]:
        """Every scorecard of the satker ever published for the period, newest first."""
        stmt = (
            sa.select(PublishedScorecard, Publication)
            .join(Publication, col(Publication.id) == col(PublishedScorecard.publication_id))
            .where(
                col(PublishedScorecard.satker_code) == satker_code,
                col(PublishedScorecard.year) == year,
                col(PublishedScorecard.period) == period,
            )
            .order_by(col(Publication.published_at).desc(), col(Publication.id).desc())
        )
        return [(s, p) for s, p in (await self.session.execute(stmt)).all()]

    # --- outbox

    async def events(self, after: int, limit: int, types: Sequence[str] | None = None) -> list[OutboxEvent]:
        stmt = sa.select(OutboxEvent).where(col(OutboxEvent.id) > after)
        if types:
            stmt = stmt.where(col(OutboxEvent.type).in_(types))
        stmt = stmt.order_by(col(OutboxEvent.id)).limit(limit)
        return list((await self.session.execute(stmt)).scalars())
