"""The bundle (contracts.md §6): everything scoring needs about agreements, in one request.

Cost is a fixed number of queries whatever the size: satker lineage/subtree (1), agreements (1;
joined to their rule set for one bundle), then one query each for the rule sets (a list of
bundles), documents with closed periods (one ``UNION ALL``), the SS with their IKU and the IKU's
manual in force (one statement), their targets and measures (one ``UNION ALL``) and the cycle
over *all* requested agreements at once, assembled in memory (ADR 0014 round 2: 6 statements for
one bundle, was 11).

The shape is the contract :class:`contracts.bundle.Bundle` (ADR 0016): the dicts built here are
typed with its TypedDicts, so mypy checks every key (a missing, misspelt or extra one is a type
error), and ``tests/registry`` validate the JSON answered against it with ``extra="forbid"``.

Performance (every score request reads one bundle; bench/bench_scoring.py): the rows come from
:class:`~services.registry.store.repositories.BundleRepository` as plain tuples and the bundle
is assembled here as plain dicts in its wire form (numbers as floats: a stored figure has at most
15 significant digits, which a float carries exactly; timestamps as ISO text), with the stored
JSON documents of the rule set and the manuals embedded verbatim as ``orjson.Fragment``. The
router serialises it with orjson. Building and then validating ~1,000 pydantic objects per
bundle cost more than the SQL, so nothing is validated at run time on this side.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, cast

import orjson
from sqlalchemy.ext.asyncio import AsyncSession

from contracts.bundle import (
    FORMAT,
    Bundle,
    BundleCycle,
    BundleManual,
    BundleObjective,
    BundleTarget,
)
from contracts.wire import Document
from kernel.errors import NotFound
from services.registry.service import agreements as agreements_service
from services.registry.service import satkers as satkers_service
from services.registry.service.cycle_submissions import cycle_facts
from services.registry.service.periods import period_order
from services.registry.store.models import Agreement, Satker
from services.registry.store.repositories import AgreementRepository, BundleRepository, SatkerRepository

BundleBody = Bundle  # the wire form (orjson-serialisable)

#: ``orjson.dumps`` options for bundles: aware UTC datetimes as ``...Z`` (as pydantic writes them).
ORJSON_OPTIONS = orjson.OPT_UTC_Z


def _num(value: Decimal | None) -> float | None:
    """A ``kernel.types.Number`` on the wire: a JSON number (float), ``None`` stays null."""
    return None if value is None else float(value)


def _ts(value: datetime) -> str:
    """A moment as the contract's ``Timestamp``: ISO-8601 in UTC with ``Z``, the text orjson's
    ``OPT_UTC_Z`` writes for the same datetime (stored moments are UTC; naive ones are read so)."""
    value = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    return value.isoformat().removesuffix("+00:00") + "Z"


#: the contract's text of a moment, for the router's ``Kinerja-As-Of`` header (the body's ``as_of``)
timestamp = _ts


def _ts_or_none(value: datetime | None) -> str | None:
    return None if value is None else _ts(value)


def _embedded(document: str) -> Document:
    """A stored JSON document put into the bundle verbatim (``orjson.Fragment``: not parsed and
    dumped again). Typed as the object it is on the wire; only orjson ever serialises it."""
    return cast(Document, orjson.Fragment(document))


def _cycle(facts: dict[str, dict[str, Any]]) -> dict[str, BundleCycle]:
    """``cycle_facts`` (ADR 0020) in the contract's form, quarters in period order."""
    return {
        q: BundleCycle(
            state=f["state"],
            revision=f["revision"],
            submitted_at=_ts_or_none(f["submitted_at"]),
            due=_ts_or_none(f["due"]),
            on_time=f["on_time"],
        )
        for q, f in _in_period_order(facts).items()
    }


def _in_period_order(by_period: dict[str, Any]) -> dict[str, Any]:
    """The same mapping with its periods in calendar order (Q1, Q2, S1, ..., M01, ..., M12)."""
    return {p: by_period[p] for p in sorted(by_period, key=period_order)}


async def assemble(
    *,
    session: AsyncSession,
    items: list[tuple[Satker, list[str], Agreement]],
    as_of: datetime,
    rule_sets: Mapping[int, Any] | None = None,
) -> list[BundleBody]:
    """``rule_sets``: the agreements' rule sets by id (``code``, ``version``, ``document`` as JSON
    text) when the caller read them already; else read here."""
    ids = [a.id for _, _, a in items]
    repo = BundleRepository(session)
    if rule_sets is None:
        rule_sets = {r.id: r for r in await repo.rule_sets(sorted({a.rule_set_id for _, _, a in items}))}
    docs: dict[int, list[Any]] = defaultdict(list)
    closures: dict[int, set[str]] = defaultdict(set)
    for d in await repo.documents(ids, as_of):  # documents and closed periods, one statement
        if d.row == "c":
            closures[d.agreement_id].add(d.period)
        else:
            docs[d.agreement_id].append(d)
    # SS, IKU and manuals in force: one statement, one row per SS x IKU (ADR 0014 round 2)
    objectives: dict[int, list[BundleObjective]] = defaultdict(list)
    objective_code: dict[int, str] = {}
    indicators: list[Any] = []
    for o in await repo.outline(ids, as_of):
        if o.objective_id not in objective_code:
            objectives[o.agreement_id].append(
                {
                    "code": o.objective_code,
                    "name": o.objective_name,
                    "perspective": o.perspective,
                    "weight": float(o.objective_weight),
                }
            )
            objective_code[o.objective_id] = o.objective_code
        if o.id is not None:
            indicators.append(o)
    indicators.sort(key=lambda i: (i.agreement_id, i.position))  # the agreement's IKU order
    manuals: dict[int, BundleManual] = {
        i.id: {"version": i.manual_version, "document": _embedded(i.manual_document)}
        for i in indicators
        if i.manual_version is not None
    }
    # Targets and measures (one statement) are most of the rows: tuple unpacking (not Row
    # attribute access), and periods put in calendar order once per indicator instead of sorting
    # every row by period. Measure parts keep the SQL's order (by part) within a period.
    targets: dict[int, dict[str, BundleTarget]] = defaultdict(dict)
    measures: dict[int, dict[str, dict[str, float]]] = defaultdict(dict)
    for kind, ind_id, period, part, value, number, version in await repo.parts(ids, as_of):
        if kind == "t":
            targets[ind_id][period] = {"value": _num(value), "document": number, "version": version}
            continue
        by_period = measures[ind_id]
        slot = by_period.get(period)
        if slot is None:
            slot = by_period[period] = {}
        slot[part] = float(value)  # NOT NULL column; a Number on the wire is a float
    targets = {k: _in_period_order(v) for k, v in targets.items()}
    measures = {k: _in_period_order(v) for k, v in measures.items()}
    cycle = await cycle_facts(session=session, agreement_ids=ids, as_of=as_of)
    by_agreement: dict[int, list[Any]] = defaultdict(list)
    for i in indicators:
        by_agreement[i.agreement_id].append(i)

    stamp = _ts(as_of)
    out: list[Bundle] = []
    for satker, path, agreement in items:
        aid = agreement.id
        rs = rule_sets[agreement.rule_set_id]
        adocs = docs[aid]
        out.append(
            {
                "as_of": stamp,
                "satker": {
                    "code": satker.code,
                    "name": satker.name,
                    "kind": satker.kind,
                    "parent": satker.parent_code,
                    "path": path,
                    "staff": satker.staff,
                },
                "agreement": {
                    "number": agreement.number,
                    "year": agreement.year,
                    "level": agreement.level,
                    "version": max((d.version for d in adocs), default=1),
                },
                "rule_set": {"code": rs.code, "version": rs.version, "document": _embedded(rs.document)},
                "addenda": [
                    {
                        "number": d.number,
                        "version": d.version,
                        "recorded_at": _ts(d.recorded_at),
                        "recorded_by": d.recorded_by,
                        "note": d.note,
                    }
                    for d in adocs
                    if d.kind == "addendum"
                ],
                "objectives": objectives[aid],
                "indicators": [
                    {
                        "code": i.code,
                        "objective": objective_code[i.objective_id],
                        "name": i.name,
                        "polarity": i.polarity,
                        "unit": i.unit,
                        "scale": _num(i.scale),
                        "consolidation": i.consolidation,
                        "validity_control": i.validity_control,
                        "weight": float(i.weight),
                        "region_aggregation": i.region_aggregation,
                        "manual": manuals.get(i.id),
                        "targets": targets.get(i.id, {}),
                        "measures": measures.get(i.id, {}),
                    }
                    for i in by_agreement[aid]
                ],
                "closed_periods": sorted(closures[aid], key=period_order),
                "cycle": _cycle(cycle.get(aid, {})),
            }
        )
    return out


#: what a bundle's ETag vouches for besides the revision: the shape, so a registry whose bundle
#: changes shape (a new contract version) never answers 304 to a copy in the old one
BUNDLE_SHAPE = FORMAT


async def tag(*, session: AsyncSession, code: str, year: int, as_of: datetime | None) -> str:
    """The strong ETag of the bundle of ``code``/``year`` at ``as_of`` (``None``: now), ADR 0026.

    Made of the registry revision (:meth:`BundleRepository.revision`), which the database changes
    in every transaction that writes to any registry table, so the same tag proves that no row the
    bundle is built from has changed. Call it BEFORE reading the bundle: a write committed in
    between then gives the copy a tag that is already outdated (one needless re-read), never a
    current tag on outdated rows. The router takes "now" *after* the tag, so every write the
    revision has seen committed was stamped before that moment. "Now" needs nothing more: no
    stored moment lies in the future
    (recorded, submitted, decided and published times are the server's clock at the write; an
    import's ``measures_recorded_at`` is refused in the future), so the rows in force "now" change
    only with a write."""
    revision = await BundleRepository(session).revision()
    moment = "now" if as_of is None else _ts(as_of)
    key = f"{BUNDLE_SHAPE}|{revision}|{code}|{year}|{moment}"
    return '"' + hashlib.blake2b(key.encode(), digest_size=16).hexdigest() + '"'


def matches(if_none_match: str | None, etag: str) -> bool:
    """``If-None-Match`` (RFC 9110 §13.1.2) names ``etag``: ``*`` or one of its listed tags
    (weak comparison, as the RFC prescribes for this header)."""
    if not if_none_match:
        return False
    if if_none_match.strip() == "*":
        return True
    listed = {t.strip().removeprefix("W/") for t in if_none_match.split(",")}
    return etag in listed


async def bundle(
    *, session: AsyncSession, code: str, year: int, as_of: datetime, lineage: Sequence[Satker] | None = None
) -> BundleBody:
    """``lineage``: the satker's lineage when the caller already has it (the router authorised with
    it), which saves the recursive query."""
    if lineage is None:
        lineage = await satkers_service.lineage(session=session, code=code)
    # the agreement and its rule set in one statement; without an agreement at ``as_of`` the
    # agreement routes' own read answers (its 404), and a bundle is assembled if it finds one
    head = await BundleRepository(session).head(code, year)
    rule_sets: dict[int, Any] | None = None
    if head is not None and head[0].recorded_at <= as_of:
        agreement, rule_sets = head[0], {head.id: head}
    else:
        agreement = await agreements_service.get(session=session, satker_code=code, year=year, as_of=as_of)
    items = [(lineage[-1], [s.code for s in lineage], agreement)]
    return (await assemble(session=session, items=items, as_of=as_of, rule_sets=rule_sets))[0]


async def subtree_bundles(
    *, session: AsyncSession, code: str, year: int, as_of: datetime, lineage: Sequence[Satker] | None = None
) -> list[BundleBody]:
    """Bundles of the satker and every satker under it with an agreement that year (tree order)."""
    if lineage is None:
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
