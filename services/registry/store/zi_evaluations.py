"""Zona Integritas evaluations: tables and the one repository that runs their SQL (ADR 0015).

An evaluation belongs to one satker and year and is tied to one template version for good. It
has up to three *levels* — ``unit`` (the self-assessment), ``kanwil`` (the Kanwil / ministry
team), ``national`` (the national team) — each with its own answers, so no level overwrites
another. A level is ``open`` while answered and ``submitted`` when closed; every submit and
every reopen (with its reason) is a row of ``zi_level_event`` that is never changed.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import Field, col

from kernel.columns import Recorded, id_column
from services.registry.store.models import NUM, SUBJECT_LENGTH, TS, RegistryTable
from services.registry.store.repositories import flush

LEVELS = ("unit", "kanwil", "national")  # in the order they are entered
OPEN, SUBMITTED = "open", "submitted"


class ZiEvaluation(RegistryTable, table=True):
    __tablename__ = "zi_evaluation"
    __table_args__ = (sa.UniqueConstraint("satker_code", "year"),)

    id: int = id_column()
    satker_code: str = Field(foreign_key="satker.code", max_length=32, index=True)
    year: int
    template_code: str = Field(max_length=64)
    template_version: int
    proposed_predicate: str | None = Field(default=None, max_length=8)
    note: str | None = Field(default=None, max_length=2000)
    created_at: datetime = Field(sa_type=TS)
    created_by: str = Field(max_length=SUBJECT_LENGTH)


class ZiLevel(RegistryTable, table=True):
    """One level of an evaluation: answers per question, or (a sheet printed only as totals, such as
    Ngurah Rai 2018) the component totals ``pengungkit`` and ``hasil``."""

    __tablename__ = "zi_level"
    __table_args__ = (sa.UniqueConstraint("evaluation_id", "level"),)

    id: int = id_column()
    evaluation_id: int = Field(foreign_key="zi_evaluation.id", index=True)
    level: str = Field(max_length=16)
    team_label: str | None = Field(default=None, max_length=200)
    status: str = Field(max_length=16)
    pengungkit: Decimal | None = Field(default=None, sa_type=NUM)
    hasil: Decimal | None = Field(default=None, sa_type=NUM)
    updated_at: datetime = Field(sa_type=TS)
    updated_by: str = Field(max_length=SUBJECT_LENGTH)
    submitted_at: datetime | None = Field(default=None, sa_type=TS)
    submitted_by: str | None = Field(default=None, max_length=SUBJECT_LENGTH)


class ZiAnswer(RegistryTable, Recorded, table=True):
    __tablename__ = "zi_answer"
    __table_args__ = (sa.UniqueConstraint("level_id", "question_code"),)

    id: int = id_column()
    level_id: int = Field(foreign_key="zi_level.id", index=True)
    question_code: str = Field(max_length=64)
    answer: Any = Field(sa_type=sa.JSON)
    note: str | None = Field(default=None, max_length=4000)
    evidence: list[str] = Field(default_factory=list, sa_type=sa.JSON)


class ZiLevelEvent(RegistryTable, table=True):
    """The audit of a level: ``submitted`` or ``reopened`` (with the reason), who and when."""

    __tablename__ = "zi_level_event"

    id: int = id_column()
    level_id: int = Field(foreign_key="zi_level.id", index=True)
    event: str = Field(max_length=16)
    reason: str | None = Field(default=None, max_length=2000)
    at: datetime = Field(sa_type=TS)
    by: str = Field(max_length=SUBJECT_LENGTH)


class ZiEvaluationRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, satker_code: str, year: int) -> ZiEvaluation | None:
        stmt = sa.select(ZiEvaluation).where(
            col(ZiEvaluation.satker_code) == satker_code, col(ZiEvaluation.year) == year
        )
        return (await self.session.execute(stmt)).scalar_one_or_none()

    async def of_satkers(self, codes: list[str], year: int) -> list[ZiEvaluation]:
        stmt = (
            sa.select(ZiEvaluation)
            .where(col(ZiEvaluation.satker_code).in_(codes), col(ZiEvaluation.year) == year)
            .order_by(col(ZiEvaluation.satker_code))
        )
        return list((await self.session.execute(stmt)).scalars())

    async def years(self, satker_code: str) -> list[ZiEvaluation]:
        stmt = (
            sa.select(ZiEvaluation).where(col(ZiEvaluation.satker_code) == satker_code).order_by(col(ZiEvaluation.year))
        )
        return list((await self.session.execute(stmt)).scalars())

    async def uses_template(self, code: str, version: int) -> bool:
        stmt = sa.select(sa.func.count()).where(
            col(ZiEvaluation.template_code) == code, col(ZiEvaluation.template_version) == version
        )
        return bool((await self.session.execute(stmt)).scalar_one())

    async def levels(self, evaluation_ids: list[int]) -> list[ZiLevel]:
        if not evaluation_ids:
            return []
        stmt = sa.select(ZiLevel).where(col(ZiLevel.evaluation_id).in_(evaluation_ids)).order_by(col(ZiLevel.id))
        return list((await self.session.execute(stmt)).scalars())

    async def level(self, evaluation_id: int, level: str, *, for_update: bool = False) -> ZiLevel | None:
        stmt = sa.select(ZiLevel).where(col(ZiLevel.evaluation_id) == evaluation_id, col(ZiLevel.level) == level)
        if for_update:
            stmt = stmt.with_for_update()
        return (await self.session.execute(stmt)).scalar_one_or_none()

    async def answers(self, level_ids: list[int]) -> list[ZiAnswer]:
        if not level_ids:
            return []
        stmt = sa.select(ZiAnswer).where(col(ZiAnswer.level_id).in_(level_ids)).order_by(col(ZiAnswer.id))
        return list((await self.session.execute(stmt)).scalars())

    async def events(self, level_ids: list[int]) -> list[ZiLevelEvent]:
        if not level_ids:
            return []
        stmt = sa.select(ZiLevelEvent).where(col(ZiLevelEvent.level_id).in_(level_ids)).order_by(col(ZiLevelEvent.id))
        return list((await self.session.execute(stmt)).scalars())

    async def add(self, *rows: RegistryTable) -> None:
        self.session.add_all(rows)
        await flush(self.session)

    async def delete_answers(self, level_id: int, codes: list[str]) -> None:
        if codes:
            await self.session.execute(
                sa.delete(ZiAnswer).where(col(ZiAnswer.level_id) == level_id, col(ZiAnswer.question_code).in_(codes))
            )
