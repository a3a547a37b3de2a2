"""From a registry bundle to a scorecard: IKU indices, SS, perspectives, NKO, predicate.

Roll-up (DOMAIN §4, rule set §7):
* SS index = weighted mean of its IKU indices (IKU weights from the agreement);
* perspective index = mean of its SS indices (weighted by SS weight, all 1 in practice);
* NKO = Σ perspective weight × perspective index; predicate from the rule set's bands.
An IKU without index (no realisation, no target, target 0) is EXCLUDED from the means — never
counted as 0 — and the scorecard says so. If a whole perspective has no index, the NKO is taken
over the perspectives that have one with their weights renormalised, and flagged ``partial``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal, localcontext
from typing import Any

from bench.engine_before.evaluate import Evaluator, Evidence, Step, normalise_measures, part_names
from bench.engine_before.manual import Manual, Reported, parse_manual
from bench.engine_before.numbers import CONTEXT, ZERO, rounded, to_decimal
from bench.engine_before.rules import Achievement, RuleSet, achievement, parse_rule_set

DEFAULT_MANUAL = Manual(realization=Reported(op="reported"))


@dataclass(frozen=True)
class Target:
    value: Decimal | None
    document: str | None
    version: int | None


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

    def indicator(self, code: str) -> Indicator | None:
        return next((i for i in self.indicators if i.code == code), None)


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
    from bench.engine_before.manual import ManualError
    from bench.engine_before.rules import RuleSetError

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
        targets = {
            period: Target(
                None if t.get("value") is None else to_decimal(t["value"]), t.get("document"), t.get("version")
            )
            for period, t in (ind.get("targets") or {}).items()
            if t is not None
        }
        indicators.append(
            Indicator(
                code=ind["code"],
                name=ind.get("name", ind["code"]),
                objective=ind["objective"],
                polarity=ind.get("polarity", "max"),
                unit=ind.get("unit"),
                consolidation=ind.get("consolidation") or "take_last_known_value",
                weight=to_decimal(ind.get("weight", 1) or 1),
                region_aggregation=ind.get("region_aggregation") or "own",
                manual=manual,
                manual_version=(ind.get("manual") or {}).get("version"),
                targets=targets,
                measures=normalise_measures(ind.get("measures")),
                uses_evidence=_uses_evidence(manual),
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
    )


@dataclass
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
    ev = Evaluator(
        measures=measures if measures is not None else ind.measures,
        consolidation=ind.consolidation,
        evidence=evidence or {},
        tables=ind.manual.tables,
        trace=[] if trace else None,
        used={} if trace else None,
        names=ind.part_names if measures is None else part_names(measures),
    )
    value = ev.evaluate(ind.manual.realization, period)
    exact = value
    if value is not None and ind.manual.precision is not None:
        value = rounded(value, ind.manual.precision)
    return value, exact, ev.trace, ev.used


def score_indicator(
    prepared: Prepared, ind: Indicator, period: str, *, evidence: Evidence | None = None, trace: bool = False
) -> IkuScore:
    value, exact, steps, used = realise(ind, period, evidence=evidence, trace=trace)
    target = ind.targets.get(period)
    ach = achievement(
        rules=prepared.rules,
        polarity=ind.polarity,
        realization=value,
        target=target.value if target else None,
        manual=ind.manual,
    )
    return IkuScore(ind, period, target, value, exact, ach, steps, used)


def score(
    prepared: Prepared, period: str, *, evidence: Mapping[str, Evidence] | None = None, trace: bool = False
) -> Scorecard:
    """Score every IKU of the bundle for ``period`` and roll up. ``evidence``: indicator → inputs."""
    evidence = evidence or {}
    ikus = [
        score_indicator(prepared, ind, period, evidence=evidence.get(ind.code), trace=trace)
        for ind in prepared.indicators
    ]
    return roll_up(prepared, period, ikus)


def roll_up(prepared: Prepared, period: str, ikus: list[IkuScore]) -> Scorecard:
    notes: list[str] = []
    with localcontext(CONTEXT):
        by_obj: dict[str, list[IkuScore]] = {}
        for s in ikus:
            by_obj.setdefault(s.indicator.objective, []).append(s)
        objectives: list[ObjectiveScore] = []
        for o in prepared.objectives:
            members = by_obj.get(o.code, [])
            inc = [(s, s.achievement.index) for s in members if s.achievement.index is not None]
            exc = [s.indicator.code for s in members if s.achievement.index is None]
            if exc:
                notes.append(f"{o.code}: {', '.join(exc)} without index, excluded from the mean")
            wsum = sum((s.indicator.weight for s, _ in inc), ZERO)
            index = sum((s.indicator.weight * i for s, i in inc), ZERO) / wsum if inc and wsum else None
            objectives.append(ObjectiveScore(o, index, [s.indicator.code for s, _ in inc], exc))
        perspectives: list[PerspectiveScore] = []
        for p in prepared.rules.perspectives:
            members_o = [os for os in objectives if os.objective.perspective == p.code]
            known = [os for os in members_o if os.index is not None]
            wsum = sum((os.objective.weight for os in known), ZERO)
            index = (
                sum((os.objective.weight * os.index for os in known), ZERO) / wsum  # type: ignore[operator]
                if known and wsum
                else None
            )
            perspectives.append(PerspectiveScore(p.code, p.name, p.weight, index, [os.objective.code for os in known]))
        known_p = [p for p in perspectives if p.index is not None]
        partial = len(known_p) != len(perspectives)
        nko: Decimal | None = None
        if known_p:
            w_all = sum((p.weight for p in perspectives), ZERO)
            w_known = sum((p.weight for p in known_p), ZERO)
            nko = sum((p.weight * p.index for p in known_p), ZERO)  # type: ignore[operator]
            if partial and w_known:
                nko = nko * w_all / w_known
                notes.append(
                    "NKO over the perspectives with an index only, weights renormalised: "
                    + ", ".join(p.code for p in perspectives if p.index is None)
                    + " without index"
                )
    predicate = prepared.rules.predicate(nko)
    return Scorecard(prepared, period, ikus, objectives, perspectives, nko, predicate, partial, notes)
