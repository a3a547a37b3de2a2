"""Import and export of a whole agreement (format ``kinerja.agreement/v1``, JSON or YAML).

The import runs inside the request's one transaction and writes as it goes; any error raises,
the request session rolls back, and nothing is left half-written. Errors name the JSON path in
the imported document (``$.agreement.indicators[3].polarity``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import yaml
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from kernel.errors import FieldError, ProblemError, Unprocessable, json_path, validation_problem
from services.registry.schemas import (
    AddendumCreate,
    ImportAgreement,
    ImportDocument,
    ImportResult,
    IndicatorIn,
    ObjectiveIn,
    RuleSetRef,
    SatkerCreate,
    SatkerKind,
)
from services.registry.service import agreements as agreements_service
from services.registry.service import measures as measures_service
from services.registry.service import satkers as satkers_service
from services.registry.service.agreements import ManualValidator
from services.registry.service.periods import period_order
from services.registry.store.models import Indicator
from services.registry.store.repositories import (
    AgreementRepository,
    MeasureRepository,
    RuleSetRepository,
    SatkerRepository,
)

#: nesting a client's document may have (an agreement needs ~10 levels, a manual ~20): deeper
#: documents are refused before anything recursive (YAML composer, pydantic, the manual parser,
#: orjson's 255-level encoder) can hit Python's recursion limit and answer 500.
MAX_DEPTH = 64


class _Refused(yaml.YAMLError):  # type: ignore[misc]
    pass


class _ClientLoader(yaml.SafeLoader):  # type: ignore[misc]
    """``SafeLoader`` for documents clients send: no aliases, bounded nesting.

    An alias repeats a node without copying it in the text, so a few kilobytes of ``&a [*b, *b,
    ...]`` expand to gigabytes once constructed (a "billion laughs" bomb); an import document has
    no use for them (merge keys ``<<: *x`` included), so any alias is refused while composing,
    before a node is built. Depth is counted on the same walk.
    """

    def __init__(self, stream: Any) -> None:
        super().__init__(stream)
        self._depth = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            raise _Refused(f"line {self.peek_event().start_mark.line + 1}: aliases (*name) are not accepted")
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH:
                raise _Refused(f"line {self.peek_event().start_mark.line + 1}: nested deeper than {MAX_DEPTH} levels")
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


def load_yaml(raw: bytes | str) -> Any:
    """A client's YAML document; 422 (field ``$``) when it is not YAML, uses aliases or nests too deep."""
    try:
        return yaml.load(raw, Loader=_ClientLoader)  # noqa: S506 (a SafeLoader subclass)
    except yaml.YAMLError as exc:
        raise Unprocessable(f"not valid YAML: {exc}", field="$") from None


def ensure_depth(value: Any, limit: int = MAX_DEPTH) -> None:
    """422 when ``value`` (decoded JSON) nests deeper than ``limit`` (walked without recursion)."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict | list):
            if depth > limit:
                raise Unprocessable(f"the document is nested deeper than {limit} levels", field="$")
            stack.extend((v, depth + 1) for v in (item.values() if isinstance(item, dict) else item))


def parse(raw: Any) -> ImportDocument:
    try:
        return ImportDocument.model_validate(raw)
    except ValidationError as exc:
        raise validation_problem(exc, locate=json_path) from None


async def planned_path(*, session: AsyncSession, doc: ImportDocument) -> list[str]:
    """The path the agreement's satker will have once imported (for authorisation before writing)."""
    repo = SatkerRepository(session)
    code: str | None = doc.agreement.satker
    declared = {s.code: s.parent for s in doc.satkers}
    new: list[str] = []  # codes not yet in the database, from the satker upwards
    while code is not None and code not in new:
        existing = await repo.lineage(code)
        if existing:
            return [s.code for s in existing] + new[::-1]
        new.append(code)
        code = declared.get(code)
    return new[::-1]


async def import_document(
    *, session: AsyncSession, doc: ImportDocument, validator: ManualValidator, actor: str, now: datetime
) -> ImportResult:
    satkers = SatkerRepository(session)
    created: list[str] = []
    for i, s in enumerate(doc.satkers):
        if await satkers.get(s.code) is None:  # existing satker are kept as they are
            await satkers_service.create(session=session, data=s, now=now, field_prefix=f"$.satkers[{i}].")
            created.append(s.code)

    a = doc.agreement
    prefix = "$.agreement."
    agreement = await agreements_service.create(
        session=session, satker_code=a.satker, data=a, actor=actor, now=now, prefix=prefix
    )
    for j, addendum in enumerate(a.addenda):
        await agreements_service.add_addendum(
            session=session, agreement=agreement, data=addendum, actor=actor, now=now, prefix=f"{prefix}addenda[{j}]."
        )
    indicators = {i.code: i for i in await AgreementRepository(session).indicators([agreement.id])}

    def known(section: str, code: str) -> Indicator:
        if code not in indicators:
            raise Unprocessable(f"unknown IKU {code}", field=json_path(["agreement", section, code]))
        return indicators[code]

    for code, manual in a.manuals.items():
        ind = known("manuals", code)
        try:
            await agreements_service.store_manual(
                session=session, indicator=ind, document=manual, validator=validator, actor=actor, now=now
            )
        except ProblemError as exc:
            if exc.status_code != 422:
                raise
            base = json_path(["agreement", "manuals", code])
            errors = [FieldError(field=base + _tail(e.field), reason=e.reason) for e in exc.errors or []]
            raise Unprocessable(
                f"manual of {code}: {exc.detail}", errors=errors or [FieldError(field=base, reason=exc.detail)]
            ) from exc

    rows = [
        (known("measures", code), period, part, value)
        for code, periods in a.measures.items()
        for period, parts in periods.items()
        for part, value in parts.items()
    ]
    for ind, period, part, value in rows:
        if not value.is_finite():
            raise Unprocessable(
                "must be a finite number", field=json_path(["agreement", "measures", ind.code, period, part])
            )
    reported = _measures_recorded_at(
        {str(k): v for k, v in a.measures_recorded_at.items()}, {p for _, p, _, _ in rows}, agreement.recorded_at, now
    )
    count = await measures_service.bulk_insert(session=session, rows=rows, actor=actor, now=now, recorded_at=reported)
    for period in a.closed_periods:
        await agreements_service.close_period(session=session, agreement=agreement, period=period, actor=actor, now=now)
    return ImportResult(
        satkers_created=created,
        agreement=agreement.number,
        year=agreement.year,
        indicators=len(indicators),
        targets=sum(len(i.targets) for i in a.indicators)
        + sum(len(p) for ad in a.addenda for p in ad.targets.values()),
        addenda=len(a.addenda),
        manuals=len(a.manuals),
        measures=count,
        measures_recorded_at=reported,
    )


def _measures_recorded_at(
    given: dict[str, datetime], periods: set[str], agreement_recorded_at: datetime, now: datetime
) -> dict[str, datetime]:
    """The past reporting times of an import (ADR 0024): with a zone, not in the future, not before
    the agreement was recorded (an ``as_of`` read could not show them), for a period with measures."""
    out: dict[str, datetime] = {}
    for period, at in given.items():
        field = json_path(["agreement", "measures_recorded_at", period])
        if at.tzinfo is None:
            raise Unprocessable("recorded_at needs a time zone", field=field)
        if at > now:
            raise Unprocessable("recorded_at lies in the future", field=field)
        if at < agreement_recorded_at:
            raise Unprocessable(
                f"measures cannot be recorded before their agreement ({agreement_recorded_at.isoformat()})", field=field
            )
        if period not in periods:
            raise Unprocessable(f"no measures of {period} in this document", field=field)
        out[period] = at
    return out


def _tail(field: str) -> str:
    """A field named by the scoring service inside a manual, appended to the manual's JSON path."""
    if field.startswith("$"):
        return field[1:]
    if not field:
        return ""
    return field if field.startswith("[") else "." + field


async def export_document(*, session: AsyncSession, satker_code: str, year: int, as_of: datetime) -> ImportDocument:
    """The agreement as an import document: original targets, each addendum's changes, state at ``as_of``."""
    lineage = await satkers_service.lineage(session=session, code=satker_code)
    agreement = await agreements_service.get(session=session, satker_code=satker_code, year=year, as_of=as_of)
    repo = AgreementRepository(session)
    rule_set = (await RuleSetRepository(session).by_ids([agreement.rule_set_id]))[agreement.rule_set_id]
    docs = await repo.documents([agreement.id], as_of)
    doc_ids = {d.id for d in docs}
    objectives = await repo.objectives([agreement.id])
    codes = {o.id: o.code for o in objectives}
    indicators = await repo.indicators([agreement.id])
    ind_ids = [i.id for i in indicators]
    by_id = {i.id: i for i in indicators}
    per_doc: dict[int, dict[str, dict[str, Any]]] = {}
    for t, d in sorted(await repo.target_history(ind_ids), key=lambda r: period_order(r[0].period)):
        if d.id in doc_ids:
            per_doc.setdefault(d.id, {}).setdefault(by_id[t.indicator_id].code, {})[t.period] = t.value
    original = docs[0]
    manuals = await repo.manuals(ind_ids, as_of)
    measures: dict[str, dict[str, dict[str, Any]]] = {}
    reported: dict[str, datetime] = {}  # per period, when its newest current part was recorded
    for m in sorted(await MeasureRepository(session).at(ind_ids, as_of), key=lambda m: period_order(m.period)):
        measures.setdefault(by_id[m.indicator_id].code, {}).setdefault(m.period, {})[m.part] = m.value
        reported[m.period] = max(reported.get(m.period, m.recorded_at), m.recorded_at)
    closures = await repo.closures([agreement.id], as_of)
    first = per_doc.get(original.id, {})
    return ImportDocument(
        satkers=[
            SatkerCreate(code=s.code, name=s.name, kind=SatkerKind(s.kind), parent=s.parent_code, staff=s.staff)
            for s in lineage
        ],
        agreement=ImportAgreement(
            satker=satker_code,
            year=agreement.year,
            number=agreement.number,
            level=agreement.level,
            rule_set=RuleSetRef(code=rule_set.code, version=rule_set.version),
            signed_on=original.signed_on,
            recorded_at=original.recorded_at,
            objectives=[
                ObjectiveIn(code=o.code, name=o.name, perspective=o.perspective, weight=o.weight) for o in objectives
            ],
            indicators=[
                IndicatorIn(
                    **agreements_service.indicator_fields(i, codes[i.objective_id]), targets=first.get(i.code, {})
                )
                for i in indicators
            ],
            addenda=[
                AddendumCreate(
                    number=d.number,
                    note=d.note,
                    signed_on=d.signed_on,
                    recorded_at=d.recorded_at,
                    targets=per_doc.get(d.id, {}),
                )
                for d in docs[1:]
            ],
            manuals={by_id[k].code: m.document for k, m in manuals.items()},
            measures=measures,
            measures_recorded_at=reported,
            closed_periods=agreements_service.closed_list(closures),
        ),
    )
