"""Everything an upload can be refused for before a single byte of its file is read (ADR 0012)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from contracts.periods import WINDOWS
from kernel.auth import Principal
from kernel.errors import Conflict, Unprocessable
from services.evidence.schemas import DocumentMetadata
from services.evidence.service.context import Actor, Runtime
from services.evidence.service.disclosure import agreement, subtree
from services.evidence.service.kinds import (
    HEAD_OFFICE,
    KINDS,
    PERIODS,
    check_fields,
    division_of,
    month_closed,
    parse_number,
)
from services.evidence.store import repository as repo
from services.evidence.store.models import Document


class PeriodClosed(Conflict):
    slug, title = "period-closed", "Period closed"


class Duplicate(Conflict):
    slug, title = "duplicate-document", "Duplicate document"


@dataclass
class Checked:
    meta: DocumentMetadata
    issuer: str
    year: int
    fields: dict[str, Any]
    parent: Document | None


async def check_issuer(
    rt: Runtime, principal: Principal, satker: str, path: list[str], org: str, claimed: str | None
) -> str:
    """Who issued a document recorded for ``satker``, from its number's ORG part (ADR 0012).

    The issuing unit is the last segment of ORG (``ND-273/WBC.16/2024`` → ``WBC.16``,
    ``ST-61/BC/WBC.16/2024`` → ``WBC.16``, ``PRIN-222/BC/BC.10/2024`` → ``BC.10``). It must be
    the head office (:data:`HEAD_OFFICE`: ``BC``, ``BC.10``...; above every satker, not in the
    registry) or, as the registry knows the tree, the satker itself, a satker above it on its
    path or one under it — each possibly through one of its divisions, whose code is the
    satker's plus one digit (``WBC.165``, Bidang Kepatuhan Internal of ``WBC.16``). Anything
    else (a sibling, another Kanwil's office, an unknown code) is refused: a free-text issuer let
    one satker occupy another's numbers. The issuer recorded is that satker (or head-office
    unit); a stated ``issuer`` must name it or the unit of the number.
    """
    unit = org.rsplit("/", 1)[-1]
    issuer: str | None = None
    if HEAD_OFFICE.match(unit):
        issuer = unit
    else:
        candidates = [unit] + division_of(unit)
        issuer = next((c for c in candidates if c in path), None)
        if issuer is None:
            below = await subtree(rt, principal, satker)
            issuer = next((c for c in candidates if c in below), None)
        if issuer is None:
            raise Unprocessable(
                f"the number's issuing office {unit} is not {satker}, one of its units, a satker of its tree "
                f"({' > '.join(path)} and those under it) nor the head office (BC): a satker records its own "
                "numbers and those it received from its tree",
                field="number",
            )
    if claimed is not None and claimed.strip() not in {issuer, unit}:
        raise Unprocessable(
            f"issuer {claimed.strip()} does not match the number's issuing office {unit}", field="issuer"
        )
    return issuer


async def check_metadata(
    rt: Runtime,
    session: AsyncSession,
    actor: Actor,
    satker: str,
    meta: DocumentMetadata,
    *,
    lineage: Document | None,
    path: list[str],
) -> Checked:
    """Everything that can be refused before a single byte of the file is read."""
    if meta.kind not in KINDS:
        raise Unprocessable(f"unknown document kind {meta.kind!r}", field="kind")
    if meta.period not in PERIODS:
        raise Unprocessable(f"unknown period {meta.period!r} (one of {', '.join(PERIODS)})", field="period")
    number = parse_number(meta.kind, meta.number)
    d = meta.document_date
    if number.year != d.year:
        raise Unprocessable(f"number year {number.year} differs from the document date {d.isoformat()}", field="number")
    if d.month not in WINDOWS[meta.period]:
        raise Unprocessable(
            f"document date {d.isoformat()} lies outside period {meta.period} {d.year}", field="document_date"
        )
    pk = await agreement(rt, actor.principal, satker, d.year)
    indicators = {str(i.get("code")) for i in pk.get("indicators", [])}
    if meta.indicator not in indicators:
        raise Unprocessable(f"{meta.indicator} is not an IKU of {satker} in {d.year}", field="indicator")
    closed = month_closed(d.month, list(pk.get("closed_periods", [])))
    if closed is not None:
        raise PeriodClosed(
            f"period {closed} {d.year} of {satker} is closed; evidence for it is refused", field="period"
        )
    parent: Document | None = None
    if meta.parent_id is not None:
        found = await repo.get(session, meta.parent_id)
        parent = await repo.current_of_lineage(session, found.lineage_id) if found else None
        if parent is None or parent.satker != satker:
            raise Unprocessable("parent document not found in this satker", field="parent_id")
        allowed = KINDS[meta.kind].parents
        if parent.kind not in allowed:
            raise Unprocessable(
                f"a {meta.kind} cannot follow from a {parent.kind} (allowed: {', '.join(sorted(allowed)) or 'none'})",
                field="parent_id",
            )
        if lineage is not None and parent.lineage_id == lineage.lineage_id:
            raise Unprocessable("a document cannot be its own parent", field="parent_id")
    fields = check_fields(meta.kind, meta.fields, parent_kind=parent.kind if parent else None)
    issuer = await check_issuer(rt, actor.principal, satker, path, number.org, meta.issuer)
    # numbers are unique per satker (ADR 0012): the one found is in this satker, which the caller
    # may write, so naming it tells nothing the caller may not read
    same = await repo.by_number(session, satker, meta.kind, meta.number.strip(), issuer)
    if same is not None and (lineage is None or same.lineage_id != lineage.lineage_id):
        raise Duplicate(
            f"{meta.kind} {meta.number} of {issuer} is already recorded (document {same.id}); "
            "upload a correction as a new revision of it",
            field="number",
            extra={"existing_id": str(same.id)},
        )
    return Checked(meta=meta, issuer=issuer, year=d.year, fields=fields, parent=parent)
