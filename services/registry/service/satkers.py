"""Satker tree rules: unique codes, known parents, no cycles."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from kernel.errors import Conflict, NotFound, Unprocessable
from services.registry.schemas import SatkerCreate, SatkerOut, SatkerUpdate
from services.registry.store.models import Satker
from services.registry.store.repositories import SatkerRepository, flush


def to_out(satker: Satker, path: list[str]) -> SatkerOut:
    return SatkerOut(
        code=satker.code, name=satker.name, kind=satker.kind, parent=satker.parent_code, path=path, staff=satker.staff
    )


async def lineage(*, session: AsyncSession, code: str) -> list[Satker]:
    """The satker's ancestors and itself, root first; 404 for an unknown code."""
    rows = await SatkerRepository(session).lineage(code)
    if not rows:
        raise NotFound(f"unknown satker {code}", field="code")
    return rows


async def known_lineage(*, session: AsyncSession, code: str) -> list[Satker]:
    """The satker's ancestors and itself, root first; empty for an unknown code (the caller decides)."""
    return await SatkerRepository(session).lineage(code)


async def get(*, session: AsyncSession, code: str) -> SatkerOut:
    rows = await lineage(session=session, code=code)
    return to_out(rows[-1], [s.code for s in rows])


def paths_of(satkers: list[Satker]) -> dict[str, list[str]]:
    """Paths of every satker of a loaded tree (root first), computed in memory."""
    parent = {s.code: s.parent_code for s in satkers}
    out: dict[str, list[str]] = {}
    for s in satkers:
        path: list[str] = []
        seen: set[str] = set()
        cur: str | None = s.code
        while cur is not None and cur not in seen:
            seen.add(cur)
            path.append(cur)
            cur = parent.get(cur)
        out[s.code] = path[::-1]
    return out


async def all_with_paths(*, session: AsyncSession) -> list[SatkerOut]:
    satkers = await SatkerRepository(session).all()
    paths = paths_of(satkers)
    return [to_out(s, paths[s.code]) for s in satkers]


async def subtree(*, session: AsyncSession, code: str) -> list[SatkerOut]:
    root = await lineage(session=session, code=code)
    rows = await SatkerRepository(session).subtree(code)
    prefix = [s.code for s in root[:-1]]
    paths = paths_of([r[0] for r in rows])
    return [to_out(s, prefix + paths[s.code]) for s, _ in rows]


async def children(*, session: AsyncSession, code: str) -> list[SatkerOut]:
    root = await lineage(session=session, code=code)
    path = [s.code for s in root]
    return [to_out(s, [*path, s.code]) for s in await SatkerRepository(session).children(code)]


async def create(*, session: AsyncSession, data: SatkerCreate, now: datetime, field_prefix: str = "") -> SatkerOut:
    repo = SatkerRepository(session)
    if await repo.get(data.code) is not None:
        raise Conflict(f"satker {data.code} already exists", field=f"{field_prefix}code")
    path: list[str] = []
    if data.parent is not None:
        parents = await repo.lineage(data.parent)
        if not parents:
            raise Unprocessable(f"unknown parent satker {data.parent}", field=f"{field_prefix}parent")
        path = [s.code for s in parents]
    satker = Satker(
        code=data.code,
        name=data.name,
        kind=data.kind.value,
        parent_code=data.parent,
        staff=data.staff,
        created_at=now,
        updated_at=now,
    )
    await repo.add(satker)
    return to_out(satker, [*path, satker.code])


async def update(*, session: AsyncSession, code: str, data: SatkerUpdate, now: datetime) -> SatkerOut:
    repo = SatkerRepository(session)
    satker = await repo.get(code)
    if satker is None:
        raise NotFound(f"unknown satker {code}", field="code")
    changes = data.model_dump(exclude_unset=True)
    if "parent" in changes:
        parent = changes.pop("parent")
        if parent is not None:
            parents = await repo.lineage(parent)
            if not parents:
                raise Unprocessable(f"unknown parent satker {parent}", field="parent")
            if code in {s.code for s in parents}:
                raise Unprocessable(f"{parent} is {code} or lies under it: the tree would have a cycle", field="parent")
        satker.parent_code = parent
    for name in ("name", "staff"):
        if name in changes:
            setattr(satker, name, changes[name])
    if changes.get("kind") is not None:
        satker.kind = str(changes["kind"])
    satker.updated_at = now
    await flush(session)
    return await get(session=session, code=code)
