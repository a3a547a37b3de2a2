"""The LAKIN use case (issue 12, ADR 0019): the quantitative chapter of a satker's yearly report,
and the Kanwil's consolidated view, computed from the data on every request.

One report reads the registry bundle (one request) and, at the same time, the satker's history,
plan targets and budgets (one request, ``store/registry_lakin.py``), the evidence facts of each of
the seven periods when a manual needs them and the period is declared complete (ADR 0020;
concurrently), and scores all seven periods with the engine. Nothing is
cached and nothing is rounded but the ``*_display`` strings, so the JSON, the Excel and the PDF
(all drawn from the one :class:`Report`) show the numbers ``/scores`` answers.

Keyword-only functions taking the peer clients, the manual cache and the principal, never the
FastAPI request.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from decimal import Decimal
from functools import partial
from typing import Any

import anyio

from kernel.auth import Principal
from kernel.client import Peers
from services.scoring.engine.numbers import display
from services.scoring.engine.periods import SCORE_PERIODS
from services.scoring.engine.scorecard import IkuScore, Prepared, Scorecard, score
from services.scoring.schemas import (
    AnalysisNote,
    Budget,
    BudgetReport,
    Cell,
    ConsolidatedReport,
    HistoryRow,
    IndicatorReport,
    LakinInputs,
    Language,
    MemberRank,
    ObjectiveReport,
    PeriodScore,
    PerspectiveReport,
    PlanComparison,
    PlanRow,
    RedIndicator,
    Report,
    SatkerRef,
    ScoreTable,
    SubSeries,
    TrendRow,
)
from services.scoring.service.cycle import evidence_path_applies
from services.scoring.service.labels import LABELS, PERIODS, PERSPECTIVES, PLANS, SPENDING, STATUS, UNITS, label
from services.scoring.service.manuals import ManualCache
from services.scoring.service.present import value_display
from services.scoring.service.scores import fetch_evidence, load, load_subtree
from services.scoring.store import registry_lakin

TREND_YEARS = 5  # the report's "Tahun 2020 s.d. 2024": the year and the four before it
CONCURRENCY = 8  # evidence requests in flight for one report


async def _gather(calls: list[Callable[[], Awaitable[Any]]], limit: int = CONCURRENCY) -> list[Any]:
    """Run ``calls`` concurrently (at most ``limit`` at a time); results in order; the first
    failure is raised as itself (a task group would wrap it)."""
    results: list[Any] = [None] * len(calls)
    failed: list[BaseException] = []
    limiter = anyio.CapacityLimiter(limit)

    async def run(i: int, call: Callable[[], Awaitable[Any]]) -> None:
        async with limiter:
            if failed:
                return
            try:
                results[i] = await call()
            except Exception as exc:
                failed.append(exc)

    async with anyio.create_task_group() as tg:
        for i, call in enumerate(calls):
            tg.start_soon(run, i, call)
    if failed:
        raise failed[0]
    return results


async def _declared_evidence(*, peers: Peers, principal: Principal, prepared: Prepared, period: str) -> dict[str, Any]:
    """The evidence facts of a period, but none, without asking, while the period is not declared
    complete: the reported realisation stands then (ADR 0020), exactly as ``/scores`` scores it,
    so the report's numbers are the scores' numbers (ADR 0014)."""
    from services.scoring.service.zi_link import with_zi  # the ZI results stand on their own (ADR 0025)

    if not evidence_path_applies(prepared, period):
        return await with_zi(peers=peers, principal=principal, prepared=prepared, evidence={})
    return await fetch_evidence(peers=peers, principal=principal, prepared=prepared, period=period)


async def score_all_periods(*, peers: Peers, principal: Principal, prepared: Prepared) -> dict[str, Scorecard]:
    """The scorecards of the seven periods (the evidence of each read concurrently)."""
    evidence = await _gather(
        [
            partial(_declared_evidence, peers=peers, principal=principal, prepared=prepared, period=p)
            for p in SCORE_PERIODS
        ]
    )
    return {p: score(prepared, p, evidence=ev) for p, ev in zip(SCORE_PERIODS, evidence, strict=True)}


def _satker(prepared: Prepared) -> SatkerRef:
    s = prepared.satker
    return SatkerRef(code=s["code"], name=s["name"], kind=s["kind"], path=list(s["path"]))


def _cell(s: IkuScore, language: Language) -> Cell:
    status = s.achievement.status
    return Cell(
        period=s.period,
        period_label=PERIODS[language][s.period],
        target=s.target.value if s.target else None,
        target_display=value_display(s.target.value) if s.target else None,
        realization=s.realization,
        realization_display=value_display(s.realization),
        index=s.achievement.index,
        index_display=display(s.achievement.index),
        status=status,
        status_label=STATUS[language].get(status, status),
    )


def _period_score(card: Scorecard, language: Language) -> PeriodScore:
    return PeriodScore(
        period=card.period,
        period_label=PERIODS[language][card.period],
        nko=card.nko,
        nko_display=display(card.nko),
        predicate=card.predicate,
        partial=card.partial,
    )


def _perspectives(card: Scorecard, language: Language) -> list[PerspectiveReport]:
    return [
        PerspectiveReport(
            code=p.code,
            name=label(PERSPECTIVES, language, p.code) or p.code,
            weight=p.weight,
            index=p.index,
            index_display=display(p.index),
            objectives=p.objectives,
        )
        for p in card.perspectives
    ]


def score_table(*, prepared: Prepared, cards: Mapping[str, Scorecard], language: Language) -> ScoreTable:
    return ScoreTable(
        satker=_satker(prepared),
        year=int(prepared.agreement["year"]),
        language=language,
        periods=[_period_score(cards[p], language) for p in SCORE_PERIODS],
        indicators={
            ind.code: [_cell(s, language) for p in SCORE_PERIODS if (s := cards[p].iku(ind.code)) is not None]
            for ind in prepared.indicators
        },
    )


def _trend_row(h: HistoryRow, lang: Language) -> TrendRow:
    return TrendRow(
        year=h.year,
        source="history",
        name=h.name,
        printed_code=h.printed_code,
        unit=h.unit,
        unit_label=label(UNITS, lang, h.unit),
        target=h.target,
        realization=h.realization,
        index=h.index,
        printed=h.printed,
        note=h.note,
    )


def _trend(
    year: int, history: list[HistoryRow], now: Cell, name: str, code: str, unit: str | None, lang: Language
) -> list[TrendRow]:
    """The IKU's own five-year rows: the recorded years before ``year``, then ``year`` computed
    from the agreement (``history``: this IKU's own rows, no sub-series)."""
    rows = [_trend_row(h, lang) for h in history if year - TREND_YEARS < h.year < year]
    rows.append(
        TrendRow(
            year=year,
            source="agreement",
            name=name,
            printed_code=code,
            unit=unit,
            unit_label=label(UNITS, lang, unit),
            target=now.target,
            realization=now.realization,
            index=now.index,
            printed=None,
            note=None,
        )
    )
    return sorted(rows, key=lambda r: r.year)


def _sub_series(year: int, history: list[HistoryRow], lang: Language) -> list[SubSeries]:
    """The sub-series of one IKU (``history``: its rows with a ``series``), by key; every row is
    recorded, ``year``'s included (the agreement scores no part of an IKU, ADR 0019)."""
    by_key: dict[str, list[HistoryRow]] = {}
    for h in history:
        if h.series is not None and year - TREND_YEARS < h.year <= year:
            by_key.setdefault(h.series, []).append(h)
    out = []
    for key in sorted(by_key):
        rows = sorted(by_key[key], key=lambda h: h.year)
        out.append(SubSeries(key=key, name=rows[-1].name, rows=[_trend_row(h, lang) for h in rows]))
    return out


def _budget(budget: Budget | None, previous: Budget | None, language: Language) -> BudgetReport | None:
    if budget is None:
        return None
    return BudgetReport(
        year=budget.year,
        total=budget.total,
        by_spending_type=budget.by_spending_type,
        spending_type_labels={t: label(SPENDING, language, t) or t for t in budget.by_spending_type},
        items=budget.items,
        outputs=budget.outputs,
        changes=budget.changes,
        previous=previous.total if previous is not None else None,
    )


async def build_report(
    *,
    peers: Peers,
    manuals: ManualCache,
    principal: Principal,
    code: str,
    year: int,
    as_of: str | None,
    language: Language,
    notes: Mapping[str, list[str]] | None = None,
) -> Report:
    """The whole quantitative chapter of ``code``'s LAKIN for ``year``.

    ``notes``: the analysis notes per IKU once the reporting cycle (issue 11) records them;
    absent, every red or yellow IKU is listed with no notes."""
    registry, token = peers["registry"], principal.token

    async def scored() -> tuple[Prepared, dict[str, Scorecard]]:
        prepared = await load(peers=peers, manuals=manuals, principal=principal, code=code, year=year, as_of=as_of)
        return prepared, await score_all_periods(peers=peers, principal=principal, prepared=prepared)

    # the bundle (then the evidence and the seven scorecards) and the registry's LAKIN read are
    # independent: both start at once (ADR 0019, "Speed")
    got = await _gather(
        [scored, lambda: registry_lakin.inputs(registry, token=token, code=code, year=year, years=TREND_YEARS)]
    )
    prepared, by_period = got[0]
    lakin: LakinInputs = got[1]
    own: dict[str, list[HistoryRow]] = {}
    parts: dict[str, list[HistoryRow]] = {}
    for h in lakin.history:
        (own if h.series is None else parts).setdefault(h.indicator, []).append(h)
    plans: dict[str, list[PlanRow]] = {}
    for plan in lakin.plans:
        plans.setdefault(plan.indicator, []).append(plan)
    year_card = by_period["Y"]
    words = LABELS[language]
    indicators = []
    analysis = []
    for ind in prepared.indicators:
        quarterly = [_cell(c, language) for p in SCORE_PERIODS if (c := by_period[p].iku(ind.code)) is not None]
        now = next(c for c in quarterly if c.period == "Y")  # the year's cell, drawn once
        indicators.append(
            IndicatorReport(
                code=ind.code,
                objective=ind.objective,
                name=ind.name,
                polarity=ind.polarity,
                unit=ind.unit,
                unit_label=label(UNITS, language, ind.unit),
                weight=ind.weight,
                year=now,
                quarterly=quarterly,
                trend=_trend(year, own.get(ind.code, []), now, ind.name, ind.code, ind.unit, language),
                sub_series=_sub_series(year, parts.get(ind.code, []), language),
                plans=[
                    PlanComparison(
                        plan=p.plan,
                        plan_label=label(PLANS, language, p.plan) or p.plan,
                        target=p.target,
                        unit=p.unit,
                        unit_label=label(UNITS, language, p.unit),
                        objective=p.objective,
                        note=p.note,
                    )
                    for p in plans.get(ind.code, [])
                ],
            )
        )
        if now.status in ("red", "yellow"):
            analysis.append(
                AnalysisNote(
                    indicator=ind.code,
                    name=ind.name,
                    status=now.status,
                    status_label=now.status_label,
                    index_display=now.index_display,
                    notes=list((notes or {}).get(ind.code, [])),
                )
            )
    by_objective = {o.objective.code: o for o in year_card.objectives}
    return Report(
        language=language,
        title=words["title"].format(year=year),
        satker=_satker(prepared),
        year=year,
        agreement=prepared.agreement["number"],
        rule_set=f"{prepared.rules.code} v{prepared.rules.version}",
        as_of=prepared.as_of,
        nko=year_card.nko,
        nko_display=display(year_card.nko),
        predicate=year_card.predicate,
        partial=year_card.partial,
        perspectives=_perspectives(year_card, language),
        objectives=[
            ObjectiveReport(
                code=o.code,
                name=o.name,
                perspective=o.perspective,
                index=by_objective[o.code].index if o.code in by_objective else None,
                index_display=display(by_objective[o.code].index) if o.code in by_objective else None,
                indicators=[i.code for i in prepared.indicators if i.objective == o.code],
            )
            for o in prepared.objectives
        ],
        indicators=indicators,
        periods=[_period_score(by_period[p], language) for p in SCORE_PERIODS],
        budget=_budget(lakin.budget, lakin.previous_budget, language),
        analysis=analysis,
        labels=words,
        notes=year_card.notes,
    )


async def build_consolidated(
    *,
    peers: Peers,
    manuals: ManualCache,
    principal: Principal,
    code: str,
    year: int,
    as_of: str | None,
    language: Language,
) -> ConsolidatedReport:
    """A Kanwil over the satker under it that have an agreement that year: its own score, the
    members ranked by NKO (highest first; without an NKO last), their predicates and red /
    yellow IKU, and which IKU are red where."""
    members = await load_subtree(peers=peers, manuals=manuals, principal=principal, code=code, year=year, as_of=as_of)
    evidence = await _gather(
        [partial(_declared_evidence, peers=peers, principal=principal, prepared=p, period="Y") for p in members]
    )
    cards = {p.satker["code"]: score(p, "Y", evidence=ev) for p, ev in zip(members, evidence, strict=True)}
    own = next(p for p in members if p.satker["code"] == code)
    ranked = sorted(
        (p for p in members if p.satker["code"] != code),
        key=lambda p: (
            cards[p.satker["code"]].nko is None,
            -(cards[p.satker["code"]].nko or Decimal(0)),
            p.satker["code"],
        ),
    )
    red: dict[str, RedIndicator] = {}
    rows = []
    for rank, p in enumerate(ranked, start=1):
        c = cards[p.satker["code"]]
        for s in c.indicators:
            if s.achievement.status == "red":
                entry = red.setdefault(
                    s.indicator.code, RedIndicator(indicator=s.indicator.code, name=s.indicator.name, satkers=[])
                )
                entry.satkers.append(p.satker["code"])
        rows.append(
            MemberRank(
                rank=rank,
                code=p.satker["code"],
                name=p.satker["name"],
                kind=p.satker["kind"],
                nko=c.nko,
                nko_display=display(c.nko),
                predicate=c.predicate,
                partial=c.partial,
                perspectives=_perspectives(c, language),
                red=[s.indicator.code for s in c.indicators if s.achievement.status == "red"],
                yellow=[s.indicator.code for s in c.indicators if s.achievement.status == "yellow"],
            )
        )
    return ConsolidatedReport(
        language=language,
        title=LABELS[language]["title_kanwil"].format(year=year),
        satker=_satker(own),
        year=year,
        own=_period_score(cards[code], language),
        members=rows,
        red_indicators=sorted(red.values(), key=lambda r: r.indicator),
        labels=LABELS[language],
    )
