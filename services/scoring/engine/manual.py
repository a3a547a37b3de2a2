"""The IKU manual language: a small, safe expression tree described as data.

A manual is a JSON/YAML document validated by pydantic. Expressions are a discriminated union on
``op``; there is no ``eval``/``exec`` and no name lookup outside the measures and evidence
inputs handed to the evaluator, so a manual cannot run code, loop, or read anything else.
Every operator is total: a missing input gives ``None`` ("no data"), never an exception, so
applicability (N/A components) falls out of the data.

Example (1a-N, clearance time = total days / documents over the window)::

    realization:
      op: ratio
      numerator: {op: sum, args: [{op: part, name: green_total_days}, {op: part, name: red_total_days}]}
      denominator: {op: sum, args: [{op: part, name: green_docs}, {op: part, name: red_docs}]}

The validation errors carry a JSON path inside the manual (``realization.numerator.args[1].name``)
and a reason, which the registry relays when somebody stores a broken manual.
"""

from __future__ import annotations

from decimal import Decimal
from functools import cached_property
from typing import Annotated, Any, Literal, Union, get_args

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator
from pydantic_core import ErrorDetails

from kernel.errors import FieldError, field_errors, json_path
from kernel.types import Number

NAME = r"^[A-Za-z_][A-Za-z0-9_]{0,63}$"
PATH = r"^[A-Za-z_][A-Za-z0-9_]{0,63}(\.[A-Za-z0-9_]{1,64}){0,4}$"


class _Node(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _strictly_increasing(points: list[tuple[Decimal, Decimal]], what: str) -> list[tuple[Decimal, Decimal]]:
    """Validator of a piecewise-linear scale ``[[x, y], ...]``: the x values strictly increase."""
    for a, b in zip(points, points[1:], strict=False):
        if b[0] <= a[0]:
            raise ValueError(f"x values of the {what} must be strictly increasing")
    return points


class Const(_Node):
    """A literal number."""

    op: Literal["const"]
    value: Number


class Part(_Node):
    """An additive part of the measures, summed over the period's window (months, or the period itself)."""

    op: Literal["part"]
    name: Annotated[str, Field(pattern=NAME)]


class Reported(_Node):
    """A reported value (default part ``realization``), consolidated over the window per the IKU's consolidation."""

    op: Literal["reported"]
    name: Annotated[str, Field(pattern=NAME)] = "realization"


class EvidenceValue(_Node):
    """A numeric fact of the evidence aggregates (contracts §8), by dotted path inside a section:
    ``{input: lpt, field: count}``, ``{input: lpt, field: by_activity.patrol}``."""

    op: Literal["evidence"]
    input: Annotated[str, Field(pattern=NAME)]
    field: Annotated[str, Field(pattern=PATH)]


class Condition(_Node):
    """A test on one field of an evidence item: ``equals``, ``in`` or ``at_least`` (exactly one)."""

    field: Annotated[str, Field(pattern=PATH)]
    equals: str | int | bool | None = None
    in_: list[str | int] | None = Field(default=None, alias="in")
    at_least: Number | None = None

    @model_validator(mode="after")
    def _one(self) -> Condition:
        given = [x for x in (self.equals, self.in_, self.at_least) if x is not None]
        if len(given) != 1:
            raise ValueError("a condition needs exactly one of equals, in, at_least")
        return self


class _ItemFilter(_Node):
    """Items of an evidence section (``items``) kept when ALL ``where`` conditions hold and, if
    ``any_of`` is given, at least one of its groups (each a list of conditions, all holding)."""

    input: Annotated[str, Field(pattern=NAME)]
    where: list[Condition] = Field(default_factory=list)
    any_of: list[list[Condition]] | None = None


class Items(_ItemFilter):
    """Count the selected evidence items, or sum/mean/max one numeric field of them."""

    op: Literal["items"]
    reduce: Literal["count", "sum", "mean", "max"] = "count"
    field: Annotated[str, Field(pattern=PATH)] | None = None

    @model_validator(mode="after")
    def _field_needed(self) -> Items:
        if self.reduce != "count" and self.field is None:
            raise ValueError(f"reduce {self.reduce!r} needs a field")
        return self


class Sum(_Node):
    """Σ arguments; no value if any argument has none (use ``mean``/``weighted`` for N/A-aware sums)."""

    op: Literal["sum"]
    args: Annotated[list[Expr], Field(min_length=1)]


class Product(_Node):
    op: Literal["product"]
    args: Annotated[list[Expr], Field(min_length=1)]


class Difference(_Node):
    op: Literal["difference"]
    minuend: Expr
    subtrahend: Expr


class Ratio(_Node):
    """``numerator / denominator × scale``; a zero denominator gives no value (with a reason)."""

    op: Literal["ratio"]
    numerator: Expr
    denominator: Expr
    scale: Number = Decimal(1)


class Mean(_Node):
    """Mean of the arguments that have a value (N/A arguments drop out)."""

    op: Literal["mean"]
    args: Annotated[list[Expr], Field(min_length=1)]


class Smallest(_Node):
    """Smallest argument (no value if any has none): ``min(100, x)`` caps x at 100."""

    op: Literal["min"]
    args: Annotated[list[Expr], Field(min_length=1)]


class Largest(_Node):
    op: Literal["max"]
    args: Annotated[list[Expr], Field(min_length=1)]


class Coalesce(_Node):
    """The first argument that has a value (e.g. computed from evidence, else the reported figure)."""

    op: Literal["first_of"]
    args: Annotated[list[Expr], Field(min_length=1)]


class Component(_Node):
    """One weighted component: contribution = min(weight × value, cap).

    ``cap`` is the maximum contribution as the manual states it ("15 % capped at 18 %" →
    ``weight: 0.15, cap: 18``). ``applicable``: when given and it evaluates to no value or 0, the
    component is N/A; a component whose value is missing is N/A too.
    """

    name: Annotated[str, Field(pattern=NAME)]
    weight: Annotated[Number, Field(gt=0)]
    cap: Number | None = None
    value: Expr
    applicable: Expr | None = None


class Weighted(_Node):
    """Σ contributions of the applicable components; with ``renormalise`` the weights of the
    applicable components are scaled back up to the total weight (N/A components drop out)."""

    op: Literal["weighted"]
    components: Annotated[list[Component], Field(min_length=1)]
    renormalise: bool = True

    @field_validator("components")
    @classmethod
    def _unique(cls, v: list[Component]) -> list[Component]:
        seen: set[str] = set()
        for c in v:
            if c.name in seen:
                raise ValueError(f"component name {c.name!r} is used twice")
            seen.add(c.name)
        return v


class Convert(_Node):
    """Piecewise-linear conversion scale through ``points`` [[x, y], ...] (x strictly increasing).

    Outside the points the first/last segment is extended (then the rule set's clamp applies).
    Example, stabilize: Ca 0→0, 90→100, 100→120.
    """

    op: Literal["convert"]
    value: Expr
    points: Annotated[list[tuple[Number, Number]], Field(min_length=2)]

    @field_validator("points")
    @classmethod
    def _increasing(cls, v: list[tuple[Decimal, Decimal]]) -> list[tuple[Decimal, Decimal]]:
        return _strictly_increasing(v, "points")


class Band(_Node):
    at_least: Number
    value: Number


class Bands(_Node):
    """Step lookup: the value of the first band whose ``at_least`` the input reaches (bands top down)."""

    op: Literal["bands"]
    value: Expr
    bands: Annotated[list[Band], Field(min_length=1)]
    otherwise: Number = Decimal(0)

    @field_validator("bands")
    @classmethod
    def _descending(cls, v: list[Band]) -> list[Band]:
        for a, b in zip(v, v[1:], strict=False):
            if b.at_least >= a.at_least:
                raise ValueError("bands must be ordered by at_least, highest first")
        return v


class Konversi120(_Node):
    """ "Konversi 120": a value reaching the maximal target ``threshold`` becomes 120; below it,
    ``value / threshold × 100`` (11a-N: 99.53 % against 95 % → 120)."""

    op: Literal["konversi_120"]
    value: Expr
    threshold: Expr
    converted: Number = Decimal(120)


class ScoreDocuments(_ItemFilter):
    """Score evidence items: per item the HIGHEST score among its outcome codes (``table`` maps
    code → score; an item without codes scores ``table['none']`` or 0), then ``reduce`` over the
    items (sum, mean or count). ``codes`` names the item field holding the codes: a string, a
    list of strings, a list of objects with ``type`` (BA Tegah follow-ups), or an object of
    counts (LPT ``outcomes``: the codes with a count above 0)."""

    op: Literal["score_documents"]
    codes: Annotated[str, Field(pattern=PATH)] = "outcomes"
    table: Annotated[str, Field(pattern=NAME)]
    reduce: Literal["sum", "mean", "count"] = "sum"


class AgreementTarget(_Node):
    """The agreement's target of the IKU for the period being scored (stated, or derived from the
    quarters): lets a manual compare with the real target instead of a copy of it (Konversi 120)."""

    op: Literal["target"]


class OnTimeReports(_Node):
    """Timeliness, measured: the reports of the period's quarters that were submitted by the
    deadline of the calendar in force then (the registry's ``cycle[Q].on_time``, ADR 0020 / 0024;
    never typed in). ``count``: how many quarters of the window were on time (1b-N component D:
    ``{op: product, args: [{op: on_time_reports}, {op: const, value: 5}]}`` = 4 × 5 %);
    ``share``: that count over the quarters of the window (0..1). No quarter of the window
    submitted yet: no value (nothing to measure); a quarter not submitted counts as not on time."""

    op: Literal["on_time_reports"]
    reduce: Literal["count", "share"] = "count"


class Round(_Node):
    """Round to ``places`` decimals (ROUND_HALF_UP), where a worksheet prescribes a rounded figure."""

    op: Literal["round"]
    value: Expr
    places: Annotated[int, Field(ge=0, le=10)] = 2


class ZonaIntegritas(_Node):
    """A result of the satker's stored Zona Integritas evaluation of the agreement's year (issue 13,
    ADR 0025): ``total``, ``pengungkit``, ``hasil``, the lever halves ``pemenuhan`` / ``reform``, or
    ``wbk`` / ``wbbm`` (1 reached, 0 not) of one *submitted* level. The scoring service reads the
    evaluation from the registry and hands the results in as the input :data:`ZI_INPUT`; no
    submitted level (or no evaluation) gives no value. Example (seed 002: the ZI value, plus 20 %
    of the reform value when WBBM is reached): ``sum[zi total, product[0.2, zi reform, zi wbbm]]``."""

    op: Literal["zona_integritas"]
    field: Literal["total", "pengungkit", "hasil", "pemenuhan", "reform", "wbk", "wbbm"]
    level: Literal["unit", "kanwil", "national"] = "national"


#: the input (evidence section) the service fills with the ZI results for :class:`ZonaIntegritas`
ZI_INPUT = "zona_integritas"


Expr = Annotated[
    Union[  # noqa: UP007 - a forward-referenced discriminated union reads better this way
        Const,
        Part,
        Reported,
        EvidenceValue,
        Sum,
        Product,
        Difference,
        Ratio,
        Mean,
        Smallest,
        Largest,
        Coalesce,
        Weighted,
        Convert,
        Bands,
        Konversi120,
        ScoreDocuments,
        Items,
        Round,
        AgreementTarget,
        OnTimeReports,
        ZonaIntegritas,
    ],
    Field(discriminator="op"),
]
#: every expression node type (the members of the ``Expr`` union)
_NODES: tuple[type[_Node], ...] = get_args(get_args(Expr)[0])
OPS: frozenset[str] = frozenset(
    m.model_fields["op"].annotation.__args__[0]  # type: ignore[union-attr]
    for m in _NODES
)


class TargetZeroRule(_Node):
    """What the index is when the target is 0 (otherwise: not computable).

    ``worst`` (min IKU): the worst (baseline) realisation, a constant of the manual or a part the
    agreement's measures carry (``{op: part, name: baseline}``); the index is then
    ``(worst − R) / worst × 100``, clamped. ``met``/``missed``: a fixed index when the realisation
    is on the right side of 0 for the polarity (max: R ≥ 0, min: R ≤ 0) or not."""

    met: Number | None = None
    missed: Number = Decimal(0)
    worst: Expr | None = None

    @model_validator(mode="after")
    def _worst_or_met(self) -> TargetZeroRule:
        if self.met is None and self.worst is None:
            raise ValueError("target_zero needs met (a fixed index) or worst (the baseline realisation)")
        if isinstance(self.worst, Const) and self.worst.value <= 0:
            raise ManualPathError(
                "target_zero.worst.value",
                f"the worst realisation must be above 0 (target 0 is the best), got {self.worst.value}",
            )
        return self


class Manual(_Node):
    """An IKU manual document (stored by the registry, interpreted here)."""

    version: int | None = None
    description: str | None = None
    realization: Expr
    precision: Annotated[int, Field(ge=0, le=10)] | None = None
    """Round the realisation to this many decimals (ROUND_HALF_UP) where the official worksheet
    publishes a rounded realisation that the index is taken from; unset = full precision."""
    stabilize_scale: Annotated[list[tuple[Number, Number]], Field(min_length=2)] | None = None
    """Conversion scale of Ca for polarity ``stabilize`` (e.g. [[0,0],[90,100],[100,120]])."""
    target_zero: TargetZeroRule | None = None
    tables: dict[Annotated[str, Field(pattern=NAME)], dict[str, Number]] = Field(default_factory=dict)
    notes: str | None = None

    @field_validator("stabilize_scale")
    @classmethod
    def _increasing(cls, v: list[tuple[Decimal, Decimal]] | None) -> list[tuple[Decimal, Decimal]] | None:
        return None if v is None else _strictly_increasing(v, "scale")

    @cached_property
    def reads_evidence(self) -> bool:
        """Whether the realisation reads evidence aggregates (then the service fetches them).

        Computed once per parsed manual (manuals are immutable and cached by content), instead of
        walking the tree for every indicator of every bundle."""
        evidence_ops = (EvidenceValue, Items, ScoreDocuments)
        return any(isinstance(node, evidence_ops) for _, node in walk(self.realization, "realization"))

    @cached_property
    def reads_zi(self) -> bool:
        """Whether the realisation reads the Zona Integritas evaluation (then the service fetches
        it, ADR 0025); cached like :attr:`reads_evidence`."""
        return any(isinstance(node, ZonaIntegritas) for _, node in walk(self.realization, "realization"))

    @cached_property
    def compiled(self) -> Any:
        """The realisation compiled to value-only closures (evaluate.compile_plain), once per
        parsed manual: what scoring runs. :attr:`traced` is the same with the explain trace."""
        from services.scoring.engine.evaluate import compile_plain  # evaluate imports this module

        return compile_plain(self.realization)

    @cached_property
    def traced(self) -> Any:
        """The realisation compiled to closures that also record the explain trace and the
        inputs read (evaluate.compile_expr), once per parsed manual."""
        from services.scoring.engine.evaluate import compile_expr

        return compile_expr(self.realization, "realization")

    @cached_property
    def compiled_worst(self) -> Any:
        """``target_zero.worst`` compiled, or None."""
        from services.scoring.engine.evaluate import compile_expr

        tz = self.target_zero
        return None if tz is None or tz.worst is None else compile_expr(tz.worst, "target_zero.worst")

    @model_validator(mode="after")
    def _tables_exist(self) -> Manual:
        for path, node in walk(self.realization, "realization"):
            if isinstance(node, ScoreDocuments) and node.table not in self.tables:
                raise ManualPathError(f"{path}.table", f"unknown table {node.table!r} (define it under tables)")
        return self


class ManualPathError(ValueError):
    """A semantic error at a known path (raised inside validators, reported with that path)."""

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(reason)
        self.path = path
        self.reason = reason


_MODELS: list[type[_Node]] = [*_NODES, Component, TargetZeroRule, Manual]
for _m in _MODELS:  # resolve the forward references to ``Expr`` (a no-op where there are none)
    _m.model_rebuild()


def walk(node: Any, path: str) -> Any:
    """Yield (json path, node) for every expression node under ``node`` (depth first)."""
    yield path, node
    if isinstance(node, Weighted):
        for i, c in enumerate(node.components):
            yield from walk(c.value, f"{path}.components[{i}].value")
            if c.applicable is not None:
                yield from walk(c.applicable, f"{path}.components[{i}].applicable")
        return
    for name in type(node).model_fields:
        child = getattr(node, name)
        if isinstance(child, _Node) and not isinstance(child, Band):
            yield from walk(child, f"{path}.{name}")
        elif isinstance(child, list):
            for i, item in enumerate(child):
                if isinstance(item, _Node) and not isinstance(item, Band):
                    yield from walk(item, f"{path}.{name}[{i}]")


class ManualError(ValueError):
    """Invalid manual: ``errors`` is a list of (JSON path inside the manual, reason)."""

    def __init__(self, errors: list[tuple[str, str]]) -> None:
        super().__init__("; ".join(f"{p}: {r}" for p, r in errors))
        self.errors = errors


def _json_path(loc: tuple[int | str, ...]) -> str:
    """pydantic's location → the JSON path inside the manual, without the union's tags."""
    return json_path([item for item in loc if isinstance(item, int) or not _is_tag(item)], root="")


def _is_tag(item: str) -> bool:
    return item in OPS or item.startswith("function-")  # the union's tag, not a field of the document


def _refine(e: ErrorDetails, found: FieldError) -> FieldError:
    """A semantic error keeps the path it knows; an unknown or missing ``op`` says which ops exist."""
    ctx_err = (e.get("ctx") or {}).get("error")
    if isinstance(ctx_err, ManualPathError):
        return FieldError(field=ctx_err.path, reason=ctx_err.reason)
    if e.get("type") == "union_tag_invalid":
        return FieldError(
            field=found.field, reason=f"unknown op {e.get('input', {}).get('op')!r}; one of {', '.join(sorted(OPS))}"
        )
    if e.get("type") == "union_tag_not_found":
        return FieldError(field=found.field, reason="an expression needs an 'op'")
    return found


def parse_manual(document: Any) -> Manual:
    """Validate a manual document; raises :class:`ManualError` with path + reason per problem."""
    if not isinstance(document, dict):
        raise ManualError([("$", "a manual is a mapping with at least a 'realization' expression")])
    try:
        return Manual.model_validate(document)
    except ValidationError as exc:
        found = field_errors(exc, locate=_json_path, refine=_refine)
        raise ManualError([(e.field, e.reason) for e in found]) from None
