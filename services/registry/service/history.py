"""History, plans and budget of a satker (issue 12, ADR 0019): validated replacement per satker-year
and the reads the LAKIN report is built from.

Rules checked before anything is written (problem+json, nothing half-written):

* A historical result is the record of a year **without an agreement**: a year the registry holds
  an agreement for is scored from that agreement, so results for it are a 409 (two answers for
  one year would disagree; the 2024 rows of the seed are the agreement's own figures). A
  sub-series row (``series``, a part of an IKU) is taken in any year: no agreement scores a part.
* One row per IKU, series and year, one target per IKU, plan and year (422 naming the duplicate).
* The budget adds up: the items' revised pagu equals the pagu history (initial + additions −
  reductions) and the outputs' budget when those are given; net realisation ≤ gross where both
  are given, net = gross − refunds where all three are.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from kernel.errors import Conflict, FieldError, NotFound, Unprocessable
from services.registry.schemas import (
    BudgetChangeOut,
    BudgetItemOut,
    BudgetOut,
    BudgetOutputOut,
    BudgetTotalOut,
    BudgetYearIn,
    HistoricalResultOut,
    HistoryYearIn,
    LakinInputsOut,
    PlanTargetOut,
    PlanYearIn,
)
from services.registry.store.history_models import (
    BudgetChange,
    BudgetItem,
    BudgetOutput,
    HistoricalResult,
    PlanTarget,
)
from services.registry.store.history_repository import HistoryRepository, Row

ZERO = Decimal(0)


def _duplicates(keys: list[tuple[str, ...]], field: str, what: str) -> list[FieldError]:
    seen: set[tuple[str, ...]] = set()
    errors = []
    for i, key in enumerate(keys):
        if key in seen:
            errors.append(FieldError(field=f"{field}[{i}]", reason=f"duplicate {what} {' '.join(key)}"))
        seen.add(key)
    return errors


def result_out(r: HistoricalResult) -> HistoricalResultOut:
    return HistoricalResultOut(
        satker=r.satker_code,
        year=r.year,
        indicator=r.indicator_code,
        series=r.series or None,
        printed_code=r.printed_code,
        same_indicator=r.same_indicator,
        name=r.name,
        unit=r.unit,
        polarity=r.polarity,
        target=r.target,
        realization=r.realization,
        index=r.index,
        target_percent=r.target_percent,
        realization_percent=r.realization_percent,
        printed=r.printed,
        note=r.note,
        source=r.source,
        recorded_at=r.recorded_at,
        recorded_by=r.recorded_by,
    )


def plan_out(p: PlanTarget) -> PlanTargetOut:
    return PlanTargetOut(
        satker=p.satker_code,
        year=p.year,
        indicator=p.indicator_code,
        plan=p.plan,
        target=p.target,
        unit=p.unit,
        objective=p.objective,
        source=p.source,
        note=p.note,
        recorded_at=p.recorded_at,
        recorded_by=p.recorded_by,
    )


async def list_results(
    *, session: AsyncSession, satker: str, indicator: str | None, year_from: int | None, year_to: int | None
) -> list[HistoricalResultOut]:
    rows = await HistoryRepository(session).results(satker, indicator=indicator, year_from=year_from, year_to=year_to)
    return [result_out(r) for r in rows]


async def _replace_year(
    session: AsyncSession,
    model: type[Row],
    satker: str,
    year: int,
    rows: list[Row],
    keys: list[tuple[str, ...]],
    *,
    field: str,
    what: str,
) -> None:
    """The one "replace a year" behind results and plan targets: the rows of ``model`` of a
    satker-year replaced as a whole, or nothing and a 422 naming each duplicate of ``keys`` (one
    per row, ``what`` names its parts)."""
    errors = _duplicates(keys, field, what)
    if errors:
        raise Unprocessable(f"one row per {what} and year", errors=errors)
    await HistoryRepository(session).replace(model, satker, year, rows)


async def replace_results(
    *, session: AsyncSession, satker: str, year: int, data: HistoryYearIn, actor: str, now: datetime
) -> list[HistoricalResultOut]:
    """The results of one year. An agreement year refuses the IKU's own results (409: it is scored
    from the agreement) but takes sub-series rows: the agreement scores no part of an IKU, it has
    no target or index of ``manajemen-risiko`` within 10b-N, so the recorded row is the only one."""
    own = [r for r in data.results if r.series is None]
    if own and year in await HistoryRepository(session).agreement_years(satker):
        raise Conflict(
            f"{satker} has an agreement for {year}: its results are computed from it, not recorded as history",
            field="year",
        )
    rows = [
        HistoricalResult(
            satker_code=satker,
            year=year,
            indicator_code=r.indicator,
            series=r.series or "",
            printed_code=r.printed_code,
            same_indicator=r.same_indicator,
            name=r.name,
            unit=r.unit,
            polarity=r.polarity.value,
            target=r.target,
            realization=r.realization,
            index=r.index,
            target_percent=r.target_percent,
            realization_percent=r.realization_percent,
            printed=r.printed,
            note=r.note,
            source=r.source,
            recorded_at=now,
            recorded_by=actor,
        )
        for r in data.results
    ]
    keys: list[tuple[str, ...]] = [(r.indicator, r.series or "") for r in data.results]
    await _replace_year(
        session, HistoricalResult, satker, year, rows, keys, field="results", what="indicator and series"
    )
    return [result_out(r) for r in rows]


async def list_plans(
    *, session: AsyncSession, satker: str, year: int | None, indicator: str | None
) -> list[PlanTargetOut]:
    return [plan_out(p) for p in await HistoryRepository(session).plans(satker, year=year, indicator=indicator)]


async def replace_plans(
    *, session: AsyncSession, satker: str, year: int, data: PlanYearIn, actor: str, now: datetime
) -> list[PlanTargetOut]:
    rows = [
        PlanTarget(
            satker_code=satker,
            year=year,
            indicator_code=t.indicator,
            plan=t.plan.value,
            target=t.target,
            unit=t.unit,
            objective=t.objective,
            source=t.source,
            note=t.note,
            recorded_at=now,
            recorded_by=actor,
        )
        for t in data.targets
    ]
    keys: list[tuple[str, ...]] = [(t.indicator, t.plan.value) for t in data.targets]
    await _replace_year(session, PlanTarget, satker, year, rows, keys, field="targets", what="indicator and plan")
    return [plan_out(p) for p in rows]


def _budget_errors(data: BudgetYearIn) -> list[FieldError]:
    errors = _duplicates([(i.item,) for i in data.items], "items", "item")
    revised = sum((i.revised for i in data.items), ZERO)
    for n, i in enumerate(data.items):
        if i.gross is not None and i.net > i.gross:
            errors.append(FieldError(field=f"items[{n}].net", reason=f"net {i.net} exceeds gross {i.gross}"))
        if i.gross is not None and i.refunds is not None and i.gross - i.refunds != i.net:
            errors.append(
                FieldError(field=f"items[{n}].net", reason=f"gross {i.gross} − refunds {i.refunds} ≠ net {i.net}")
            )
    if data.outputs:
        budget = sum((o.budget for o in data.outputs), ZERO)
        if budget != revised:
            errors.append(
                FieldError(
                    field="outputs", reason=f"the outputs' budget adds up to {budget}, the items' pagu to {revised}"
                )
            )
    if data.changes:
        if sum(1 for c in data.changes if c.kind.value == "initial") != 1:
            errors.append(FieldError(field="changes", reason="needs exactly one initial pagu"))
        signed = sum((-c.amount if c.kind.value == "reduction" else c.amount for c in data.changes), ZERO)
        if signed != revised:
            errors.append(
                FieldError(
                    field="changes", reason=f"the pagu history adds up to {signed}, the items' pagu to {revised}"
                )
            )
        initial = [i.initial for i in data.items]
        first = next((c.amount for c in data.changes if c.kind.value == "initial"), None)
        if None not in initial and first is not None and sum((x for x in initial if x is not None), ZERO) != first:
            errors.append(FieldError(field="items", reason=f"the items' initial pagu does not add up to {first}"))
    return errors


async def replace_budget(
    *, session: AsyncSession, satker: str, year: int, data: BudgetYearIn, actor: str, now: datetime
) -> BudgetOut:
    errors = _budget_errors(data)
    if errors:
        raise Unprocessable("the budget does not add up", errors=errors)
    repo = HistoryRepository(session)
    items = [
        BudgetItem(
            satker_code=satker,
            year=year,
            position=n,
            item=i.item,
            spending_type=i.spending_type.value,
            initial=i.initial,
            revised=i.revised,
            gross=i.gross,
            refunds=i.refunds,
            net=i.net,
            note=i.note,
            recorded_at=now,
            recorded_by=actor,
        )
        for n, i in enumerate(data.items)
    ]
    outputs = [
        BudgetOutput(
            satker_code=satker,
            year=year,
            position=n,
            programme=o.programme,
            activity=o.activity,
            output_class=o.output_class,
            output=o.output,
            budget=o.budget,
            realization=o.realization,
            note=o.note,
            recorded_at=now,
            recorded_by=actor,
        )
        for n, o in enumerate(data.outputs)
    ]
    changes = [
        BudgetChange(
            satker_code=satker,
            year=year,
            position=n,
            kind=c.kind.value,
            amount=c.amount,
            spending_type=c.spending_type.value if c.spending_type else None,
            document_number=c.document_number,
            document_date=c.document_date,
            subject=c.subject,
            note=c.note,
            recorded_at=now,
            recorded_by=actor,
        )
        for n, c in enumerate(data.changes)
    ]
    await repo.replace(BudgetItem, satker, year, items)
    await repo.replace(BudgetOutput, satker, year, outputs)
    await repo.replace(BudgetChange, satker, year, changes)
    return _budget_out(satker, year, items, outputs, changes)


def _total(items: list[BudgetItem]) -> BudgetTotalOut:
    revised = sum((i.revised for i in items), ZERO)
    net = sum((i.net for i in items), ZERO)
    initials = [i.initial for i in items]
    return BudgetTotalOut(
        initial=None if None in initials else sum((x for x in initials if x is not None), ZERO),
        revised=revised,
        net=net,
        remaining=revised - net,
        percent=None if revised == 0 else net / revised * 100,
    )


def _budget_out(
    satker: str, year: int, items: list[BudgetItem], outputs: list[BudgetOutput], changes: list[BudgetChange]
) -> BudgetOut:
    types: dict[str, list[BudgetItem]] = {}
    for i in items:
        types.setdefault(i.spending_type, []).append(i)
    return BudgetOut(
        satker=satker,
        year=year,
        items=[
            BudgetItemOut(
                item=i.item,
                spending_type=i.spending_type,
                initial=i.initial,
                revised=i.revised,
                gross=i.gross,
                refunds=i.refunds,
                net=i.net,
                remaining=i.revised - i.net,
                note=i.note,
            )
            for i in items
        ],
        outputs=[
            BudgetOutputOut(
                programme=o.programme,
                activity=o.activity,
                output_class=o.output_class,
                output=o.output,
                budget=o.budget,
                realization=o.realization,
                note=o.note,
            )
            for o in outputs
        ],
        changes=[
            BudgetChangeOut(
                kind=c.kind,
                amount=c.amount,
                spending_type=c.spending_type,
                document_number=c.document_number,
                document_date=c.document_date,
                subject=c.subject,
                note=c.note,
            )
            for c in changes
        ],
        total=_total(items),
        by_spending_type={t: _total(rows) for t, rows in types.items()},
        recorded_at=max(i.recorded_at for i in items),
        recorded_by=items[-1].recorded_by,
    )


async def _budget_or_none(repo: HistoryRepository, satker: str, year: int) -> BudgetOut | None:
    items = await repo.budget_rows(BudgetItem, satker, year)
    if not items:
        return None
    outputs = await repo.budget_rows(BudgetOutput, satker, year)
    changes = await repo.budget_rows(BudgetChange, satker, year)
    return _budget_out(satker, year, items, outputs, changes)


async def get_budget(*, session: AsyncSession, satker: str, year: int) -> BudgetOut:
    budget = await _budget_or_none(HistoryRepository(session), satker, year)
    if budget is None:
        raise NotFound(f"no budget of {satker} for {year}", field="year")
    return budget


async def lakin_inputs(*, session: AsyncSession, satker: str, year: int, years: int) -> LakinInputsOut:
    """History (``years`` years ending with ``year``), plan targets of ``year`` and the budgets of
    ``year`` and ``year - 1`` in one answer: the LAKIN report's one registry read besides the bundle
    (ADR 0019; four requests through the whole service stack before, ten statements, now five). A
    missing budget is ``null``, not an error: the report then has no budget chapter."""
    repo = HistoryRepository(session)
    history = await repo.results(satker, year_from=year - years + 1, year_to=year)
    plans = await repo.plans(satker, year=year)
    both = (year - 1, year)
    items = await repo.budget_rows_of(BudgetItem, satker, both)
    outputs = await repo.budget_rows_of(BudgetOutput, satker, both)
    changes = await repo.budget_rows_of(BudgetChange, satker, both)

    def budget(y: int) -> BudgetOut | None:
        if y not in items:
            return None
        return _budget_out(satker, y, items[y], outputs.get(y, []), changes.get(y, []))

    return LakinInputsOut(
        satker=satker,
        year=year,
        history=[result_out(r) for r in history],
        plans=[plan_out(p) for p in plans],
        budget=budget(year),
        previous_budget=budget(year - 1),
    )
