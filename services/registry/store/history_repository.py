"""All SQL of the registry's history, plans and budget (issue 12). Replacing a satker-year deletes
its rows and inserts the new ones in the caller's transaction (committed by ``SessionDep``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from services.registry.store.history_models import (
    BudgetChange,
    BudgetItem,
    BudgetOutput,
    HistoricalResult,
    PlanTarget,
)
from services.registry.store.models import Agreement
from services.registry.store.repositories import flush

Row = TypeVar("Row", HistoricalResult, PlanTarget, BudgetItem, BudgetOutput, BudgetChange)


class HistoryRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def agreement_years(self, satker: str) -> set[int]:
        rows = await self.session.execute(sa.select(col(Agreement.year)).where(col(Agreement.satker_code) == satker))
        return {int(y) for (y,) in rows}

    async def replace(self, model: type[Row], satker: str, year: int, rows: Sequence[Row]) -> None:
        await self.session.execute(sa.delete(model).where(col(model.satker_code) == satker, col(model.year) == year))
        self.session.add_all(rows)
        await flush(self.session)

    async def results(
        self, satker: str, *, indicator: str | None = None, year_from: int | None = None, year_to: int | None = None
    ) -> list[HistoricalResult]:
        q = sa.select(HistoricalResult).where(col(HistoricalResult.satker_code) == satker)
        if indicator is not None:
            q = q.where(col(HistoricalResult.indicator_code) == indicator)
        if year_from is not None:
            q = q.where(col(HistoricalResult.year) >= year_from)
        if year_to is not None:
            q = q.where(col(HistoricalResult.year) <= year_to)
        q = q.order_by(col(HistoricalResult.indicator_code), col(HistoricalResult.series), col(HistoricalResult.year))
        return list((await self.session.execute(q)).scalars())

    async def plans(self, satker: str, *, year: int | None = None, indicator: str | None = None) -> list[PlanTarget]:
        q = sa.select(PlanTarget).where(col(PlanTarget.satker_code) == satker)
        if year is not None:
            q = q.where(col(PlanTarget.year) == year)
        if indicator is not None:
            q = q.where(col(PlanTarget.indicator_code) == indicator)
        q = q.order_by(col(PlanTarget.year), col(PlanTarget.indicator_code), col(PlanTarget.plan))
        return list((await self.session.execute(q)).scalars())

    async def budget_rows(self, model: type[Row], satker: str, year: int) -> list[Row]:
        q: Any = (
            sa.select(model)
            .where(col(model.satker_code) == satker, col(model.year) == year)
            .order_by(col(model.position))  # type: ignore[attr-defined]
        )
        return list((await self.session.execute(q)).scalars())

    async def budget_rows_of(self, model: type[Row], satker: str, years: Sequence[int]) -> dict[int, list[Row]]:
        """:meth:`budget_rows` of several years in one statement (the LAKIN read: a year and the
        one before), by year; a year without rows is absent."""
        q: Any = (
            sa.select(model)
            .where(col(model.satker_code) == satker, col(model.year).in_(list(years)))
            .order_by(col(model.year), col(model.position))  # type: ignore[attr-defined]
        )
        out: dict[int, list[Row]] = {}
        for row in (await self.session.execute(q)).scalars():
            out.setdefault(row.year, []).append(row)
        return out
