"""The bundle (contracts.md §6): everything scoring needs about agreements, in one request.

Cost is a fixed number of queries whatever the size: satker lineage/subtree (1), agreements (1),
then one query each for rule sets, documents, objectives, indicators, manuals, targets, measures
and closures over *all* requested agreements at once, assembled in memory.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from kernel.errors import NotFound
from services.registry.domain import agreements as agreements_service
from services.registry.domain import satkers as satkers_service
from services.registry.domain.models import Agreement, Satker
from services.registry.domain.periods import period_order
from services.registry.domain.repositories import (
    AgreementRepository,
    MeasureRepository,
    RuleSetRepository,
    SatkerRepository,
)
from services.registry.domain.schemas import (
    Bundle,
    BundleAddendum,
    BundleAgreement,
    BundleIndicator,
    BundleManual,
    BundleRuleSet,
    BundleSatker,
    TargetOut,
)


async def assemble(
    *, session: AsyncSession, items: list[tuple[Satker, list[str], Agreement]], as_of: datetime
) -> list[Bundle]:
    ids = [a.id for _, _, a in items if a.id is not None]
    repo = AgreementRepository(session)
    rule_sets = await RuleSetRepository(session).by_ids(sorted({a.rule_set_id for _, _, a in items}))
    docs = defaultdict(list)
    for d in await repo.documents(ids, as_of):
        docs[d.agreement_id].append(d)
    objectives = defaultdict(list)
    objective_code: dict[int, str] = {}
    for o in await repo.objectives(ids):
        objectives[o.agreement_id].append(o)
        objective_code[o.id or 0] = o.code
    indicators = await repo.indicators(ids)
    ind_ids = [i.id for i in indicators if i.id is not None]
    manuals = await repo.manuals(ind_ids, as_of)
    targets: dict[int, dict[str, TargetOut]] = defaultdict(dict)
    for t, d in sorted(await repo.targets(ind_ids, as_of), key=lambda r: period_order(r[0].period)):
        targets[t.indicator_id][t.period] = TargetOut(value=t.value, document=d.number, version=d.version)
    measures: dict[int, dict[str, dict[str, Decimal]]] = defaultdict(dict)
    for m in sorted(await MeasureRepository(session).at(ind_ids, as_of), key=lambda m: period_order(m.period)):
        measures[m.indicator_id].setdefault(m.period, {})[m.part] = m.value
    closures = defaultdict(list)
    for c in await repo.closures(ids, as_of):
        closures[c.agreement_id].append(c)
    by_agreement = defaultdict(list)
    for i in indicators:
        by_agreement[i.agreement_id].append(i)

    out = []
    for satker, path, agreement in items:
        aid = agreement.id or 0
        rs = rule_sets[agreement.rule_set_id]
        adocs = docs[aid]
        out.append(
            Bundle(
                as_of=as_of,
                satker=BundleSatker(
                    code=satker.code,
                    name=satker.name,
                    kind=satker.kind,
                    parent=satker.parent_code,
                    path=path,
                    staff=satker.staff,
                ),
                agreement=BundleAgreement(
                    number=agreement.number,
                    year=agreement.year,
                    level=agreement.level,
                    version=max((d.version for d in adocs), default=1),
                ),
                rule_set=BundleRuleSet(code=rs.code, version=rs.version, document=rs.document),
                addenda=[
                    BundleAddendum(
                        number=d.number,
                        version=d.version,
                        recorded_at=d.recorded_at,
                        recorded_by=d.recorded_by,
                        note=d.note,
                    )
                    for d in adocs
                    if d.kind == "addendum"
                ],
                objectives=[agreements_service.objective_out(o) for o in objectives[aid]],
                indicators=[
                    BundleIndicator(
                        **agreements_service.indicator_fields(i, objective_code[i.objective_id]),
                        manual=(
                            BundleManual(version=manuals[i.id].version, document=manuals[i.id].document)
                            if i.id in manuals
                            else None
                        ),
                        targets=targets.get(i.id or 0, {}),
                        measures=measures.get(i.id or 0, {}),
                    )
                    for i in by_agreement[aid]
                ],
                closed_periods=agreements_service.closed_list(closures[aid]),
            )
        )
    return out


async def bundle(*, session: AsyncSession, code: str, year: int, as_of: datetime) -> Bundle:
    lineage = await satkers_service.lineage(session=session, code=code)
    agreement = await agreements_service.get(session=session, satker_code=code, year=year, as_of=as_of)
    items = [(lineage[-1], [s.code for s in lineage], agreement)]
    return (await assemble(session=session, items=items, as_of=as_of))[0]


async def subtree_bundles(*, session: AsyncSession, code: str, year: int, as_of: datetime) -> list[Bundle]:
    """Bundles of the satker and every satker under it with an agreement that year (tree order)."""
    lineage = await satkers_service.lineage(session=session, code=code)
    rows = await SatkerRepository(session).subtree(code)
    prefix = [s.code for s in lineage[:-1]]
    paths = satkers_service.paths_of([s for s, _ in rows])
    found = {
        a.satker_code: a
        for a in await AgreementRepository(session).for_satkers([s.code for s, _ in rows], year)
        if a.recorded_at <= as_of
    }
    items = [(s, prefix + paths[s.code], found[s.code]) for s, _ in rows if s.code in found]
    if not items:
        raise NotFound(f"no agreement for {year} in the subtree of {code}", field="year")
    return await assemble(session=session, items=items, as_of=as_of)
