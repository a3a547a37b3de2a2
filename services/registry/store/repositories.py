"""All SQL of the registry. Services call these; nothing else builds a query.

Reads that feed the bundle take *lists* of ids and return everything in one query per table,
so a bundle costs a fixed number of round trips whatever the number of IKU or satker (no N+1).
Temporal reads take ``as_of`` and select the rows current at that instant (ADR 0003).
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from datetime import datetime
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from kernel.columns import in_force
from kernel.errors import Conflict
from services.registry.store.models import (
    TS,
    Agreement,
    AgreementDocument,
    Indicator,
    Manual,
    Measure,
    Objective,
    PeriodClosure,
    RegistryRevision,
    RuleSet,
    Satker,
    Target,
)

_MAX_DEPTH = 32  # guards the recursive queries against a cycle that slipped in by hand


async def flush(session: AsyncSession) -> None:
    """Flush, turning a unique-constraint race into a 409 instead of a 500."""
    try:
        await session.flush()
    except IntegrityError as exc:
        raise Conflict(f"conflicting concurrent change: {exc.orig.__class__.__name__}") from exc


@functools.cache
def _lineage_statement() -> sa.Select[Any]:
    """Built once: every request authorises through the lineage, and building this recursive CTE
    cost more than running it. ``code`` is a bind parameter."""
    s = sa.table("satker", sa.column("code"), sa.column("parent_code"))
    up = (
        sa.select(s.c.code, s.c.parent_code, sa.literal(0).label("depth"))
        .where(s.c.code == sa.bindparam("code", type_=sa.String()))
        .cte("up", recursive=True)
    )
    up = up.union_all(
        sa.select(s.c.code, s.c.parent_code, (up.c.depth + 1).label("depth"))
        .join(up, s.c.code == up.c.parent_code)
        .where(up.c.depth < _MAX_DEPTH)
    )
    return sa.select(Satker).join(up, col(Satker.code) == up.c.code).order_by(up.c.depth.desc())


@functools.cache
def _all_satkers_statement() -> sa.Select[Any]:
    """Built once (the satker list is read by every list request)."""
    return sa.select(Satker).order_by(col(Satker.code))


@functools.cache
def _agreement_statement() -> sa.Select[Any]:
    """Built once, like the lineage: every agreement endpoint (and every bundle) starts with this
    lookup, and building the expression cost more than the compiled-cache lookup it feeds."""
    return sa.select(Agreement).where(
        col(Agreement.satker_code) == sa.bindparam("satker_code", type_=sa.String()),
        col(Agreement.year) == sa.bindparam("year", type_=sa.Integer()),
    )


class SatkerRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, code: str) -> Satker | None:
        return await self.session.get(Satker, code)

    async def lineage(self, code: str) -> list[Satker]:
        """The satker and its ancestors, root first (one recursive query)."""
        return list((await self.session.execute(_lineage_statement(), {"code": code})).scalars())

    async def subtree(self, code: str) -> list[tuple[Satker, int]]:
        """The satker and everything under it with the depth below it (one recursive query)."""
        s = sa.table("satker", sa.column("code"), sa.column("parent_code"))
        down = sa.select(s.c.code, sa.literal(0).label("depth")).where(s.c.code == code).cte("down", recursive=True)
        down = down.union_all(
            sa.select(s.c.code, (down.c.depth + 1).label("depth"))
            .join(down, s.c.parent_code == down.c.code)
            .where(down.c.depth < _MAX_DEPTH)
        )
        stmt = (
            sa.select(Satker, down.c.depth)
            .join(down, col(Satker.code) == down.c.code)
            .order_by(down.c.depth, col(Satker.code))
        )
        return [(row[0], row[1]) for row in (await self.session.execute(stmt)).all()]

    async def children(self, code: str) -> list[Satker]:
        stmt = sa.select(Satker).where(col(Satker.parent_code) == code).order_by(col(Satker.code))
        return list((await self.session.execute(stmt)).scalars())

    async def all(self) -> list[Satker]:
        return list((await self.session.execute(_all_satkers_statement())).scalars())

    async def add(self, satker: Satker) -> Satker:
        self.session.add(satker)
        await flush(self.session)
        return satker


class RuleSetRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, code: str, version: int) -> RuleSet | None:
        stmt = sa.select(RuleSet).where(col(RuleSet.code) == code, col(RuleSet.version) == version)
        return (await self.session.execute(stmt)).scalar_one_or_none()

    async def by_ids(self, ids: Sequence[int]) -> dict[int, RuleSet]:
        if not ids:
            return {}
        stmt = sa.select(RuleSet).where(col(RuleSet.id).in_(ids))
        return {r.id: r for r in (await self.session.execute(stmt)).scalars()}

    async def list(self, code: str | None = None) -> list[RuleSet]:
        stmt = sa.select(RuleSet).order_by(col(RuleSet.code), col(RuleSet.version))
        if code is not None:
            stmt = stmt.where(col(RuleSet.code) == code)
        return list((await self.session.execute(stmt)).scalars())

    async def add(self, rule_set: RuleSet) -> RuleSet:
        self.session.add(rule_set)
        await flush(self.session)
        return rule_set


class AgreementRepository:
    """Agreements, their documents, objectives, indicators, manuals, targets and closures."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    # agreements and documents

    async def get(self, satker_code: str, year: int) -> Agreement | None:
        params = {"satker_code": satker_code, "year": year}
        found: Agreement | None = (await self.session.execute(_agreement_statement(), params)).scalar_one_or_none()
        return found

    async def for_satkers(self, codes: Sequence[str], year: int) -> list[Agreement]:
        stmt = sa.select(Agreement).where(col(Agreement.satker_code).in_(codes), col(Agreement.year) == year)
        return list((await self.session.execute(stmt)).scalars())

    async def list_for_satker(self, satker_code: str) -> list[Agreement]:
        stmt = sa.select(Agreement).where(col(Agreement.satker_code) == satker_code).order_by(col(Agreement.year))
        return list((await self.session.execute(stmt)).scalars())

    async def number_taken(self, number: str) -> bool:
        q1 = sa.select(col(AgreementDocument.id)).where(col(AgreementDocument.number) == number)
        q2 = sa.select(col(Agreement.id)).where(col(Agreement.number) == number)
        return (await self.session.execute(sa.union_all(q1, q2).limit(1))).first() is not None

    async def documents(self, agreement_ids: Sequence[int], as_of: datetime | None = None) -> list[AgreementDocument]:
        stmt = sa.select(AgreementDocument).where(col(AgreementDocument.agreement_id).in_(agreement_ids))
        if as_of is not None:
            stmt = stmt.where(col(AgreementDocument.recorded_at) <= as_of)
        stmt = stmt.order_by(col(AgreementDocument.agreement_id), col(AgreementDocument.version))
        return list((await self.session.execute(stmt)).scalars())

    async def last_document(self, agreement_id: int) -> AgreementDocument | None:
        stmt = (
            sa.select(AgreementDocument)
            .where(col(AgreementDocument.agreement_id) == agreement_id)
            .order_by(col(AgreementDocument.version).desc())
            .limit(1)
        )
        return (await self.session.execute(stmt)).scalar_one_or_none()

    async def lock(self, agreement_id: int) -> None:
        """Serialise writers of one agreement (addenda, closures, measures) until the commit.

        PostgreSQL: a row lock (``FOR UPDATE``). SQLite ignores ``FOR UPDATE`` and the driver
        runs reads outside a transaction, so two writers both read, both passed the If-Match
        check and both wrote. There a no-op UPDATE of the row takes the database's write lock
        instead: as the first write of the transaction it waits (busy timeout) for the other
        writer's commit, and every read after it sees that commit.
        """
        if self.session.get_bind().dialect.name == "sqlite":
            await self.session.execute(
                sa.update(Agreement).where(col(Agreement.id) == agreement_id).values(id=col(Agreement.id))
            )
            return
        await self.session.execute(
            sa.select(col(Agreement.id)).where(col(Agreement.id) == agreement_id).with_for_update()
        )

    # structure

    async def objectives(self, agreement_ids: Sequence[int]) -> list[Objective]:
        stmt = (
            sa.select(Objective)
            .where(col(Objective.agreement_id).in_(agreement_ids))
            .order_by(col(Objective.agreement_id), col(Objective.position))
        )
        return list((await self.session.execute(stmt)).scalars())

    async def indicators(self, agreement_ids: Sequence[int]) -> list[Indicator]:
        stmt = (
            sa.select(Indicator)
            .where(col(Indicator.agreement_id).in_(agreement_ids))
            .order_by(col(Indicator.agreement_id), col(Indicator.position))
        )
        return list((await self.session.execute(stmt)).scalars())

    async def indicator(self, agreement_id: int, code: str) -> Indicator | None:
        stmt = sa.select(Indicator).where(col(Indicator.agreement_id) == agreement_id, col(Indicator.code) == code)
        return (await self.session.execute(stmt)).scalar_one_or_none()

    async def add(self, *rows: Any) -> None:
        self.session.add_all(rows)
        await flush(self.session)

    # manuals

    async def manuals(self, indicator_ids: Sequence[int], as_of: datetime) -> dict[int, Manual]:
        """The manual version in force at ``as_of`` per indicator (the highest version recorded by then)."""
        if not indicator_ids:
            return {}
        latest = (
            sa.select(col(Manual.indicator_id), sa.func.max(col(Manual.version)).label("version"))
            .where(col(Manual.indicator_id).in_(indicator_ids), col(Manual.recorded_at) <= as_of)
            .group_by(col(Manual.indicator_id))
            .subquery()
        )
        stmt = sa.select(Manual).join(
            latest, sa.and_(col(Manual.indicator_id) == latest.c.indicator_id, col(Manual.version) == latest.c.version)
        )
        return {m.indicator_id: m for m in (await self.session.execute(stmt)).scalars()}

    async def manual_versions(self, indicator_id: int) -> list[Manual]:
        stmt = sa.select(Manual).where(col(Manual.indicator_id) == indicator_id).order_by(col(Manual.version))
        return list((await self.session.execute(stmt)).scalars())

    # targets

    async def targets(self, indicator_ids: Sequence[int], as_of: datetime) -> list[tuple[Target, AgreementDocument]]:
        if not indicator_ids:
            return []
        stmt = (
            sa.select(Target, AgreementDocument)
            .join(AgreementDocument, col(AgreementDocument.id) == col(Target.document_id))
            .where(col(Target.indicator_id).in_(indicator_ids), Target.current_at(as_of))
        )
        return [(r[0], r[1]) for r in (await self.session.execute(stmt)).all()]

    async def target_history(self, indicator_ids: Sequence[int]) -> list[tuple[Target, AgreementDocument]]:
        stmt = (
            sa.select(Target, AgreementDocument)
            .join(AgreementDocument, col(AgreementDocument.id) == col(Target.document_id))
            .where(col(Target.indicator_id).in_(indicator_ids))
            .order_by(col(Target.indicator_id), col(Target.recorded_at), col(Target.id))
        )
        return [(r[0], r[1]) for r in (await self.session.execute(stmt)).all()]

    async def supersede_target(self, indicator_id: int, period: str, at: datetime) -> None:
        stmt = (
            sa.update(Target)
            .where(
                col(Target.indicator_id) == indicator_id,
                col(Target.period) == period,
                col(Target.superseded_at).is_(None),
            )
            .values(superseded_at=at)
        )
        await self.session.execute(stmt)

    # closures

    async def closures(self, agreement_ids: Sequence[int], as_of: datetime) -> list[PeriodClosure]:
        if not agreement_ids:
            return []
        stmt = sa.select(PeriodClosure).where(
            col(PeriodClosure.agreement_id).in_(agreement_ids), PeriodClosure.current_at(as_of)
        )
        return list((await self.session.execute(stmt)).scalars())

    async def open_closure(self, agreement_id: int, period: str) -> PeriodClosure | None:
        stmt = sa.select(PeriodClosure).where(
            col(PeriodClosure.agreement_id) == agreement_id,
            col(PeriodClosure.period) == period,
            col(PeriodClosure.reopened_at).is_(None),
        )
        return (await self.session.execute(stmt)).scalar_one_or_none()


class MeasureRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def at(self, indicator_ids: Sequence[int], as_of: datetime, period: str | None = None) -> list[Measure]:
        if not indicator_ids:
            return []
        stmt = sa.select(Measure).where(col(Measure.indicator_id).in_(indicator_ids), Measure.current_at(as_of))
        if period is not None:
            stmt = stmt.where(col(Measure.period) == period)
        return list((await self.session.execute(stmt.order_by(col(Measure.indicator_id), col(Measure.part)))).scalars())

    async def history(self, indicator_id: int, period: str | None = None) -> list[Measure]:
        stmt = sa.select(Measure).where(col(Measure.indicator_id) == indicator_id)
        if period is not None:
            stmt = stmt.where(col(Measure.period) == period)
        return list((await self.session.execute(stmt.order_by(col(Measure.recorded_at), col(Measure.id)))).scalars())

    async def supersede(self, ids: Sequence[int], at: datetime) -> None:
        if ids:
            await self.session.execute(sa.update(Measure).where(col(Measure.id).in_(ids)).values(superseded_at=at))

    async def add(self, rows: Sequence[Measure]) -> None:
        self.session.add_all(rows)
        await flush(self.session)


# --- the bundle's reads (contracts.md §6): Core rows, statements built once ---------------------
#
# The bundle is the hottest read of the system (every score request is one bundle). Profiling
# showed that with ORM entities most of its time went to (1) building the same SQLAlchemy
# expression trees on every call and (2) hydrating a few hundred ORM objects (identity map,
# instrumented attributes) that are only read once and thrown away. So these reads select plain
# columns (``Row`` tuples, no identity map) with statements built ONCE, parameterised by bind
# parameters (``expanding`` for the id lists); SQLAlchemy's compiled cache does the rest.
# The JSON documents (rule set, manuals) come back as their stored *text*: the bundle embeds
# them verbatim (``orjson.Fragment``) instead of decoding and re-encoding kilobytes of JSON.
# The SQL (tables, filters, orders) is the same as the ORM reads above, so results are identical.


def _current_at(table: sa.Table, as_of: sa.BindParameter[Any]) -> sa.ColumnElement[bool]:
    return in_force(table.c.recorded_at, table.c.superseded_at, as_of)


@functools.cache
def _bundle_statements() -> dict[str, sa.Select[Any]]:
    """The bundle's statements, built on first use (no work at import time) and then reused."""
    rs, doc, obj = RuleSet.__table__, AgreementDocument.__table__, Objective.__table__  # type: ignore[attr-defined]
    ind, man, tgt = Indicator.__table__, Manual.__table__, Target.__table__  # type: ignore[attr-defined]
    mea, clo = Measure.__table__, PeriodClosure.__table__  # type: ignore[attr-defined]

    def ids() -> sa.BindParameter[Any]:
        return sa.bindparam("ids", expanding=True)

    def at() -> sa.BindParameter[Any]:
        return sa.bindparam("as_of", type_=TS)

    # The IKU with the manual version in force at ``as_of`` (LEFT JOIN: an IKU may have none yet)
    # in ONE statement: the version is a correlated ``max`` over the manual's versions, which
    # PostgreSQL and SQLite both plan as an index probe per IKU (unique indicator_id, version).
    man_v = man.alias("manual_version")
    in_force_version = (
        sa.select(sa.func.max(man_v.c.version))
        .where(man_v.c.indicator_id == ind.c.id, man_v.c.recorded_at <= at())
        .scalar_subquery()
    )
    # Targets and measures in ONE statement (``UNION ALL``, told apart by ``kind``), selected by
    # agreement through their IKU, so they need not wait for the IKU's ids: the columns one kind
    # lacks are typed NULLs. Measures keep their order by IKU then part.
    targets = (
        sa.select(
            sa.literal("t").label("kind"),
            tgt.c.indicator_id,
            tgt.c.period,
            sa.cast(sa.null(), mea.c.part.type).label("part"),
            tgt.c.value,
            doc.c.number,
            doc.c.version,
        )
        .join(doc, doc.c.id == tgt.c.document_id)
        .join(ind, ind.c.id == tgt.c.indicator_id)
        .where(ind.c.agreement_id.in_(ids()), _current_at(tgt, at()))
    )
    measures = (
        sa.select(
            sa.literal("m").label("kind"),
            mea.c.indicator_id,
            mea.c.period,
            mea.c.part,
            mea.c.value,
            sa.cast(sa.null(), doc.c.number.type).label("number"),
            sa.cast(sa.null(), doc.c.version.type).label("version"),
        )
        .join(ind, ind.c.id == mea.c.indicator_id)
        .where(ind.c.agreement_id.in_(ids()), _current_at(mea, at()))
    )
    parts = sa.union_all(targets, measures).subquery("parts")
    # The agreements' documents recorded by ``as_of`` and their periods closed at ``as_of`` in ONE
    # statement, the same way (``row`` ``d``/``c``); documents by agreement then version.
    documents = sa.select(
        sa.literal("d").label("row"),
        doc.c.agreement_id,
        doc.c.version,
        doc.c.number,
        doc.c.kind,
        doc.c.note,
        doc.c.recorded_at,
        doc.c.recorded_by,
        sa.cast(sa.null(), clo.c.period.type).label("period"),
    ).where(doc.c.agreement_id.in_(ids()), doc.c.recorded_at <= at())
    closures = sa.select(
        sa.literal("c").label("row"),
        clo.c.agreement_id,
        sa.cast(sa.null(), doc.c.version.type).label("version"),
        sa.cast(sa.null(), doc.c.number.type).label("number"),
        sa.cast(sa.null(), doc.c.kind.type).label("kind"),
        sa.cast(sa.null(), doc.c.note.type).label("note"),
        sa.cast(sa.null(), doc.c.recorded_at.type).label("recorded_at"),
        sa.cast(sa.null(), doc.c.recorded_by.type).label("recorded_by"),
        clo.c.period,
    ).where(clo.c.agreement_id.in_(ids()), in_force(clo.c.closed_at, clo.c.reopened_at, at()))
    papers = sa.union_all(documents, closures).subquery("papers")
    return {
        "rule_sets": sa.select(
            rs.c.id, rs.c.code, rs.c.version, sa.cast(rs.c.document, sa.Text).label("document")
        ).where(rs.c.id.in_(ids())),
        "documents": sa.select(papers).order_by(papers.c.row, papers.c.agreement_id, papers.c.version),
        # the SS of the agreements, each with its IKU (LEFT JOIN: an SS may have none) and each IKU
        # with its manual in force (LEFT JOIN: an IKU may have none yet), in ONE statement
        "outline": sa.select(
            obj.c.id.label("objective_id"),
            obj.c.agreement_id,
            obj.c.code.label("objective_code"),
            obj.c.name.label("objective_name"),
            obj.c.perspective,
            obj.c.weight.label("objective_weight"),
            ind.c.id,
            ind.c.position,
            ind.c.code,
            ind.c.name,
            ind.c.polarity,
            ind.c.unit,
            ind.c.scale,
            ind.c.consolidation,
            ind.c.validity_control,
            ind.c.weight,
            ind.c.region_aggregation,
            man.c.version.label("manual_version"),
            sa.cast(man.c.document, sa.Text).label("manual_document"),
        )
        .select_from(
            obj.outerjoin(ind, ind.c.objective_id == obj.c.id).outerjoin(
                man, sa.and_(man.c.indicator_id == ind.c.id, man.c.version == in_force_version)
            )
        )
        .where(obj.c.agreement_id.in_(ids()))
        .order_by(obj.c.agreement_id, obj.c.position, ind.c.position),
        "parts": sa.select(parts).order_by(parts.c.kind, parts.c.indicator_id, parts.c.part),
    }


@functools.cache
def _bundle_head_statement() -> sa.Select[Any]:
    """The agreement (as :func:`_agreement_statement` finds it) joined to its rule set."""
    rs = RuleSet.__table__  # type: ignore[attr-defined]
    return (
        sa.select(Agreement, rs.c.id, rs.c.code, rs.c.version, sa.cast(rs.c.document, sa.Text).label("document"))
        .join(rs, rs.c.id == col(Agreement.rule_set_id))
        .where(
            col(Agreement.satker_code) == sa.bindparam("satker_code", type_=sa.String()),
            col(Agreement.year) == sa.bindparam("year", type_=sa.Integer()),
        )
    )


_REVISION = sa.select(col(RegistryRevision.token)).where(col(RegistryRevision.id) == 1)


class BundleRepository:
    """The bundle's reads over *lists* of ids (one query per table, whatever the number of satker)."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def _rows(self, name: str, ids: Sequence[int], as_of: datetime | None = None) -> list[sa.Row[Any]]:
        if not ids:
            return []
        params: dict[str, Any] = {"ids": list(ids)}
        if as_of is not None:
            params["as_of"] = as_of
        return list((await self.session.execute(_bundle_statements()[name], params)).all())

    async def head(self, satker_code: str, year: int) -> sa.Row[Agreement, int, str, int, str] | None:
        """The agreement of a satker and year with its rule set, one statement: (the agreement,
        rule set id, code, version, document as JSON text), ``None`` when there is none."""
        params = {"satker_code": satker_code, "year": year}
        row = (await self.session.execute(_bundle_head_statement(), params)).first()
        return cast("sa.Row[Agreement, int, str, int, str] | None", row)  # the statement fixes the shape

    async def revision(self) -> str:
        """The registry revision token (ADR 0026): changed by the database's triggers in every
        transaction that writes to a registry table. Read it *before* the rows it vouches for."""
        token = (await self.session.execute(_REVISION)).scalar_one_or_none()
        if token is None:  # migration 0015 inserts the row and nothing deletes it
            raise RuntimeError("registry_revision has no row: the registry database is not migrated to 0015")
        return str(token)

    async def rule_sets(self, ids: Sequence[int]) -> list[sa.Row[Any]]:
        """(id, code, version, document as JSON text)."""
        return await self._rows("rule_sets", ids)

    async def documents(self, agreement_ids: Sequence[int], as_of: datetime) -> list[sa.Row[Any]]:
        """Agreement documents recorded by ``as_of`` (``row`` ``"d"``, by agreement then version)
        and the periods closed at ``as_of`` (``row`` ``"c"``, ``period`` set, the document columns
        NULL), one statement."""
        return await self._rows("documents", agreement_ids, as_of)

    async def outline(self, agreement_ids: Sequence[int], as_of: datetime) -> list[sa.Row[Any]]:
        """One row per SS and IKU of the agreements (an SS without IKU: the IKU columns NULL), by
        agreement, SS position, IKU position; each IKU with ``manual_version`` and
        ``manual_document`` (JSON text) of the manual in force at ``as_of`` (NULL without one)."""
        return await self._rows("outline", agreement_ids, as_of)

    async def parts(
        self, agreement_ids: Sequence[int], as_of: datetime
    ) -> list[sa.Row[str, int, str, Any, Any, Any, Any]]:
        """The targets and measures of the agreements' IKU current at ``as_of``, one statement:
        (``"t"``, indicator_id, period, NULL, value, document number, document version) and
        (``"m"``, indicator_id, period, part, value, NULL, NULL); measures by IKU then part."""
        rows = await self._rows("parts", agreement_ids, as_of)
        return cast("list[sa.Row[str, int, str, Any, Any, Any, Any]]", rows)  # the statement fixes the shape
