"""Performance agreements: structure (SS, IKU), targets with addenda, manuals, closed periods.

Field names in errors are relative to the agreement document; callers that embed it (the import)
pass ``prefix`` so the client sees the JSON path inside *its* document.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from kernel.errors import Conflict, FieldError, NotFound, Unprocessable
from services.registry.schemas import (
    AddendumCreate,
    AgreementCreate,
    AgreementListItem,
    AgreementSummary,
    ClosureOut,
    DocumentOut,
    IndicatorSummary,
    ManualOut,
    ObjectiveOut,
    RuleSetRef,
    TargetOut,
    TargetRow,
    TargetsOut,
)
from services.registry.service import rule_sets
from services.registry.service.periods import MEASURE_PERIODS, period_order
from services.registry.store.models import (
    Agreement,
    AgreementDocument,
    Indicator,
    Manual,
    Objective,
    PeriodClosure,
    Satker,
    Target,
)
from services.registry.store.repositories import AgreementRepository, RuleSetRepository, SatkerRepository, flush

#: Validates a manual document (the scoring service, through ``peers``); raises on an invalid one.
ManualValidator = Callable[[dict[str, Any]], Awaitable[None]]


def _same(a: Decimal | None, b: Decimal | None) -> bool:
    return a == b if a is not None and b is not None else a is b


# --- reads ----------------------------------------------------------------------------------


async def get(*, session: AsyncSession, satker_code: str, year: int, as_of: datetime | None = None) -> Agreement:
    """The agreement of a satker for a year; 404 if none (or none yet at ``as_of``)."""
    agreement = await AgreementRepository(session).get(satker_code, year)
    if agreement is None or (as_of is not None and agreement.recorded_at > as_of):
        when = f" at {as_of.isoformat()}" if as_of is not None and agreement is not None else ""
        raise NotFound(f"satker {satker_code} has no agreement for {year}{when}", field="year")
    return agreement


async def list_for_satker(*, session: AsyncSession, satker_code: str) -> list[AgreementListItem]:
    return [
        AgreementListItem(year=a.year, number=a.number, level=a.level)
        for a in await AgreementRepository(session).list_for_satker(satker_code)
    ]


async def indicator(*, session: AsyncSession, agreement: Agreement, code: str) -> Indicator:
    found = await AgreementRepository(session).indicator(agreement.id, code)
    if found is None:
        raise NotFound(f"agreement {agreement.number} has no IKU {code}", field="indicator")
    return found


def document_out(doc: AgreementDocument) -> DocumentOut:
    return DocumentOut(
        number=doc.number,
        version=doc.version,
        kind=doc.kind,
        signed_on=doc.signed_on,
        note=doc.note,
        recorded_at=doc.recorded_at,
        recorded_by=doc.recorded_by,
    )


def objective_out(o: Objective) -> ObjectiveOut:
    return ObjectiveOut(code=o.code, name=o.name, perspective=o.perspective, weight=o.weight)


def indicator_fields(i: Indicator, objective_code: str) -> dict[str, Any]:
    return dict(
        code=i.code,
        objective=objective_code,
        name=i.name,
        polarity=i.polarity,
        unit=i.unit,
        scale=i.scale,
        consolidation=i.consolidation,
        validity_control=i.validity_control,
        weight=i.weight,
        region_aggregation=i.region_aggregation,
    )


def closed_list(closures: list[PeriodClosure]) -> list[str]:
    return sorted({c.period for c in closures}, key=period_order)


async def summary(*, session: AsyncSession, agreement: Agreement, as_of: datetime) -> AgreementSummary:
    repo = AgreementRepository(session)
    rule_set = (await RuleSetRepository(session).by_ids([agreement.rule_set_id]))[agreement.rule_set_id]
    docs = await repo.documents([agreement.id], as_of)
    objectives = await repo.objectives([agreement.id])
    codes = {o.id: o.code for o in objectives}
    indicators = await repo.indicators([agreement.id])
    closures = await repo.closures([agreement.id], as_of)
    return AgreementSummary(
        satker=agreement.satker_code,
        year=agreement.year,
        number=agreement.number,
        level=agreement.level,
        version=max((d.version for d in docs), default=1),
        rule_set=RuleSetRef(code=rule_set.code, version=rule_set.version),
        documents=[document_out(d) for d in docs],
        objectives=[objective_out(o) for o in objectives],
        indicators=[IndicatorSummary(**indicator_fields(i, codes[i.objective_id])) for i in indicators],
        closed_periods=closed_list(closures),
        as_of=as_of,
    )


async def targets(*, session: AsyncSession, indicator: Indicator, as_of: datetime) -> TargetsOut:
    rows = await AgreementRepository(session).targets([indicator.id], as_of)
    ordered = sorted(rows, key=lambda r: period_order(r[0].period))
    return TargetsOut(
        indicator=indicator.code,
        as_of=as_of,
        targets={t.period: TargetOut(value=t.value, document=d.number, version=d.version) for t, d in ordered},
    )


async def target_history(*, session: AsyncSession, indicator: Indicator) -> list[TargetRow]:
    return [
        TargetRow(
            period=t.period,
            value=t.value,
            document=d.number,
            version=d.version,
            recorded_at=t.recorded_at,
            recorded_by=t.recorded_by,
            superseded_at=t.superseded_at,
        )
        for t, d in await AgreementRepository(session).target_history([indicator.id])
    ]


async def documents(*, session: AsyncSession, agreement: Agreement, as_of: datetime) -> list[DocumentOut]:
    return [document_out(d) for d in await AgreementRepository(session).documents([agreement.id], as_of)]


# --- creation -------------------------------------------------------------------------------


def _recorded_at(value: datetime | None, now: datetime, field: str) -> datetime:
    if value is None:
        return now
    if value.tzinfo is None:
        raise Unprocessable("recorded_at needs a time zone", field=field)
    if value > now:
        raise Unprocessable("recorded_at lies in the future", field=field)
    return value


async def create(
    *, session: AsyncSession, satker_code: str, data: AgreementCreate, actor: str, now: datetime, prefix: str = ""
) -> Agreement:
    """Create an agreement as signed: the original document (version 1), SS, IKU and its targets."""
    repo = AgreementRepository(session)
    satker: Satker | None = await SatkerRepository(session).get(satker_code)
    if satker is None:
        raise NotFound(f"unknown satker {satker_code}", field=f"{prefix}satker" if prefix else "code")
    if await repo.get(satker_code, data.year) is not None:
        raise Conflict(f"satker {satker_code} already has an agreement for {data.year}", field=f"{prefix}year")
    if await repo.number_taken(data.number):
        raise Conflict(f"document number {data.number} is already used", field=f"{prefix}number")
    rule_set = await RuleSetRepository(session).get(data.rule_set.code, data.rule_set.version)
    if rule_set is None:
        raise Unprocessable(
            f"unknown rule set {data.rule_set.code} version {data.rule_set.version}", field=f"{prefix}rule_set"
        )
    recorded_at = _recorded_at(data.recorded_at, now, f"{prefix}recorded_at")

    errors: list[FieldError] = []
    perspectives = set(rule_sets.perspectives_of(rule_set.document))
    objective_codes: dict[str, int] = {}
    for i, o in enumerate(data.objectives):
        f = f"{prefix}objectives[{i}]"
        if o.code in objective_codes:
            errors.append(FieldError(field=f"{f}.code", reason=f"duplicate SS code {o.code}"))
        objective_codes.setdefault(o.code, i)
        if o.perspective not in perspectives:
            errors.append(
                FieldError(
                    field=f"{f}.perspective", reason=f"not a perspective of {rule_set.code}: {sorted(perspectives)}"
                )
            )
        if o.weight <= 0:
            errors.append(FieldError(field=f"{f}.weight", reason="must be positive"))
    seen: set[str] = set()
    used: set[str] = set()
    for i, ind in enumerate(data.indicators):
        f = f"{prefix}indicators[{i}]"
        if ind.code in seen:
            errors.append(FieldError(field=f"{f}.code", reason=f"duplicate IKU code {ind.code}"))
        seen.add(ind.code)
        if ind.objective not in objective_codes:
            errors.append(FieldError(field=f"{f}.objective", reason=f"unknown SS {ind.objective}"))
        used.add(ind.objective)
        if ind.weight <= 0:
            errors.append(FieldError(field=f"{f}.weight", reason="weights inside an SS must be positive"))
        if ind.scale is not None and ind.scale <= 0:
            errors.append(FieldError(field=f"{f}.scale", reason="must be positive"))
    for code, i in objective_codes.items():
        if code not in used:
            errors.append(FieldError(field=f"{prefix}objectives[{i}]", reason=f"SS {code} has no IKU"))
    if errors:
        raise Unprocessable(f"{errors[0].field}: {errors[0].reason}", errors=errors)

    agreement = Agreement(
        satker_code=satker_code,
        year=data.year,
        number=data.number,
        level=data.level,
        rule_set_id=rule_set.id,
        recorded_at=recorded_at,
        recorded_by=actor,
    )
    await repo.add(agreement)
    doc = AgreementDocument(
        agreement_id=agreement.id,
        version=1,
        number=data.number,
        kind="original",
        signed_on=data.signed_on,
        note=None,
        recorded_at=recorded_at,
        recorded_by=actor,
    )
    objectives = [
        Objective(
            agreement_id=agreement.id, code=o.code, name=o.name, perspective=o.perspective, weight=o.weight, position=i
        )
        for i, o in enumerate(data.objectives)
    ]
    await repo.add(doc, *objectives)
    ids = {o.code: o.id for o in objectives}
    indicators = [
        Indicator(
            agreement_id=agreement.id,
            objective_id=ids[d.objective],
            code=d.code,
            name=d.name,
            polarity=d.polarity.value,
            unit=d.unit,
            scale=d.scale,
            consolidation=d.consolidation.value,
            validity_control=d.validity_control,
            weight=d.weight,
            region_aggregation=d.region_aggregation.value,
            position=i,
        )
        for i, d in enumerate(data.indicators)
    ]
    await repo.add(*indicators)
    rows = [
        Target(
            indicator_id=ind.id,
            period=period,
            value=value,
            document_id=doc.id,
            recorded_at=recorded_at,
            recorded_by=actor,
        )
        for ind, d in zip(indicators, data.indicators, strict=True)
        for period, value in d.targets.items()
    ]
    if rows:
        await repo.add(*rows)
    return agreement


async def add_addendum(
    *, session: AsyncSession, agreement: Agreement, data: AddendumCreate, actor: str, now: datetime, prefix: str = ""
) -> AgreementDocument:
    """Record an addendum: a new document version whose changed targets supersede the current ones."""
    repo = AgreementRepository(session)
    await repo.lock(agreement.id)
    if await repo.number_taken(data.number):
        raise Conflict(f"document number {data.number} is already used", field=f"{prefix}number")
    last = await repo.last_document(agreement.id)
    assert last is not None
    recorded_at = _recorded_at(data.recorded_at, now, f"{prefix}recorded_at")
    if recorded_at < last.recorded_at:
        raise Unprocessable(
            f"an addendum cannot predate the last document {last.number} ({last.recorded_at.isoformat()})",
            field=f"{prefix}recorded_at",
        )
    indicators = {i.code: i for i in await repo.indicators([agreement.id])}
    unknown = [c for c in data.targets if c not in indicators]
    if unknown:
        raise Unprocessable(
            f"agreement {agreement.number} has no IKU {unknown[0]}",
            errors=[FieldError(field=f"{prefix}targets.{c}", reason="unknown IKU") for c in unknown],
        )
    ids = [i.id for i in indicators.values()]
    current = {(t.indicator_id, t.period): t for t, _ in await repo.targets(ids, now)}
    changes = [
        (indicators[code], period, value)
        for code, periods in data.targets.items()
        for period, value in periods.items()
        if (cur := current.get((indicators[code].id, period))) is None or not _same(cur.value, value)
    ]
    if not changes:
        raise Unprocessable("the addendum changes no target", field=f"{prefix}targets")
    doc = AgreementDocument(
        agreement_id=agreement.id,
        version=last.version + 1,
        number=data.number,
        kind="addendum",
        signed_on=data.signed_on,
        note=data.note,
        recorded_at=recorded_at,
        recorded_by=actor,
    )
    await repo.add(doc)
    for ind, period, _ in changes:
        await repo.supersede_target(ind.id, period, recorded_at)
    await repo.add(
        *[
            Target(
                indicator_id=ind.id,
                period=period,
                value=value,
                document_id=doc.id,
                recorded_at=recorded_at,
                recorded_by=actor,
            )
            for ind, period, value in changes
        ]
    )
    return doc


# --- manuals ----------------------------------------------------------------------------------


def manual_out(indicator: Indicator, m: Manual) -> ManualOut:
    return ManualOut(
        indicator=indicator.code,
        version=m.version,
        document=m.document,
        recorded_at=m.recorded_at,
        recorded_by=m.recorded_by,
    )


async def store_manual(
    *,
    session: AsyncSession,
    indicator: Indicator,
    document: dict[str, Any],
    validator: ManualValidator,
    actor: str,
    now: datetime,
) -> ManualOut:
    """Validate (by the scoring service) and store a new manual version; never stores unvalidated."""
    await validator(document)
    repo = AgreementRepository(session)
    await repo.lock(indicator.agreement_id)
    versions = await repo.manual_versions(indicator.id)
    manual = Manual(
        indicator_id=indicator.id,
        version=(versions[-1].version + 1) if versions else 1,
        document=document,
        recorded_at=now,
        recorded_by=actor,
    )
    await repo.add(manual)
    return manual_out(indicator, manual)


async def manual(*, session: AsyncSession, indicator: Indicator, as_of: datetime) -> ManualOut:
    found = (await AgreementRepository(session).manuals([indicator.id], as_of)).get(indicator.id)
    if found is None:
        raise NotFound(f"IKU {indicator.code} has no manual", field="manual")
    return manual_out(indicator, found)


async def manual_versions(*, session: AsyncSession, indicator: Indicator) -> list[ManualOut]:
    return [manual_out(indicator, m) for m in await AgreementRepository(session).manual_versions(indicator.id)]


# --- closed periods -------------------------------------------------------------------------


async def periods(*, session: AsyncSession, agreement: Agreement, as_of: datetime) -> list[ClosureOut]:
    closed = {c.period: c for c in await AgreementRepository(session).closures([agreement.id], as_of)}
    return [
        ClosureOut(
            period=p,
            closed=p in closed,
            closed_at=closed[p].closed_at if p in closed else None,
            closed_by=closed[p].closed_by if p in closed else None,
        )
        for p in MEASURE_PERIODS
    ]


async def close_period(
    *, session: AsyncSession, agreement: Agreement, period: str, actor: str, now: datetime
) -> ClosureOut:
    repo = AgreementRepository(session)
    await repo.lock(agreement.id)
    if await repo.open_closure(agreement.id, period) is not None:
        raise Conflict(f"period {period} is already closed", field="period")
    row = PeriodClosure(agreement_id=agreement.id, period=period, closed_at=now, closed_by=actor)
    await repo.add(row)
    return ClosureOut(period=period, closed=True, closed_at=now, closed_by=actor)


async def reopen_period(
    *, session: AsyncSession, agreement: Agreement, period: str, actor: str, now: datetime
) -> ClosureOut:
    repo = AgreementRepository(session)
    await repo.lock(agreement.id)
    row = await repo.open_closure(agreement.id, period)
    if row is None:
        raise Conflict(f"period {period} is not closed", field="period")
    row.reopened_at, row.reopened_by = now, actor
    await flush(session)
    return ClosureOut(period=period, closed=False, closed_at=None, closed_by=None)
