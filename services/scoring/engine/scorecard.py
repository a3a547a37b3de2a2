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
from operator import is_not, mul
from typing import Any, NamedTuple

from services.scoring.engine.evaluate import (
    Evaluator,
    Evidence,
    Step,
    has_none,
    normalise_measures,
    part_names,
)
from services.scoring.engine.manual import Manual, Reported, parse_manual
from services.scoring.engine.numbers import CONTEXT, ZERO, rounded, to_decimal
from services.scoring.engine.periods import QUARTERS_IN
from services.scoring.engine.rules import Achievement, RuleSet, achieve, parse_rule_set

DEFAULT_MANUAL = Manual(realization=Reported(op="reported"))
#: windows whose target can be derived from the quarters' targets
DERIVED_WINDOWS = ("S1", "TQ3", "Y")
_DERIVED = frozenset(DERIVED_WINDOWS)


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
    if targets.keys() >= _DERIVED:  # every window stated: nothing to derive (the common case)
        return
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
    """A bundle parsed once (manuals validated, numbers as Decimal), reusable for every period.

    Read-only once :func:`prepare` made it: ``plan`` (what every period's scoring shares) is
    derived from its indicators and objectives."""

    satker: dict[str, Any]
    agreement: dict[str, Any]
    rules: RuleSet
    addenda: list[dict[str, Any]]
    objectives: list[Objective]
    indicators: list[Indicator]
    closed_periods: list[str]
    as_of: str | None
    plan: ScorePlan | None = None  # built by prepare(); None: built on first use
    #: the reporting cycle per quarter at ``as_of`` (bundle ``cycle``, ADR 0020): state, on_time, ...
    cycle: dict[str, Any] = field(default_factory=dict)

    def indicator(self, code: str) -> Indicator | None:
        return next((i for i in self.indicators if i.code == code), None)


@dataclass(slots=True)
class ObjectivePlan:
    objective: Objective
    positions: tuple[int, ...]  # of its IKU in Prepared.indicators (their order)
    weights: tuple[Decimal, ...]
    codes: tuple[str, ...]
    weight_sum: Decimal  # Σ weights in CONTEXT, in order: the divisor when every IKU has an index


@dataclass(slots=True)
class PerspectivePlan:
    code: str
    name: str | None
    weight: Decimal
    positions: tuple[int, ...]  # of its objectives in Prepared.objectives (their order)
    weights: tuple[Decimal, ...]
    codes: tuple[str, ...]
    weight_sum: Decimal


#: what the scoring loop reads of one indicator, unpacked at once (instead of ten attribute reads)
IndicatorRow = tuple[
    "Indicator",
    str,  # code
    dict[str, dict[str, Decimal]],  # measures
    str,  # consolidation
    frozenset[str],  # part names
    dict[str, Decimal | None],  # target values
    Manual,
    Mapping[str, Mapping[str, Decimal]],  # the manual's tables
    Any,  # the manual's value-only closure
    int | None,  # the manual's precision
]


@dataclass(slots=True)
class ScorePlan:
    """What every period's scoring of one prepared bundle shares, resolved once: the indicator
    rows, and who rolls up into whom — per objective (agreement order) its IKU, per perspective
    (rule-set order) its objectives, with their weights and weight sums (the same sums, in the
    same order and context, as the roll-up takes when nothing is left out)."""

    rows: tuple[IndicatorRow, ...]  # Prepared.indicators, in order
    objectives: tuple[ObjectivePlan, ...]
    perspectives: tuple[PerspectivePlan, ...]
    perspective_weights: tuple[Decimal, ...]


def _plan(objectives: list[Objective], indicators: list[Indicator], rules: RuleSet) -> ScorePlan:
    rows = tuple(
        (
            ind,
            ind.code,
            ind.measures,
            ind.consolidation,
            ind.part_names,
            ind.target_values,
            ind.manual,
            ind.manual.tables,
            ind.manual.compiled,
            ind.manual.precision,
        )
        for ind in indicators
    )
    by_objective: dict[str, list[int]] = {}
    for i, ind in enumerate(indicators):
        by_objective.setdefault(ind.objective, []).append(i)
    by_perspective: dict[str, list[int]] = {}
    for j, o in enumerate(objectives):
        by_perspective.setdefault(o.perspective, []).append(j)
    with localcontext(CONTEXT):
        objective_plans = []
        for o in objectives:
            positions = tuple(by_objective.get(o.code, ()))
            weights = tuple(indicators[i].weight for i in positions)
            codes = tuple(indicators[i].code for i in positions)
            objective_plans.append(ObjectivePlan(o, positions, weights, codes, sum(weights, ZERO)))
        perspective_plans = []
        for p in rules.perspectives:
            positions = tuple(by_perspective.get(p.code, ()))
            weights = tuple(objectives[j].weight for j in positions)
            codes = tuple(objectives[j].code for j in positions)
            perspective_plans.append(
                PerspectivePlan(p.code, p.name, p.weight, positions, weights, codes, sum(weights, ZERO))
            )
    return ScorePlan(
        rows, tuple(objective_plans), tuple(perspective_plans), tuple(p.weight for p in rules.perspectives)
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
    content-keyed caches (:mod:`services.scoring.service.manuals`), the default parses every time."""
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
                if v is not None:
                    v = Decimal(_float_repr(v)) if type(v) is float else to_decimal(v)
                # Target(v, document, version) without the Python-level __new__ of a NamedTuple
                targets[period] = _new_target(Target, (v, t.get("document"), t.get("version"), None, None))
        consolidation = ind["consolidation"]  # contract fields are required (contracts/bundle.py)
        derive_window_targets(targets, consolidation)
        indicators.append(
            Indicator(
                code=ind["code"],
                name=ind["name"],
                objective=ind["objective"],
                polarity=ind["polarity"],
                unit=ind.get("unit"),
                consolidation=consolidation,
                weight=to_decimal(ind["weight"]),
                region_aggregation=ind["region_aggregation"],
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
        cycle=dict(bundle.get("cycle") or {}),
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


@dataclass(slots=True)
class ObjectiveScore:
    objective: Objective
    index: Decimal | None
    included: list[str]
    excluded: list[str]


@dataclass(slots=True)
class PerspectiveScore:
    code: str
    name: str | None
    weight: Decimal
    index: Decimal | None
    objectives: list[str]


@dataclass(slots=True)
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
    cycle: Mapping[str, Any] | None = None,
) -> tuple[Decimal | None, Decimal | None, list[Step] | None, dict[str, dict[str, Decimal]] | None]:
    """Realisation of one IKU in one period (and the unrounded value, trace and inputs read)."""
    with localcontext(CONTEXT):
        value, exact, ev = _realise(ind, period, evidence, trace, measures, cycle=cycle)
    return value, exact, ev.trace, ev.used


def _realise(
    ind: Indicator,
    period: str,
    evidence: Evidence | None,
    trace: bool,
    measures: Mapping[str, Mapping[str, Decimal]] | None = None,
    ev: Evaluator | None = None,
    cycle: Mapping[str, Any] | None = None,
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
    ev.parts = ev.measures.get(period)
    if cycle is not None:  # the reporting cycle, for {op: on_time_reports} (ADR 0024)
        ev.cycle = cycle
    value = manual.traced(ev) if ev.trace is not None or ev.used is not None else manual.compiled(ev)
    exact = value
    if value is not None and manual.precision is not None:
        value = rounded(value, manual.precision)
    return value, exact, ev


_NO_EVIDENCE: Evidence = {}
_float_repr = float.__repr__
_new_target = tuple.__new__


def score_indicator(
    prepared: Prepared, ind: Indicator, period: str, *, evidence: Evidence | None = None, trace: bool = False
) -> IkuScore:
    with localcontext(CONTEXT):
        return _score_indicator(prepared.rules, ind, period, evidence, trace, cycle=prepared.cycle)


def _score_indicator(
    rules: RuleSet,
    ind: Indicator,
    period: str,
    evidence: Evidence | None,
    trace: bool,
    ev: Evaluator | None = None,
    cycle: Mapping[str, Any] | None = None,
) -> IkuScore:
    value, exact, ev = _realise(ind, period, evidence, trace, None, ev, cycle)
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
    ikus: list[IkuScore]
    if trace:
        with localcontext(CONTEXT):
            ikus = [
                _score_indicator(rules, ind, period, evidence.get(ind.code), True, cycle=prepared.cycle)
                for ind in prepared.indicators
            ]
        return roll_up(prepared, period, ikus)
    plan = prepared.plan
    if plan is None or len(plan.rows) != len(prepared.indicators):
        plan = prepared.plan = _plan(prepared.objectives, prepared.indicators, rules)
    ev = Evaluator({}, period=period)
    ev.cycle = prepared.cycle
    no_evidence = _NO_EVIDENCE
    ikus = []
    append = ikus.append
    with localcontext(CONTEXT):
        for ind, code, measures, consolidation, names, target_values, manual, tables, compiled, precision in plan.rows:
            ev.measures, ev.consolidation, ev.tables, ev.names, ev.targets = (
                measures,
                consolidation,
                tables,
                names,
                target_values,
            )
            ev.evidence = evidence.get(code) or no_evidence
            ev.parts = measures.get(period)
            if ev.missing:
                ev.missing = []
            if ev.memo:  # the evidence facts of the previous IKU
                ev.memo = {}
            value = exact = compiled(ev)
            if precision is not None and value is not None:
                value = rounded(value, precision)
            target_value = target_values.get(period)
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
                if target_value is not None and not target_value and value is not None:
                    worst_fn = manual.compiled_worst
                    worst = None if worst_fn is None else worst_fn(ev)
                ach = achieve(rules, ind.polarity, value, target_value, manual, worst)
            append(IkuScore(ind, period, ind.targets.get(period), value, exact, ach))
    return _roll_up(prepared, period, ikus, plan)


def ikus_of(ikus: list[IkuScore]) -> Iterator[Indicator]:
    return (s.indicator for s in ikus)


def roll_up(prepared: Prepared, period: str, ikus: list[IkuScore]) -> Scorecard:
    """SS, perspectives, NKO and predicate of the IKU scores ``ikus``."""
    plan = prepared.plan
    if plan is None or len(ikus) != len(prepared.indicators) or any(map(is_not, ikus_of(ikus), prepared.indicators)):
        plan = _plan(prepared.objectives, list(ikus_of(ikus)), prepared.rules)  # not the prepared IKU, in order
    return _roll_up(prepared, period, ikus, plan)


def _roll_up(prepared: Prepared, period: str, ikus: list[IkuScore], plan: ScorePlan) -> Scorecard:
    """:func:`roll_up` with ``plan`` made for ``ikus``. Every mean is Σ (weight × index) / Σ weight
    over the members with an index, summed from ``ZERO`` in member order: where no member is left
    out the plan's weight sum is that same divisor, and ``sum(map(mul, ...))`` the same sum."""
    notes: list[str] = []
    indices = [s.achievement.index for s in ikus]
    partial = has_none(indices)
    objectives: list[ObjectiveScore] = []
    ss_indices: list[Decimal | None] = []
    every = not partial  # every IKU has an index (the common case): no member is left out
    with localcontext(CONTEXT):
        for op in plan.objectives:
            values = [indices[i] for i in op.positions]
            index: Decimal | None = None
            if values and (every or not has_none(values)):
                wsum = op.weight_sum
                if wsum:
                    index = sum(map(mul, op.weights, values), ZERO) / wsum
                objectives.append(ObjectiveScore(op.objective, index, list(op.codes), []))
            else:
                inc = [(w, v, c) for w, v, c in zip(op.weights, values, op.codes, strict=True) if v is not None]
                exc = [c for v, c in zip(values, op.codes, strict=True) if v is None]
                if exc:
                    notes.append(f"{op.objective.code}: {', '.join(exc)} without index, excluded from the mean")
                if inc:
                    wsum = sum([w for w, _, _ in inc], ZERO)
                    if wsum:
                        index = sum([w * v for w, v, _ in inc], ZERO) / wsum
                objectives.append(ObjectiveScore(op.objective, index, [c for _, _, c in inc], exc))
            if index is None:
                partial = True
            ss_indices.append(index)
        perspectives: list[PerspectiveScore] = []
        p_indices: list[Decimal | None] = []
        for pp in plan.perspectives:
            values = [ss_indices[j] for j in pp.positions]
            index = None
            if values and not has_none(values):
                if pp.weight_sum:
                    index = sum(map(mul, pp.weights, values), ZERO) / pp.weight_sum
                included = list(pp.codes)
            else:
                known = [(w, v) for w, v in zip(pp.weights, values, strict=True) if v is not None]
                included = [c for v, c in zip(values, pp.codes, strict=True) if v is not None]
                if known:
                    wsum = sum([w for w, _ in known], ZERO)
                    if wsum:
                        index = sum([w * v for w, v in known], ZERO) / wsum
            perspectives.append(PerspectiveScore(pp.code, pp.name, pp.weight, index, included))
            p_indices.append(index)
        nko: Decimal | None = None
        if not p_indices:
            pass  # a rule set has at least one perspective; without one there is no NKO
        elif not has_none(p_indices):
            nko = sum(map(mul, plan.perspective_weights, p_indices), ZERO)
        else:
            partial = True  # a whole perspective without index: the NKO over the others
            known_p = [p for p in perspectives if p.index is not None]
            if known_p:
                nko = sum([p.weight * p.index for p in known_p], ZERO)  # type: ignore[operator]
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
