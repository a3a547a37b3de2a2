"""Evaluate a manual's realisation for one period from measures and evidence inputs.

Pure and total: a missing input gives ``None`` (no data), and every operator propagates or
drops ``None`` by its meaning (a sum of nothing is nothing; a weighted component without data is
N/A and drops out). With ``trace`` on, every node records its JSON path, op and value, which is
what the explain endpoint shows.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, localcontext
from typing import Any

from bench.engine_before import manual as m
from bench.engine_before.numbers import CONTEXT, HUNDRED, ZERO, rounded, to_decimal
from bench.engine_before.periods import QUARTERS_IN, WINDOWS, window_months

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


def part_names(measures: Measures) -> frozenset[str]:
    return frozenset().union(*measures.values())  # the keys of every period's parts, in C


def normalise_measures(raw: Mapping[str, Mapping[str, Any]] | None) -> dict[str, dict[str, Decimal]]:
    """Bundle measures (JSON numbers) → Decimals; ``null`` values are dropped (= not reported).

    The hottest loop of :func:`~bench.engine_before.scorecard.prepare` (hundreds of values per
    bundle): JSON floats, by far the common case, take :func:`to_decimal`'s float branch inline
    (``type(v) is float`` also keeps booleans out, which ``to_decimal`` refuses)."""
    out: dict[str, dict[str, Decimal]] = {}
    for period, parts in (raw or {}).items():
        out[period] = {
            k: Decimal(repr(v)) if type(v) is float else to_decimal(v)
            for k, v in (parts or {}).items()
            if v is not None
        }
    return out


@dataclass
class Step:
    path: str
    op: str
    value: Decimal | None
    note: str | None = None


@dataclass
class Evaluator:
    measures: Measures
    consolidation: str = "take_last_known_value"
    evidence: Evidence = field(default_factory=dict)
    tables: Mapping[str, Mapping[str, Decimal]] = field(default_factory=dict)
    trace: list[Step] | None = None
    used: dict[str, dict[str, Decimal]] | None = None  # inputs read (explain), period → part → value
    names: frozenset[str] | None = None  # every part name present in any period (skips hopeless window walks)

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
        """A reported value, consolidated over the window per the IKU's consolidation rule."""
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
        values = [x for x in (self._quarter(name, q) for q in quarters) if x is not None] if len(quarters) > 1 else []
        if not values:
            months = [x for x in (self._read(mm, name) for mm in window_months(period)) if x is not None]
            values = months
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
        with localcontext(CONTEXT):
            return self._ev(node, period, path)

    def _ev(self, node: Any, period: str, path: str) -> Decimal | None:
        value, note = _DISPATCH[type(node)](self, node, period, path)
        if self.trace is not None:
            self.trace.append(Step(path=path, op=node.op, value=value, note=note))
        return value

    def _args(self, node: Any, period: str, path: str) -> list[Decimal | None]:
        return [self._ev(a, period, f"{path}.args[{i}]") for i, a in enumerate(node.args)]


Result = tuple[Decimal | None, str | None]


def _const(ev: Evaluator, n: m.Const, p: str, path: str) -> Result:
    return n.value, None


def _part(ev: Evaluator, n: m.Part, p: str, path: str) -> Result:
    v = ev.part(n.name, p)
    if ev.trace is None:
        return v, None
    return v, (f"part {n.name} over {p}" if v is not None else f"part {n.name} not reported for {p}")


def _reported(ev: Evaluator, n: m.Reported, p: str, path: str) -> Result:
    v = ev.reported(n.name, p)
    if ev.trace is None:
        return v, None
    return v, (f"reported {n.name} ({ev.consolidation})" if v is not None else f"no {n.name} reported for {p}")


def _dig(obj: Any, path: str) -> Any:
    if "." not in path:
        return obj.get(path) if isinstance(obj, dict) else None
    for key in path.split("."):
        if not isinstance(obj, dict):
            return None
        obj = obj.get(key)
    return obj


def _evidence(ev: Evaluator, n: m.EvidenceValue, p: str, path: str) -> Result:
    raw = _dig(ev.evidence.get(n.input), n.field)
    if raw is None or isinstance(raw, (dict, list)):
        return None, f"no evidence {n.input}.{n.field}"
    return to_decimal(raw), f"evidence {n.input}.{n.field}"


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


def _select(ev: Evaluator, n: m.Items | m.ScoreDocuments) -> list[Mapping[str, Any]] | None:
    section = ev.evidence.get(n.input)
    items = section.get("items") if isinstance(section, dict) else None
    if not isinstance(items, list):
        return None
    where, any_of = n.where, n.any_of  # read once: attribute access on the model per item adds up
    if not where and any_of is None:
        return [item for item in items if isinstance(item, dict)]
    out: list[Mapping[str, Any]] = []
    for item in items:
        if not isinstance(item, dict) or (where and not all(_holds(item, c) for c in where)):
            continue
        if any_of is not None and not any(all(_holds(item, c) for c in group) for group in any_of):
            continue
        out.append(item)
    return out


def _items(ev: Evaluator, n: m.Items, p: str, path: str) -> Result:
    items = _select(ev, n)
    if items is None:
        return None, f"no evidence items {n.input}"
    if n.reduce == "count":
        return Decimal(len(items)), None
    raw = (_dig(i, n.field or "") for i in items)
    values = [to_decimal(v) for v in raw if v is not None and not isinstance(v, bool)]
    if not values:
        return (ZERO, None) if n.reduce == "sum" else (None, f"no {n.field} on the {n.input} items")
    if n.reduce == "sum":
        return sum(values, ZERO), None
    if n.reduce == "max":
        return max(values), None
    return sum(values, ZERO) / len(values), None


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


def _sum(ev: Evaluator, n: m.Sum, p: str, path: str) -> Result:
    vals = ev._args(n, p, path)
    if any(v is None for v in vals):
        return None, "an argument has no value"
    return sum((v for v in vals if v is not None), ZERO), None


def _product(ev: Evaluator, n: m.Product, p: str, path: str) -> Result:
    vals = ev._args(n, p, path)
    if any(v is None for v in vals):
        return None, "an argument has no value"
    out = Decimal(1)
    for v in vals:
        out *= v  # type: ignore[operator]
    return out, None


def _difference(ev: Evaluator, n: m.Difference, p: str, path: str) -> Result:
    a = ev._ev(n.minuend, p, f"{path}.minuend")
    b = ev._ev(n.subtrahend, p, f"{path}.subtrahend")
    if a is None or b is None:
        return None, "an operand has no value"
    return a - b, None


def _ratio(ev: Evaluator, n: m.Ratio, p: str, path: str) -> Result:
    num = ev._ev(n.numerator, p, f"{path}.numerator")
    den = ev._ev(n.denominator, p, f"{path}.denominator")
    if num is None or den is None:
        return None, "numerator or denominator has no value"
    if den == 0:
        return None, "denominator is 0: not computable"
    return num / den * n.scale, (f"{num} / {den} × {n.scale}" if ev.trace is not None else None)


def _mean(ev: Evaluator, n: m.Mean, p: str, path: str) -> Result:
    known = [v for v in ev._args(n, p, path) if v is not None]
    if not known:
        return None, "no applicable argument"
    note = None if len(known) == len(n.args) else f"mean of the {len(known)} applicable of {len(n.args)}"
    return sum(known, ZERO) / len(known), note


def _min(ev: Evaluator, n: m.Smallest, p: str, path: str) -> Result:
    vals = ev._args(n, p, path)
    if any(v is None for v in vals):
        return None, "an argument has no value"
    return min(vals), None  # type: ignore[type-var]


def _max(ev: Evaluator, n: m.Largest, p: str, path: str) -> Result:
    vals = ev._args(n, p, path)
    if any(v is None for v in vals):
        return None, "an argument has no value"
    return max(vals), None  # type: ignore[type-var]


def _first_of(ev: Evaluator, n: m.Coalesce, p: str, path: str) -> Result:
    for i, a in enumerate(n.args):
        v = ev._ev(a, p, f"{path}.args[{i}]")
        if v is not None:
            return v, f"taken from args[{i}]"
    return None, "no argument has a value"


def _weighted(ev: Evaluator, n: m.Weighted, p: str, path: str) -> Result:
    total = ZERO
    w_all = ZERO
    w_app = ZERO
    na: list[str] = []
    capped: list[str] = []
    for i, c in enumerate(n.components):
        w_all += c.weight
        cpath = f"{path}.components[{i}]"
        if c.applicable is not None:
            a = ev._ev(c.applicable, p, f"{cpath}.applicable")
            if a is None or a == 0:
                na.append(c.name)
                continue
        v = ev._ev(c.value, p, f"{cpath}.value")
        if v is None:
            na.append(c.name)
            continue
        contribution = c.weight * v
        if c.cap is not None and contribution > c.cap:
            contribution = c.cap
            capped.append(c.name)
        if ev.trace is not None:
            cap_note = f" capped at {c.cap}" if c.name in capped else ""
            ev.trace.append(
                Step(path=cpath, op="component", value=contribution, note=f"{c.name}: {c.weight} × {v}{cap_note}")
            )
        total += contribution
        w_app += c.weight
    if w_app == 0:
        return None, "no component applicable"
    notes = []
    if na:
        notes.append("N/A: " + ", ".join(na))
        if n.renormalise:
            total = total * w_all / w_app
            notes.append(f"weights renormalised from {w_app} to {w_all}")
    if capped:
        notes.append("capped: " + ", ".join(capped))
    return total, "; ".join(notes) or None


def _interpolate(points: list[tuple[Decimal, Decimal]], x: Decimal) -> Decimal:
    seg = len(points) - 2
    for i in range(len(points) - 1):
        if x <= points[i + 1][0]:
            seg = i
            break
    (x0, y0), (x1, y1) = points[seg], points[seg + 1]
    return y0 + (x - x0) * (y1 - y0) / (x1 - x0)


def _convert(ev: Evaluator, n: m.Convert, p: str, path: str) -> Result:
    v = ev._ev(n.value, p, f"{path}.value")
    if v is None:
        return None, "no value to convert"
    return _interpolate(list(n.points), v), "piecewise-linear scale"


def _bands(ev: Evaluator, n: m.Bands, p: str, path: str) -> Result:
    v = ev._ev(n.value, p, f"{path}.value")
    if v is None:
        return None, "no value to look up"
    for b in n.bands:
        if v >= b.at_least:
            return b.value, f"{v} ≥ {b.at_least}"
    return n.otherwise, f"{v} below every band"


def _konversi(ev: Evaluator, n: m.Konversi120, p: str, path: str) -> Result:
    v = ev._ev(n.value, p, f"{path}.value")
    t = ev._ev(n.threshold, p, f"{path}.threshold")
    if v is None or t is None:
        return None, "value or threshold has no value"
    if v >= t:
        return n.converted, f"{v} reaches the maximal target {t}: Konversi {n.converted}"
    if t == 0:
        return None, "threshold is 0: not computable"
    return v / t * HUNDRED, f"{v} below the maximal target {t}: {v} / {t} × 100"


def _score_documents(ev: Evaluator, n: m.ScoreDocuments, p: str, path: str) -> Result:
    items = _select(ev, n)
    if items is None:
        return None, f"no evidence items {n.input}"
    table = ev.tables[n.table]
    none_score = table.get("none", ZERO)
    scores: list[Decimal] = []
    for item in items:
        codes = _codes(_dig(item, n.codes))
        # the HIGHEST outcome of the document counts (an unknown code scores 0)
        scores.append(max((table.get(c, ZERO) for c in codes), default=none_score))
    if n.reduce == "count":
        return Decimal(len(scores)), f"{len(scores)} documents"
    if n.reduce == "mean":
        if not scores:
            return None, "no documents"
        return sum(scores, ZERO) / len(scores), f"mean best score of {len(scores)} documents"
    return sum(scores, ZERO), f"Σ best score of {len(scores)} documents"


def _round(ev: Evaluator, n: m.Round, p: str, path: str) -> Result:
    v = ev._ev(n.value, p, f"{path}.value")
    return (None, None) if v is None else (rounded(v, n.places), f"rounded to {n.places} decimals")


_DISPATCH: dict[type, Callable[..., Result]] = {
    m.Const: _const,
    m.Part: _part,
    m.Reported: _reported,
    m.EvidenceValue: _evidence,
    m.Sum: _sum,
    m.Product: _product,
    m.Difference: _difference,
    m.Ratio: _ratio,
    m.Mean: _mean,
    m.Smallest: _min,
    m.Largest: _max,
    m.Coalesce: _first_of,
    m.Weighted: _weighted,
    m.Convert: _convert,
    m.Bands: _bands,
    m.Konversi120: _konversi,
    m.ScoreDocuments: _score_documents,
    m.Items: _items,
    m.Round: _round,
}


def interpolate(points: list[tuple[Decimal, Decimal]], x: Decimal) -> Decimal:
    with localcontext(CONTEXT):
        return _interpolate(points, x)
