"""Evaluate a manual's realisation for one period from measures and evidence inputs.

Pure and total: a missing input gives ``None`` (no data), and every operator propagates or
drops ``None`` by its meaning (a sum of nothing is nothing; a weighted component without data is
N/A and drops out). With ``trace`` on, every node records its JSON path, op and value, which is
what the explain endpoint shows.

Speed (ADR 0004): a manual is *compiled* once per parsed manual (:func:`compile_expr`, cached on
the immutable :class:`~services.scoring.engine.manual.Manual`) into nested closures: the tree is
walked once, the dispatch on the node type, the attribute reads of the pydantic models, the JSON
paths and the constant weight sums are resolved at compile time, and evaluating an IKU is a chain
of plain function calls. The closures run inside the caller's Decimal context (:data:`CONTEXT`,
entered once per scorecard, not once per node). Each manual has two compilations: the traced
closures (:func:`compile_expr`, ``Manual.traced``: explain trace and inputs read) and the
value-only ones (:func:`compile_plain`, ``Manual.compiled``) that scoring runs — the same
operations without a trace test or a note formatted per node.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, localcontext
from itertools import compress, repeat
from operator import is_not
from typing import Any

from services.scoring.engine import manual as m
from services.scoring.engine.numbers import CONTEXT, HUNDRED, ZERO, rounded, to_decimal
from services.scoring.engine.periods import QUARTERS_IN, WINDOWS, window_months

Measures = Mapping[str, Mapping[str, Decimal]]
Evidence = Mapping[str, Mapping[str, Any]]


def _last_known_order() -> dict[str, tuple[str, ...]]:
    """For each period: the periods inside its window, latest end first, longer window first."""
    out: dict[str, tuple[str, ...]] = {}
    for p, months in WINDOWS.items():
        inside = [q for q, qm in WINDOWS.items() if set(qm) <= set(months)]
        inside.sort(key=lambda q: (-max(WINDOWS[q]), -len(WINDOWS[q])))
        out[p] = tuple(inside)
    return out


LAST_KNOWN = _last_known_order()
_NO_TARGETS: Mapping[str, Decimal | None] = {}


def part_names(measures: Measures) -> frozenset[str]:
    return frozenset().union(*measures.values())  # the keys of every period's parts, in C


def normalise_measures(raw: Mapping[str, Mapping[str, Any]] | None) -> dict[str, dict[str, Decimal]]:
    """Bundle measures (JSON numbers) → Decimals; ``null`` values are dropped (= not reported).

    The hottest loop of :func:`~services.scoring.engine.scorecard.prepare` (hundreds of values per
    bundle): JSON floats and ints, by far the common cases, take :func:`to_decimal`'s branches
    inline (the exact ``type`` also keeps booleans out, which ``to_decimal`` refuses)."""
    out: dict[str, dict[str, Decimal]] = {}
    for period, parts in (raw or {}).items():
        converted: dict[str, Decimal] = {}
        out[period] = converted
        if parts:
            for k, v in parts.items():
                t = type(v)  # exact types: a bool (an int subclass) goes to to_decimal, which refuses it
                if t is float:
                    converted[k] = Decimal(_float_repr(v))
                elif t is int:
                    converted[k] = Decimal(v)
                elif v is not None:
                    converted[k] = to_decimal(v)
    return out


_float_repr = float.__repr__


@dataclass
class Step:
    path: str
    op: str
    value: Decimal | None
    note: str | None = None


@dataclass(slots=True)
class Evaluator:
    """The inputs of one evaluation; :meth:`evaluate` runs a (compiled) expression over them.

    ``targets``: the agreement's targets per period (stated or derived), for ``{op: target}`` and
    for the completeness of sum/average windows; ``missing`` collects the quarters that have a
    target but no realisation (the reason of a "no data yet")."""

    measures: Measures
    consolidation: str = "take_last_known_value"
    evidence: Evidence = field(default_factory=dict)
    tables: Mapping[str, Mapping[str, Decimal]] = field(default_factory=dict)
    trace: list[Step] | None = None
    used: dict[str, dict[str, Decimal]] | None = None  # inputs read (explain), period → part → value
    names: frozenset[str] | None = None  # every part name present in any period (skips hopeless window walks)
    targets: Mapping[str, Decimal | None] = field(default_factory=dict)
    missing: list[str] = field(default_factory=list)
    period: str = "Y"
    memo: dict[str, Decimal | None] = field(default_factory=dict)  # evidence facts of this evaluation
    #: ``measures[period]``, looked up once per evaluation for the plain closures (set with
    #: ``period`` by :meth:`run` and the scorecard; ``None`` only makes them take the long way)
    parts: Mapping[str, Decimal] | None = None
    #: the reporting cycle per quarter (bundle ``cycle``: state, submitted_at, due, on_time), read
    #: by ``{op: on_time_reports}``; empty: no cycle known (the node then has no value)
    cycle: Mapping[str, Any] = field(default_factory=dict)

    # -- inputs --------------------------------------------------------------------------
    def _read(self, period: str, name: str) -> Decimal | None:
        parts = self.measures.get(period)
        v = parts.get(name) if parts else None
        if v is not None and self.used is not None:
            self.used.setdefault(period, {})[name] = v
        return v

    def part(self, name: str, period: str) -> Decimal | None:
        """An additive part over the window: reported for the period itself, else Σ months, else Σ quarters."""
        if self.names is not None and name not in self.names:
            return None
        v = self._read(period, name)
        if v is not None:
            return v
        total: Decimal | None = None
        if self.used is None:  # the same walk without recording the inputs read
            measures = self.measures
            for month in window_months(period):
                month_parts = measures.get(month)
                if month_parts:
                    mv = month_parts.get(name)
                    if mv is not None:
                        total = mv if total is None else total + mv
        else:
            for month in window_months(period):
                mv = self._read(month, name)
                if mv is not None:
                    total = mv if total is None else total + mv
        if total is not None:
            return total
        quarters = QUARTERS_IN.get(period, ())
        if len(quarters) > 1:
            for q in quarters:
                qv = self.part(name, q)
                if qv is not None:
                    total = qv if total is None else total + qv
        return total

    def reported(self, name: str, period: str) -> Decimal | None:
        """A reported value, consolidated over the window per the IKU's consolidation rule.

        Sum / average over quarters: when some quarter of the window has a target, only the
        quarters with a target count, and one of them without a realisation makes the window
        "no data yet" (``missing``) instead of a sum of whatever happens to be there. Take last
        known value keeps the last known value."""
        if self.names is not None and name not in self.names:
            return None
        v = self._read(period, name)
        if v is not None:
            return v
        if self.consolidation == "take_last_known_value":
            for p in LAST_KNOWN.get(period, ())[1:]:
                v = self._read(p, name)
                if v is not None:
                    return v
            return None
        quarters = QUARTERS_IN.get(period, ())
        values: list[Decimal] = []
        if len(quarters) > 1:
            targets = self.targets
            counted = [q for q in quarters if targets.get(q) is not None] or list(quarters)
            missing: list[str] = []
            for q in counted:
                x = self._quarter(name, q)
                if x is not None:
                    values.append(x)
                elif targets.get(q) is not None:
                    missing.append(q)
            if missing:
                self.missing.extend(missing)
                return None
        if not values:
            values = [x for x in (self._read(mm, name) for mm in window_months(period)) if x is not None]
        if not values:
            return None
        if self.consolidation == "sum":
            return sum(values, ZERO)
        return sum(values, ZERO) / len(values)  # average

    def _quarter(self, name: str, quarter: str) -> Decimal | None:
        v = self._read(quarter, name)
        if v is not None:
            return v
        months = [x for x in (self._read(mm, name) for mm in window_months(quarter)) if x is not None]
        if not months:
            return None
        total = sum(months, ZERO)
        return total if self.consolidation == "sum" else total / len(months)

    # -- evaluation ------------------------------------------------------------------------
    def evaluate(self, node: Any, period: str, path: str = "realization") -> Decimal | None:
        """Compile ``node`` (use :func:`compile_expr` once and :meth:`run` for repeated calls)."""
        return self.run(compile_expr(node, path), period)

    def run(self, fn: Compiled, period: str) -> Decimal | None:
        self.period = period
        self.parts = self.measures.get(period)
        if self.memo:
            self.memo = {}
        with localcontext(CONTEXT):
            return fn(self)


#: a compiled expression: the evaluator (inputs + period) → value
Compiled = Callable[[Evaluator], Decimal | None]


# ------------------------------------------------------------------------------ compilation


def compile_expr(node: Any, path: str = "realization") -> Compiled:
    """The closure that evaluates ``node`` (a validated manual expression) for an evaluator."""
    return _COMPILERS[type(node)](node, path)


def _traced(path: str, op: str, fn: Callable[[Evaluator], tuple[Decimal | None, str | None]]) -> Compiled:
    """Wrap an op whose note is only worth building when tracing: ``fn`` → (value, note)."""

    def run(ev: Evaluator) -> Decimal | None:
        value, note = fn(ev)
        if ev.trace is not None:
            ev.trace.append(Step(path=path, op=op, value=value, note=note))
        return value

    return run


def _step(ev: Evaluator, path: str, op: str, value: Decimal | None, note: str | None) -> None:
    assert ev.trace is not None
    ev.trace.append(Step(path=path, op=op, value=value, note=note))


def _c_const(n: m.Const, path: str) -> Compiled:
    value = n.value

    def run(ev: Evaluator) -> Decimal | None:
        if ev.trace is not None:
            _step(ev, path, "const", value, None)
        return value

    return run


def _c_part(n: m.Part, path: str) -> Compiled:
    name = n.name

    def run(ev: Evaluator) -> Decimal | None:
        names = ev.names
        if names is not None and name not in names:
            v = None
        else:
            parts = ev.measures.get(ev.period)
            v = parts.get(name) if parts else None
            if v is None or ev.used is not None:
                v = ev.part(name, ev.period)
        if ev.trace is not None:
            p = ev.period
            _step(
                ev, path, "part", v, f"part {name} over {p}" if v is not None else f"part {name} not reported for {p}"
            )
        return v

    return run


def _c_reported(n: m.Reported, path: str) -> Compiled:
    name = n.name

    def run(ev: Evaluator) -> Decimal | None:
        v = ev.reported(name, ev.period)
        if ev.trace is not None:
            note = f"reported {name} ({ev.consolidation})" if v is not None else f"no {name} reported for {ev.period}"
            if v is None and ev.missing:
                note = f"no data yet: {', '.join(ev.missing)} of the window has a target but no {name}"
            _step(ev, path, "reported", v, note)
        return v

    return run


def _c_target(n: m.AgreementTarget, path: str) -> Compiled:
    def run(ev: Evaluator) -> Decimal | None:
        v = ev.targets.get(ev.period)
        if ev.trace is not None:
            _step(ev, path, "target", v, f"the agreement's target for {ev.period}" if v is not None else "no target")
        return v

    return run


def _dig(obj: Any, path: str) -> Any:
    if "." not in path:
        return obj.get(path) if isinstance(obj, dict) else None
    for key in path.split("."):
        if not isinstance(obj, dict):
            return None
        obj = obj.get(key)
    return obj


def _memoised(key: str, fn: Compiled) -> Compiled:
    """``fn`` evaluated once per evaluation: an evidence fact depends on nothing but the evidence
    and the manual's tables, and manuals repeat them (8b-N filters its qualifying PRIN three
    times, 8a-N reads ``by_activity.patrol`` three times). ``key`` is the node's canonical JSON,
    so equal sub-expressions share one entry. The memo (``Evaluator.memo``) is emptied at the
    start of every evaluation; while tracing it is not used, so every node still shows its step."""

    def run(ev: Evaluator) -> Decimal | None:
        if ev.trace is not None:
            return fn(ev)
        memo = ev.memo
        if key in memo:
            return memo[key]
        v = memo[key] = fn(ev)
        return v

    return run


def _evidence_value(n: m.EvidenceValue) -> Compiled:
    section, keys = n.input, tuple(n.field.split("."))

    def value(ev: Evaluator) -> Decimal | None:
        raw: Any = ev.evidence.get(section)
        for key in keys:
            if not isinstance(raw, dict):
                return None
            raw = raw.get(key)
        if raw is None or isinstance(raw, (dict, list)):
            return None
        return Decimal(raw) if type(raw) is int else to_decimal(raw)

    return value


def _c_evidence(n: m.EvidenceValue, path: str) -> Compiled:
    section, fld = n.input, n.field
    value = _evidence_value(n)

    def run(ev: Evaluator) -> Decimal | None:
        v = value(ev)
        if ev.trace is not None:
            _step(
                ev,
                path,
                "evidence",
                v,
                f"evidence {section}.{fld}" if v is not None else f"no evidence {section}.{fld}",
            )
        return v

    return _memoised(n.model_dump_json(), run)


def _holds(item: Mapping[str, Any], c: m.Condition) -> bool:
    v = _dig(item, c.field)
    if c.equals is not None:
        return bool(v == c.equals)
    if c.in_ is not None:
        return v in c.in_
    try:
        if type(v) is int:  # counts and days (the common case): int vs Decimal compares exactly, no conversion
            return v >= c.at_least  # type: ignore[operator]
        return v is not None and not isinstance(v, bool) and to_decimal(v) >= c.at_least  # type: ignore[operator]
    except (TypeError, ArithmeticError):
        return False


Predicate = Callable[[Mapping[str, Any]], bool]


def _condition(c: m.Condition) -> Predicate:
    """One condition as a predicate on an item (the common forms without the generic walk:
    :func:`_holds` is the definition, these are its shortcuts for a top-level field)."""
    fld = c.field
    if "." not in fld:
        if c.equals is not None:
            equals = c.equals
            return lambda item: bool(item.get(fld) == equals)
        if c.in_ is not None:
            among = frozenset(c.in_) if all(not isinstance(x, bool) for x in c.in_) else None
            if among is not None:
                return lambda item: _member(item.get(fld), among)
        at_least = c.at_least
        if at_least is not None and at_least.is_finite() and at_least.adjusted() < 18:
            # for an int v: v ≥ at_least ⟺ v ≥ ⌈at_least⌉, an int-to-int comparison
            whole = math.ceil(at_least)

            def reaches(item: Mapping[str, Any]) -> bool:
                v = item.get(fld)
                if type(v) is int:
                    return v >= whole
                return _holds(item, c)

            return reaches
    return lambda item: _holds(item, c)


def _member(v: Any, among: frozenset[Any]) -> bool:
    try:
        return v in among
    except TypeError:  # an unhashable value (a list, an object) is in no list of codes
        return False


def _every(preds: tuple[Predicate, ...]) -> Predicate:
    """All of ``preds`` (short-circuit, without a generator per item)."""
    if not preds:
        return lambda item: True
    if len(preds) == 1:
        return preds[0]
    if len(preds) == 2:
        a, b = preds
        return lambda item: a(item) and b(item)
    return lambda item: all(p(item) for p in preds)


def _some(preds: tuple[Predicate, ...]) -> Predicate:
    """Any of ``preds`` (none given: no item qualifies)."""
    if not preds:
        return lambda item: False
    if len(preds) == 1:
        return preds[0]
    if len(preds) == 2:
        a, b = preds
        return lambda item: a(item) or b(item)
    if len(preds) == 3:
        a, b, c = preds
        return lambda item: a(item) or b(item) or c(item)
    return lambda item: any(p(item) for p in preds)


def _selector(n: m.Items | m.ScoreDocuments) -> Callable[[Evaluator], list[Mapping[str, Any]] | None]:
    """The item filter of ``n``: ALL ``where`` conditions and, with ``any_of``, one of its groups
    — resolved once into a single predicate."""
    section = n.input
    tests: list[Predicate] = []
    if n.where:
        tests.append(_every(tuple(_condition(c) for c in n.where)))
    if n.any_of is not None:
        tests.append(_some(tuple(_every(tuple(_condition(c) for c in g)) for g in n.any_of)))
    keep = _every(tuple(tests)) if tests else None

    def select(ev: Evaluator) -> list[Mapping[str, Any]] | None:
        sec = ev.evidence.get(section)
        items = sec.get("items") if isinstance(sec, dict) else None
        if not isinstance(items, list):
            return None
        if keep is None:
            return [item for item in items if isinstance(item, dict)]
        return [item for item in items if isinstance(item, dict) and keep(item)]

    return select


def _c_items(n: m.Items, path: str) -> Compiled:
    return _memoised(n.model_dump_json(), _traced(path, "items", _items(n)))


def _items(n: m.Items) -> Callable[[Evaluator], tuple[Decimal | None, str | None]]:
    select, reduce, fld, section = _selector(n), n.reduce, n.field or "", n.input

    def fn(ev: Evaluator) -> tuple[Decimal | None, str | None]:
        items = select(ev)
        if items is None:
            return None, f"no evidence items {section}"
        if reduce == "count":
            return Decimal(len(items)), None
        raw = (_dig(i, fld) for i in items)
        values = [
            Decimal(v) if type(v) is int else to_decimal(v) for v in raw if v is not None and not isinstance(v, bool)
        ]
        if not values:
            return (ZERO, None) if reduce == "sum" else (None, f"no {fld} on the {section} items")
        if reduce == "sum":
            return sum(values, ZERO), None
        if reduce == "max":
            return max(values), None
        return sum(values, ZERO) / len(values), None

    return fn


def _codes(raw: Any) -> list[str]:
    if raw is None:
        return []
    if isinstance(raw, str):
        return [raw]
    if isinstance(raw, dict):  # counts per code
        return [str(k) for k, v in raw.items() if v]
    if isinstance(raw, list):
        return [str(x.get("type")) if isinstance(x, dict) else str(x) for x in raw]
    return []


def _c_score_documents(n: m.ScoreDocuments, path: str) -> Compiled:
    return _memoised(n.model_dump_json(), _traced(path, "score_documents", _score_documents(n)))


def _document_scores(n: m.ScoreDocuments) -> Callable[[Evaluator], list[Decimal] | None]:
    """The best score of every selected document (``None``: no such evidence section), shared by
    the traced and the value-only closures.

    The HIGHEST outcome of a document counts (an unknown code scores 0, a document without codes
    ``table['none']``), the first of equal scores as ``max()`` keeps. Every code is looked up as
    ``str(code)`` (the identity on the JSON object keys and strings evidence sends); the LPT
    outcome counts take the codes with a count through ``compress`` and ``max`` in C."""
    select, codes_at, table_name = _selector(n), n.codes, n.table
    top_level = "." not in codes_at
    zeros = repeat(ZERO)

    cached: list[Any] = [None, None]  # [table, its priority order]: tables are immutable manual data

    def scores_of(ev: Evaluator) -> list[Decimal] | None:
        items = select(ev)
        if items is None:
            return None
        table = ev.tables[table_name]
        none_score = table.get("none", ZERO)
        get = table.get
        if cached[0] is not table:
            cached[0], cached[1] = table, _priority(table)
        order = cached[1]
        scores: list[Decimal] = []
        append = scores.append
        for item in items:
            raw = item.get(codes_at) if top_level else _dig(item, codes_at)
            if type(raw) is dict:  # counts per code (LPT outcomes): the codes with a count
                if order is not None:
                    for code, value in order:  # the first code the document has is its best
                        if raw.get(code):
                            append(value)
                            break
                    else:  # no code of the table: unknown codes score 0, no code at all 'none'
                        append(ZERO if any(raw.values()) else none_score)
                    continue
                best = max(map(get, map(str, compress(raw, raw.values())), zeros), default=none_score)
            elif type(raw) is list:  # follow-ups: objects with a type, or codes (as _codes reads them)
                best = max(
                    [get(str(x.get("type") if isinstance(x, dict) else x), ZERO) for x in raw], default=none_score
                )
            else:
                best = max([get(code, ZERO) for code in _codes(raw)], default=none_score)
            append(best)
        return scores

    return scores_of


def _priority(table: Mapping[str, Decimal]) -> tuple[tuple[str, Decimal], ...] | None:
    """The table's codes by descending score, when the best score of a document is simply the score
    of the first code in that order it has a count for: every score finite and ≥ 0 (an unknown code
    scores 0, so it never beats a known one), and equal scores spelt alike, 0 included (``1.0`` and
    ``1`` are equal, yet would print differently: ``max()`` then keeps the first in the document's
    order, which only the general walk reproduces). ``None``: take the general walk.

    Measured on the synthetic nation (bench/bench_scoring.py, ADR 0004 round 4). JSON object keys are
    strings, so the order's codes are looked up as they are (the general walk applies ``str``)."""
    values = [*table.values(), ZERO]
    if any(not v.is_finite() or v < 0 for v in values):
        return None
    spelt: dict[Decimal, str] = {}
    for v in values:
        if spelt.setdefault(v, str(v)) != str(v):
            return None
    return tuple(sorted(table.items(), key=lambda kv: kv[1], reverse=True))


def _score_documents(n: m.ScoreDocuments) -> Callable[[Evaluator], tuple[Decimal | None, str | None]]:
    scores_of, reduce, section = _document_scores(n), n.reduce, n.input

    def fn(ev: Evaluator) -> tuple[Decimal | None, str | None]:
        scores = scores_of(ev)
        if scores is None:
            return None, f"no evidence items {section}"
        if reduce == "count":
            return Decimal(len(scores)), f"{len(scores)} documents"
        if reduce == "mean":
            if not scores:
                return None, "no documents"
            return sum(scores, ZERO) / len(scores), f"mean best score of {len(scores)} documents"
        return sum(scores, ZERO), f"Σ best score of {len(scores)} documents"

    return fn


def has_none(values: list[Decimal | None]) -> bool:
    """``None in values`` without comparing each Decimal to None (``Decimal.__eq__(None)`` asks
    ``numbers.Rational.__instancecheck__``, an ABC check, for every element)."""
    return not all(map(is_not, values, repeat(None)))


def _args(n: Any, path: str) -> tuple[Compiled, ...]:
    return tuple(compile_expr(a, f"{path}.args[{i}]") for i, a in enumerate(n.args))


def _c_sum(n: m.Sum, path: str) -> Compiled:
    args = _args(n, path)

    def run(ev: Evaluator) -> Decimal | None:
        total = ZERO
        out: Decimal | None = None
        vals = [a(ev) for a in args]  # every argument evaluated (the trace shows each)
        if not has_none(vals):
            for v in vals:
                total += v  # type: ignore[operator]
            out = total
        if ev.trace is not None:
            _step(ev, path, "sum", out, None if out is not None else "an argument has no value")
        return out

    return run


def _c_product(n: m.Product, path: str) -> Compiled:
    args = _args(n, path)

    def run(ev: Evaluator) -> Decimal | None:
        vals = [a(ev) for a in args]
        out: Decimal | None = None
        if not has_none(vals):
            out = Decimal(1)
            for v in vals:
                out *= v  # type: ignore[operator]
        if ev.trace is not None:
            _step(ev, path, "product", out, None if out is not None else "an argument has no value")
        return out

    return run


def _c_difference(n: m.Difference, path: str) -> Compiled:
    first, second = compile_expr(n.minuend, f"{path}.minuend"), compile_expr(n.subtrahend, f"{path}.subtrahend")

    def run(ev: Evaluator) -> Decimal | None:
        a, b = first(ev), second(ev)
        out = None if a is None or b is None else a - b
        if ev.trace is not None:
            _step(ev, path, "difference", out, None if out is not None else "an operand has no value")
        return out

    return run


def _c_ratio(n: m.Ratio, path: str) -> Compiled:
    numerator = compile_expr(n.numerator, f"{path}.numerator")
    denominator = compile_expr(n.denominator, f"{path}.denominator")
    scale = n.scale

    def run(ev: Evaluator) -> Decimal | None:
        num, den = numerator(ev), denominator(ev)
        note: str | None
        if num is None or den is None:
            out, note = None, "numerator or denominator has no value"
        elif den == 0:
            out, note = None, "denominator is 0: not computable"
        else:
            out = num / den * scale
            note = f"{num} / {den} × {scale}" if ev.trace is not None else None
        if ev.trace is not None:
            _step(ev, path, "ratio", out, note)
        return out

    return run


def _c_mean(n: m.Mean, path: str) -> Compiled:
    args = _args(n, path)
    count = len(args)

    def run(ev: Evaluator) -> Decimal | None:
        known = [v for v in (a(ev) for a in args) if v is not None]
        out = sum(known, ZERO) / len(known) if known else None
        if ev.trace is not None:
            note = "no applicable argument" if not known else None
            if known and len(known) != count:
                note = f"mean of the {len(known)} applicable of {count}"
            _step(ev, path, "mean", out, note)
        return out

    return run


def _c_extreme(op: str, pick: Callable[..., Any]) -> Callable[[Any, str], Compiled]:
    def compiler(n: Any, path: str) -> Compiled:
        args = _args(n, path)

        def run(ev: Evaluator) -> Decimal | None:
            vals = [a(ev) for a in args]
            out = None if has_none(vals) else pick(vals)
            if ev.trace is not None:
                _step(ev, path, op, out, None if out is not None else "an argument has no value")
            return out

        return run

    return compiler


def _c_first_of(n: m.Coalesce, path: str) -> Compiled:
    args = _args(n, path)

    def run(ev: Evaluator) -> Decimal | None:
        for i, a in enumerate(args):
            v = a(ev)
            if v is not None:
                if ev.trace is not None:
                    _step(ev, path, "first_of", v, f"taken from args[{i}]")
                return v
        if ev.trace is not None:
            _step(ev, path, "first_of", None, "no argument has a value")
        return None

    return run


def _c_weighted(n: m.Weighted, path: str) -> Compiled:
    comps = []
    w_all = ZERO
    with localcontext(CONTEXT):
        for i, c in enumerate(n.components):
            w_all += c.weight  # the total weight, summed in order as before (exact)
            cpath = f"{path}.components[{i}]"
            applicable = None if c.applicable is None else compile_expr(c.applicable, f"{cpath}.applicable")
            comps.append((c.name, c.weight, c.cap, compile_expr(c.value, f"{cpath}.value"), applicable, cpath))
    renormalise = n.renormalise
    components = tuple(comps)

    def run(ev: Evaluator) -> Decimal | None:
        total = ZERO
        w_app = ZERO
        na: list[str] = []
        capped: list[str] = []
        tracing = ev.trace is not None
        for name, weight, cap, value, applicable, cpath in components:
            if applicable is not None:
                a = applicable(ev)
                if a is None or a == 0:
                    na.append(name)
                    continue
            v = value(ev)
            if v is None:
                na.append(name)
                continue
            contribution = weight * v
            if cap is not None and contribution > cap:
                contribution = cap
                capped.append(name)
            if tracing:
                cap_note = f" capped at {cap}" if name in capped else ""
                _step(ev, cpath, "component", contribution, f"{name}: {weight} × {v}{cap_note}")
            total += contribution
            w_app += weight
        if w_app == 0:
            if tracing:
                _step(ev, path, "weighted", None, "no component applicable")
            return None
        notes = []
        if na:
            if tracing:
                notes.append("N/A: " + ", ".join(na))
            if renormalise:
                total = total * w_all / w_app
                if tracing:
                    notes.append(f"weights renormalised from {w_app} to {w_all}")
        if tracing:
            if capped:
                notes.append("capped: " + ", ".join(capped))
            _step(ev, path, "weighted", total, "; ".join(notes) or None)
        return total

    return run


def _interpolate(points: list[tuple[Decimal, Decimal]], x: Decimal) -> Decimal:
    seg = len(points) - 2
    for i in range(len(points) - 1):
        if x <= points[i + 1][0]:
            seg = i
            break
    (x0, y0), (x1, y1) = points[seg], points[seg + 1]
    return y0 + (x - x0) * (y1 - y0) / (x1 - x0)


def _c_convert(n: m.Convert, path: str) -> Compiled:
    value, points = compile_expr(n.value, f"{path}.value"), list(n.points)

    def fn(ev: Evaluator) -> tuple[Decimal | None, str | None]:
        v = value(ev)
        if v is None:
            return None, "no value to convert"
        return _interpolate(points, v), "piecewise-linear scale"

    return _traced(path, "convert", fn)


def _c_bands(n: m.Bands, path: str) -> Compiled:
    value, bands, otherwise = compile_expr(n.value, f"{path}.value"), tuple(n.bands), n.otherwise

    def fn(ev: Evaluator) -> tuple[Decimal | None, str | None]:
        v = value(ev)
        if v is None:
            return None, "no value to look up"
        for b in bands:
            if v >= b.at_least:
                return b.value, f"{v} ≥ {b.at_least}"
        return otherwise, f"{v} below every band"

    return _traced(path, "bands", fn)


def _c_konversi(n: m.Konversi120, path: str) -> Compiled:
    value = compile_expr(n.value, f"{path}.value")
    threshold = compile_expr(n.threshold, f"{path}.threshold")
    converted = n.converted

    def fn(ev: Evaluator) -> tuple[Decimal | None, str | None]:
        v, t = value(ev), threshold(ev)
        if v is None or t is None:
            return None, "value or threshold has no value"
        if v >= t:
            return converted, f"{v} reaches the maximal target {t}: Konversi {converted}"
        if t == 0:
            return None, "threshold is 0: not computable"
        return v / t * HUNDRED, f"{v} below the maximal target {t}: {v} / {t} × 100"

    return _traced(path, "konversi_120", fn)


def _c_round(n: m.Round, path: str) -> Compiled:
    value, places = compile_expr(n.value, f"{path}.value"), n.places

    def fn(ev: Evaluator) -> tuple[Decimal | None, str | None]:
        v = value(ev)
        return (None, None) if v is None else (rounded(v, places), f"rounded to {places} decimals")

    return _traced(path, "round", fn)


def _on_time(n: m.OnTimeReports) -> Callable[[Evaluator], tuple[Decimal | None, str | None]]:
    share = n.reduce == "share"

    def fn(ev: Evaluator) -> tuple[Decimal | None, str | None]:
        quarters = QUARTERS_IN.get(ev.period) or ()
        facts = [ev.cycle.get(q) or {} for q in quarters]
        if not quarters or not any(f.get("submitted_at") for f in facts):
            return None, f"no report of {ev.period} submitted yet: timeliness not measurable"
        on_time = [q for q, f in zip(quarters, facts, strict=True) if f.get("on_time") is True]
        count = Decimal(len(on_time))
        note = f"{len(on_time)} of {len(quarters)} reports on time ({', '.join(on_time) or 'none'})"
        return (count / Decimal(len(quarters)) if share else count), note

    return fn


def _c_on_time(n: m.OnTimeReports, path: str) -> Compiled:
    return _traced(path, "on_time_reports", _on_time(n))


def _p_on_time(n: m.OnTimeReports) -> Compiled:
    fn = _on_time(n)
    return lambda ev: fn(ev)[0]


def _zi_value(n: m.ZonaIntegritas) -> Compiled:
    level, fld = n.level, n.field

    def value(ev: Evaluator) -> Decimal | None:
        results: Any = ev.evidence.get(m.ZI_INPUT)
        raw = results.get(level, {}).get(fld) if isinstance(results, dict) else None
        return None if raw is None else to_decimal(raw)

    return value


def _c_zi(n: m.ZonaIntegritas, path: str) -> Compiled:
    value, where = _zi_value(n), f"{n.level} {n.field}"

    def run(ev: Evaluator) -> Decimal | None:
        v = value(ev)
        if ev.trace is not None:
            note = f"Zona Integritas {where}" if v is not None else f"no submitted Zona Integritas {n.level} level"
            _step(ev, path, "zona_integritas", v, note)
        return v

    return run


_COMPILERS: dict[type, Callable[[Any, str], Compiled]] = {
    m.Const: _c_const,
    m.Part: _c_part,
    m.Reported: _c_reported,
    m.AgreementTarget: _c_target,
    m.EvidenceValue: _c_evidence,
    m.OnTimeReports: _c_on_time,
    m.Sum: _c_sum,
    m.Product: _c_product,
    m.Difference: _c_difference,
    m.Ratio: _c_ratio,
    m.Mean: _c_mean,
    m.Smallest: _c_extreme("min", min),
    m.Largest: _c_extreme("max", max),
    m.Coalesce: _c_first_of,
    m.Weighted: _c_weighted,
    m.Convert: _c_convert,
    m.Bands: _c_bands,
    m.Konversi120: _c_konversi,
    m.ScoreDocuments: _c_score_documents,
    m.Items: _c_items,
    m.Round: _c_round,
    m.ZonaIntegritas: _c_zi,
}


# ------------------------------------------------------------------- plain (value-only) closures
#
# The scorecard's hot path needs the value only: no trace, no inputs read. These closures compute
# exactly what the traced ones above compute — the same Decimal operations in the same order, the
# same nodes evaluated (``reported`` records the quarters of a "no data yet" in ``missing``, so
# no operand is skipped) — without the trace tests and without formatting any note.
# tests/scoring/test_engine_speed_paths.py compares both on every shipped manual.


def compile_plain(node: Any) -> Compiled:
    """The value-only closure of ``node``; run it with ``trace`` and ``used`` unset."""
    return _PLAIN[type(node)](node)


def _p_const(n: m.Const) -> Compiled:
    value = n.value
    return lambda ev: value


def _p_part(n: m.Part) -> Compiled:
    name = n.name

    def run(ev: Evaluator) -> Decimal | None:
        parts = ev.parts
        if parts is not None:
            v = parts.get(name)
            if v is not None:
                return v
        return ev.part(name, ev.period)  # the window walk (months, then quarters)

    return run


def _p_reported(n: m.Reported) -> Compiled:
    name = n.name

    def run(ev: Evaluator) -> Decimal | None:
        parts = ev.parts
        if parts is not None:
            v = parts.get(name)
            if v is not None:
                return v
        return ev.reported(name, ev.period)

    return run


def _p_target(n: m.AgreementTarget) -> Compiled:
    return lambda ev: ev.targets.get(ev.period)


def _p_evidence(n: m.EvidenceValue) -> Compiled:
    return _memo_plain(n.model_dump_json(), _evidence_value(n))


def _p_items(n: m.Items) -> Compiled:
    fn = _items(n)
    return _memo_plain(n.model_dump_json(), lambda ev: fn(ev)[0])


def _p_score_documents(n: m.ScoreDocuments) -> Compiled:
    scores_of, reduce = _document_scores(n), n.reduce

    def run(ev: Evaluator) -> Decimal | None:  # _score_documents without the notes
        scores = scores_of(ev)
        if scores is None:
            return None
        if reduce == "count":
            return Decimal(len(scores))
        if reduce == "mean":
            return sum(scores, ZERO) / len(scores) if scores else None
        return sum(scores, ZERO)

    return _memo_plain(n.model_dump_json(), run)


def _memo_plain(key: str, fn: Compiled) -> Compiled:
    """:func:`_memoised` for the plain closures (never tracing)."""

    def run(ev: Evaluator) -> Decimal | None:
        memo = ev.memo
        if key in memo:
            return memo[key]
        v = memo[key] = fn(ev)
        return v

    return run


def _plain_args(n: Any) -> tuple[Compiled, ...]:
    return tuple(compile_plain(a) for a in n.args)


def _p_sum(n: m.Sum) -> Compiled:
    args = _plain_args(n)

    def run(ev: Evaluator) -> Decimal | None:
        vals = [a(ev) for a in args]
        total = ZERO
        for v in vals:
            if v is None:
                return None
            total += v
        return total

    return run


def _p_product(n: m.Product) -> Compiled:
    args = _plain_args(n)

    def run(ev: Evaluator) -> Decimal | None:
        vals = [a(ev) for a in args]
        out = Decimal(1)
        for v in vals:
            if v is None:
                return None
            out *= v
        return out

    return run


def _p_difference(n: m.Difference) -> Compiled:
    first, second = compile_plain(n.minuend), compile_plain(n.subtrahend)

    def run(ev: Evaluator) -> Decimal | None:
        a, b = first(ev), second(ev)
        return None if a is None or b is None else a - b

    return run


def _p_ratio(n: m.Ratio) -> Compiled:
    numerator, denominator, scale = compile_plain(n.numerator), compile_plain(n.denominator), n.scale
    if scale == 1 and scale.as_tuple().exponent == 0:  # × Decimal(1) is the identity: skip it

        def unscaled(ev: Evaluator) -> Decimal | None:
            num, den = numerator(ev), denominator(ev)
            if num is None or den is None or not den:
                return None
            return num / den

        return unscaled

    def run(ev: Evaluator) -> Decimal | None:
        num, den = numerator(ev), denominator(ev)
        if num is None or den is None or not den:  # no value, or a zero denominator
            return None
        return num / den * scale

    return run


def _p_mean(n: m.Mean) -> Compiled:
    args = _plain_args(n)

    def run(ev: Evaluator) -> Decimal | None:
        known = [v for v in [a(ev) for a in args] if v is not None]
        return sum(known, ZERO) / len(known) if known else None

    return run


def _p_extreme(pick: Callable[..., Any]) -> Callable[[Any], Compiled]:
    def compiler(n: Any) -> Compiled:
        args = _plain_args(n)

        def run(ev: Evaluator) -> Decimal | None:
            vals = [a(ev) for a in args]
            return None if has_none(vals) else pick(vals)

        return run

    return compiler


def _p_first_of(n: m.Coalesce) -> Compiled:
    args = _plain_args(n)
    if len(args) == 2:
        first, second = args

        def either(ev: Evaluator) -> Decimal | None:
            v = first(ev)
            return v if v is not None else second(ev)

        return either

    def run(ev: Evaluator) -> Decimal | None:
        for a in args:
            v = a(ev)
            if v is not None:
                return v
        return None

    return run


def _p_weighted(n: m.Weighted) -> Compiled:
    comps = []
    w_all = ZERO
    with localcontext(CONTEXT):
        for c in n.components:
            w_all += c.weight  # summed in order, as the traced closure does
            applicable = None if c.applicable is None else compile_plain(c.applicable)
            comps.append((c.weight, c.cap, compile_plain(c.value), applicable))
    renormalise = n.renormalise
    components = tuple(comps)

    def run(ev: Evaluator) -> Decimal | None:
        total = ZERO
        w_app = ZERO
        na = False
        for weight, cap, value, applicable in components:
            if applicable is not None:
                a = applicable(ev)
                if a is None or not a:
                    na = True
                    continue
            v = value(ev)
            if v is None:
                na = True
                continue
            contribution = weight * v
            if cap is not None and contribution > cap:
                contribution = cap
            total += contribution
            w_app += weight
        if not w_app:
            return None
        if na and renormalise:
            total = total * w_all / w_app
        return total

    return run


def _p_convert(n: m.Convert) -> Compiled:
    value, points = compile_plain(n.value), list(n.points)

    def run(ev: Evaluator) -> Decimal | None:
        v = value(ev)
        return None if v is None else _interpolate(points, v)

    return run


def _p_bands(n: m.Bands) -> Compiled:
    value, otherwise = compile_plain(n.value), n.otherwise
    bands = tuple((b.at_least, b.value) for b in n.bands)

    def run(ev: Evaluator) -> Decimal | None:
        v = value(ev)
        if v is None:
            return None
        for at_least, result in bands:
            if v >= at_least:
                return result
        return otherwise

    return run


def _p_konversi(n: m.Konversi120) -> Compiled:
    value, threshold, converted = compile_plain(n.value), compile_plain(n.threshold), n.converted

    def run(ev: Evaluator) -> Decimal | None:
        v, t = value(ev), threshold(ev)
        if v is None or t is None:
            return None
        if v >= t:
            return converted
        if not t:
            return None
        return v / t * HUNDRED

    return run


def _p_round(n: m.Round) -> Compiled:
    value, places = compile_plain(n.value), n.places

    def run(ev: Evaluator) -> Decimal | None:
        v = value(ev)
        return None if v is None else rounded(v, places)

    return run


_PLAIN: dict[type, Callable[[Any], Compiled]] = {
    m.Const: _p_const,
    m.Part: _p_part,
    m.Reported: _p_reported,
    m.AgreementTarget: _p_target,
    m.EvidenceValue: _p_evidence,
    m.OnTimeReports: _p_on_time,
    m.Sum: _p_sum,
    m.Product: _p_product,
    m.Difference: _p_difference,
    m.Ratio: _p_ratio,
    m.Mean: _p_mean,
    m.Smallest: _p_extreme(min),
    m.Largest: _p_extreme(max),
    m.Coalesce: _p_first_of,
    m.Weighted: _p_weighted,
    m.Convert: _p_convert,
    m.Bands: _p_bands,
    m.Konversi120: _p_konversi,
    m.ScoreDocuments: _p_score_documents,
    m.Items: _p_items,
    m.Round: _p_round,
    m.ZonaIntegritas: _zi_value,
}


def interpolate(points: list[tuple[Decimal, Decimal]], x: Decimal) -> Decimal:
    with localcontext(CONTEXT):
        return _interpolate(points, x)
