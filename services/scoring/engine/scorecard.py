"""From a registry bundle to a scorecard: IKU indices, SS, perspectives, NKO, predicate.

Roll-up (DOMAIN §4, rule set §7):
* SS index = weighted mean of its IKU indices (IKU weights from the agreement);
* perspective index = mean of its SS indices (weighted by SS weight, all 1 in practice);
* NKO = Σ perspective weight × perspective index; predicate from the rule set's bands.
An IKU without index (no realisation, no target, target 0) is EXCLUDED from the means — never
counted as 0 — and the scorecard says so. If a whole perspective has no index, the NKO is taken
over the perspectives that have one with their weights renormalised.

``partial`` is what a reader would guess: the figures leave something out — an IKU without index
(excluded from its SS), an SS without index (excluded from its perspective) or a perspective
without index (weights renormalised); ``notes`` and ``objectives[].excluded`` say what.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, localcontext
from operator import is_not
from typing import Any, NamedTuple

from services.scoring.engine.evaluate import Evaluator, Evidence, Step, normalise_measures, part_names
from services.scoring.engine.manual import Manual, Reported, parse_manual
from services.scoring.engine.numbers import CONTEXT, ZERO, rounded, to_decimal
from services.scoring.engine.periods import QUARTERS_IN
from services.scoring.engine.rules import Achievement, RuleSet, achieve, parse_rule_set

DEFAULT_MANUAL = Manual(realization=Reported(op="reported"))
#: windows whose target can be derived from the quarters' targets
DERIVED_WINDOWS = ("S1", "TQ3", "Y")


class Target(NamedTuple):
    """A target of the agreement for one period (a NamedTuple: thousands are built per bundle).

    ``derived_from``: the quarters a window's target was derived from when the agreement states
    none for the window (``note`` says how, e.g. "derived from Q1 + Q2")."""

    value: Decimal | None
    document: str | None
    version: int | None
    derived_from: tuple[str, ...] | None = None
    note: str | None = None


def derive_window_targets(targets: dict[str, Target], consolidation: str) -> None:
    """Fill the S1 / TQ3 / Y targets the agreement does not state from its quarterly targets, by
    the IKU's consolidation: sum → Σ of the quarters' targets, average → their mean, take last
    known value → the last stated. A target stated for the window (even "-") wins; quarters
    without a target do not count."""
    with localcontext(CONTEXT):
        for window in DERIVED_WINDOWS:
            if window in targets:
                continue
            stated = [(q, t) for q in QUARTERS_IN[window] if (t := targets.get(q)) is not None and t.value is not None]
            if not stated:
                continue
            names = tuple(q for q, _ in stated)
            values: list[Decimal] = [t.value for _, t in stated if t.value is not None]
            if consolidation == "sum":
                value, how = sum(values, ZERO), " + ".join(names)
            elif consolidation == "average":
                value, how = sum(values, ZERO) / len(values), f"the mean of {', '.join(names)}"
            else:
                names = names[-1:]
                value, how = values[-1], f"{names[0]} (take last known value)"
            documents = sorted({t.document for _, t in stated if t.document})
            targets[window] = Target(
                value, ", ".join(documents) or None, None, derived_from=names, note=f"derived from {how}"
            )


@dataclass
class Indicator:
    code: str
    name: str
    objective: str
    polarity: str
    unit: str | None
    consolidation: str
    weight: Decimal
    region_aggregation: str
    manual: Manual
    manual_version: int | None
    targets: dict[str, Target]
    measures: dict[str, dict[str, Decimal]]
    uses_evidence: bool = False  # the manual reads evidence aggregates (fetched only then)
    part_names: frozenset[str] = frozenset()
    target_values: dict[str, Decimal | None] = field(default_factory=dict)  # period → target (stated or derived)


@dataclass
class Objective:
    code: str
    name: str
    perspective: str
    weight: Decimal


@dataclass
class Prepared:
    """A bundle parsed once (manuals validated, numbers as Decimal), reusable for every period."""

    satker: dict[str, Any]
    agreement: dict[str, Any]
    rules: RuleSet
    addenda: list[dict[str, Any]]
    objectives: list[Objective]
    indicators: list[Indicator]
    closed_periods: list[str]
    as_of: str | None
    plan: RollUpPlan | None = None  # built by prepare(); None: built on first use

    def indicator(self, code: str) -> Indicator | None:
        return next((i for i in self.indicators if i.code == code), None)


@dataclass(slots=True, frozen=True)
class RollUpPlan:
    """Who rolls up into whom, resolved once per prepared bundle instead of per period: per
    objective (agreement order) the positions of its IKU in ``Prepared.indicators`` (their
    order), per perspective (rule-set order) the positions of its objectives."""

    objectives: tuple[tuple[Objective, tuple[tuple[int, Decimal, str], ...]], ...]
    perspectives: tuple[tuple[str, str | None, Decimal, tuple[int, ...]], ...]


def _plan(objectives: list[Objective], indicators: list[Indicator], rules: RuleSet) -> RollUpPlan:
    return RollUpPlan(
        tuple(
            (o, tuple((i, ind.weight, ind.code) for i, ind in enumerate(indicators) if ind.objective == o.code))
            for o in objectives
        ),
        tuple(
            (p.code, p.name, p.weight, tuple(j for j, o in enumerate(objectives) if o.perspective == p.code))
            for p in rules.perspectives
        ),
    )


class BundleError(ValueError):
    """The bundle is inconsistent (a manual or rule set the engine cannot read): path + reason."""

    def __init__(self, errors: list[tuple[str, str]]) -> None:
        super().__init__("; ".join(f"{p}: {r}" for p, r in errors))
        self.errors = errors


def _uses_evidence(manual: Manual) -> bool:
    return manual.reads_evidence  # cached on the (immutable, content-cached) manual


def prepare(bundle: Mapping[str, Any], parse: Any = parse_manual, parse_rules: Any = parse_rule_set) -> Prepared:
    """``parse`` / ``parse_rules``: how manuals and the rule set are parsed; the service passes
    content-keyed caches (:mod:`services.scoring.domain.manuals`), the default parses every time."""
    from services.scoring.engine.manual import ManualError
    from services.scoring.engine.rules import RuleSetError

    rs = bundle.get("rule_set") or {}
    try:
        rules = parse_rules(rs.get("code", "?"), int(rs.get("version", 0)), rs.get("document"))
    except RuleSetError as exc:
        raise BundleError([(f"rule_set.document.{p}", r) for p, r in exc.errors]) from None
    indicators: list[Indicator] = []
    for i, ind in enumerate(bundle.get("indicators") or []):
        manual_doc = (ind.get("manual") or {}).get("document")
        try:
            manual = parse(manual_doc) if manual_doc else DEFAULT_MANUAL
        except ManualError as exc:
            raise BundleError([(f"indicators[{i}].manual.document.{p}", r) for p, r in exc.errors]) from None
        targets: dict[str, Target] = {}
        for period, t in (ind.get("targets") or {}).items():
            if t is not None:
                v = t.get("value")
                targets[period] = Target(
                    None if v is None else (Decimal(repr(v)) if type(v) is float else to_decimal(v)),
                    t.get("document"),
                    t.get("version"),
                )
        consolidation = ind.get("consolidation") or "take_last_known_value"
        derive_window_targets(targets, consolidation)
        indicators.append(
            Indicator(
                code=ind["code"],
                name=ind.get("name", ind["code"]),
                objective=ind["objective"],
                polarity=ind.get("polarity", "max"),
                unit=ind.get("unit"),
                consolidation=consolidation,
                weight=to_decimal(ind.get("weight", 1) or 1),
                region_aggregation=ind.get("region_aggregation") or "own",
                manual=manual,
                manual_version=(ind.get("manual") or {}).get("version"),
                targets=targets,
                measures=normalise_measures(ind.get("measures")),
                uses_evidence=_uses_evidence(manual),
                target_values={p: t.value for p, t in targets.items()},
            )
        )
        indicators[-1].part_names = part_names(indicators[-1].measures)
    objectives = [
        Objective(o["code"], o.get("name", o["code"]), o["perspective"], to_decimal(o.get("weight", 1) or 1))
        for o in bundle.get("objectives") or []
    ]
    return Prepared(
        satker=dict(bundle.get("satker") or {}),
        agreement=dict(bundle.get("agreement") or {}),
        rules=rules,
        addenda=list(bundle.get("addenda") or []),
        objectives=objectives,
        indicators=indicators,
        closed_periods=list(bundle.get("closed_periods") or []),
        as_of=bundle.get("as_of"),
        plan=_plan(objectives, indicators, rules),
    )


@dataclass(slots=True)
class IkuScore:
    indicator: Indicator
    period: str
    target: Target | None
    realization: Decimal | None
    unrounded_realization: Decimal | None
    achievement: Achievement
    trace: list[Step] | None = None
    inputs: dict[str, dict[str, Decimal]] | None = None


@dataclass
class ObjectiveScore:
    objective: Objective
    index: Decimal | None
    included: list[str]
    excluded: list[str]


@dataclass
class PerspectiveScore:
    code: str
    name: str | None
    weight: Decimal
    index: Decimal | None
    objectives: list[str]


@dataclass
class Scorecard:
    prepared: Prepared
    period: str
    indicators: list[IkuScore]
    objectives: list[ObjectiveScore]
    perspectives: list[PerspectiveScore]
    nko: Decimal | None
    predicate: str | None
    partial: bool
    notes: list[str] = field(default_factory=list)

    def iku(self, code: str) -> IkuScore | None:
        return next((s for s in self.indicators if s.indicator.code == code), None)


def realise(
    ind: Indicator,
    period: str,
    *,
    evidence: Evidence | None = None,
    trace: bool = False,
    measures: Mapping[str, Mapping[str, Decimal]] | None = None,
) -> tuple[Decimal | None, Decimal | None, list[Step] | None, dict[str, dict[str, Decimal]] | None]:
    """Realisation of one IKU in one period (and the unrounded value, trace and inputs read)."""
    with localcontext(CONTEXT):
        value, exact, ev = _realise(ind, period, evidence, trace, measures)
    return value, exact, ev.trace, ev.used


def _realise(
    ind: Indicator,
    period: str,
    evidence: Evidence | None,
    trace: bool,
    measures: Mapping[str, Mapping[str, Decimal]] | None = None,
    ev: Evaluator | None = None,
) -> tuple[Decimal | None, Decimal | None, Evaluator]:
    """:func:`realise` inside the caller's :data:`CONTEXT` (the scorecard enters it once).

    ``ev``: an evaluator to reuse (a scorecard resets one per IKU instead of building 16)."""
    manual = ind.manual
    if ev is None or trace:
        ev = Evaluator(
            measures if measures is not None else ind.measures,
            ind.consolidation,
            evidence or _NO_EVIDENCE,
            manual.tables,
            [] if trace else None,
            {} if trace else None,
            ind.part_names if measures is None else part_names(measures),
            ind.target_values,
            [],
            period,
        )
    else:
        ev.measures, ev.consolidation, ev.evidence, ev.tables = (
            ind.measures,
            ind.consolidation,
            evidence or _NO_EVIDENCE,
            manual.tables,
        )
        ev.names, ev.targets, ev.period = ind.part_names, ind.target_values, period
        if ev.missing:
            ev.missing = []
        if ev.memo:  # the evidence facts of the previous IKU
            ev.memo = {}
    value = manual.compiled(ev)
    exact = value
    if value is not None and manual.precision is not None:
        value = rounded(value, manual.precision)
    return value, exact, ev


_NO_EVIDENCE: Evidence = {}


def score_indicator(
    prepared: Prepared, ind: Indicator, period: str, *, evidence: Evidence | None = None, trace: bool = False
) -> IkuScore:
    with localcontext(CONTEXT):
        return _score_indicator(prepared.rules, ind, period, evidence, trace)


def _score_indicator(
    rules: RuleSet, ind: Indicator, period: str, evidence: Evidence | None, trace: bool, ev: Evaluator | None = None
) -> IkuScore:
    value, exact, ev = _realise(ind, period, evidence, trace, None, ev)
    target = ind.targets.get(period)
    target_value = target.value if target else None
    worst = None
    if target_value == 0 and ind.manual.compiled_worst is not None and value is not None:
        worst = ind.manual.compiled_worst(ev)
    if value is None and ev.missing:
        ach = Achievement(
            None,
            None,
            "grey",
            None,
            f"no data yet: {', '.join(ev.missing)} of the window {period} has a target but no realisation",
        )
    else:
        ach = achieve(rules, ind.polarity, value, target_value, ind.manual, worst)
    return IkuScore(ind, period, target, value, exact, ach, ev.trace, ev.used)


def score(
    prepared: Prepared, period: str, *, evidence: Mapping[str, Evidence] | None = None, trace: bool = False
) -> Scorecard:
    """Score every IKU of the bundle for ``period`` and roll up. ``evidence``: indicator → inputs.

    Without ``trace`` this is the hot path of every scores request (ADR 0004, speed): one
    evaluator and one Decimal context for the whole scorecard, the per-IKU steps of
    :func:`_score_indicator` inlined. The traced path computes the same numbers the long way
    (tests compare both)."""
    evidence = evidence or {}
    rules = prepared.rules
    if trace:
        with localcontext(CONTEXT):
            ikus = [_score_indicator(rules, ind, period, evidence.get(ind.code), True) for ind in prepared.indicators]
        return roll_up(prepared, period, ikus)
    ev = Evaluator({}, period=period)
    no_evidence = _NO_EVIDENCE
    ikus = []
    append = ikus.append
    with localcontext(CONTEXT):
        for ind in prepared.indicators:
            manual = ind.manual
            ev.measures, ev.consolidation, ev.tables = ind.measures, ind.consolidation, manual.tables
            ev.evidence = evidence.get(ind.code) or no_evidence
            ev.names, ev.targets = ind.part_names, ind.target_values
            if ev.missing:
                ev.missing = []
            if ev.memo:  # the evidence facts of the previous IKU
                ev.memo = {}
            value = exact = manual.compiled(ev)
            if value is not None and manual.precision is not None:
                value = rounded(value, manual.precision)
            target = ind.targets.get(period)
            target_value = target.value if target else None
            if value is None and ev.missing:
                ach = Achievement(
                    None,
                    None,
                    "grey",
                    None,
                    f"no data yet: {', '.join(ev.missing)} of the window {period} has a target but no realisation",
                )
            else:
                worst = None
                if target_value == 0 and manual.compiled_worst is not None and value is not None:
                    worst = manual.compiled_worst(ev)
                ach = achieve(rules, ind.polarity, value, target_value, manual, worst)
            append(IkuScore(ind, period, target, value, exact, ach))
    return roll_up(prepared, period, ikus)


def ikus_of(ikus: list[IkuScore]) -> Iterator[Indicator]:
    return (s.indicator for s in ikus)


def roll_up(prepared: Prepared, period: str, ikus: list[IkuScore]) -> Scorecard:
    """``ikus`` in the order of ``prepared.indicators`` (as :func:`score` makes them)."""
    plan = prepared.plan
    if plan is None or len(ikus) != len(prepared.indicators) or any(map(is_not, ikus_of(ikus), prepared.indicators)):
        plan = _plan(prepared.objectives, list(ikus_of(ikus)), prepared.rules)
    notes: list[str] = []
    indices = [s.achievement.index for s in ikus]
    partial = None in indices
    objectives: list[ObjectiveScore] = []
    with localcontext(CONTEXT):
        for o, members in plan.objectives:
            inc: list[tuple[Decimal, Decimal]] = []
            inc_codes: list[str] = []
            exc: list[str] = []
            for pos, weight, code in members:
                i = indices[pos]
                if i is None:
                    exc.append(code)
                else:
                    inc.append((weight, i))
                    inc_codes.append(code)
            if exc:
                notes.append(f"{o.code}: {', '.join(exc)} without index, excluded from the mean")
            index = None
            if inc:
                wsum = sum([w for w, _ in inc], ZERO)
                if wsum:
                    index = sum([w * i for w, i in inc], ZERO) / wsum
                else:
                    partial = True
            else:
                partial = True
            objectives.append(ObjectiveScore(o, index, inc_codes, exc))
        perspectives: list[PerspectiveScore] = []
        renormalised = False
        for code, name, weight, positions in plan.perspectives:
            known = [objectives[j] for j in positions if objectives[j].index is not None]
            index = None
            if known:
                wsum = sum([os.objective.weight for os in known], ZERO)
                if wsum:
                    index = sum([os.objective.weight * os.index for os in known], ZERO) / wsum  # type: ignore[operator]
            if index is None:
                renormalised = True
            perspectives.append(PerspectiveScore(code, name, weight, index, [os.objective.code for os in known]))
        partial = partial or renormalised
        nko: Decimal | None = None
        known_p = [p for p in perspectives if p.index is not None]
        if known_p:
            nko = sum([p.weight * p.index for p in known_p], ZERO)  # type: ignore[operator]
            if renormalised:
                w_all = sum([p.weight for p in perspectives], ZERO)
                w_known = sum([p.weight for p in known_p], ZERO)
                if w_known:
                    nko = nko * w_all / w_known
                    notes.append(
                        "NKO over the perspectives with an index only, weights renormalised: "
                        + ", ".join(p.code for p in perspectives if p.index is None)
                        + " without index"
                    )
    predicate = prepared.rules.predicate(nko)
    return Scorecard(prepared, period, ikus, objectives, perspectives, nko, predicate, partial, notes)
