"""Satker tree: ``/api/v1/registry/satkers``."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, status
from pydantic import BaseModel

from kernel.auth import Action, PrincipalDep, ensure_allowed
from kernel.db import ReadSessionDep, SessionDep
from kernel.errors import NotFound
from kernel.pagination import Page, PageDep, page_of
from kernel.types import OrgCodePath
from services.registry.api.deps import authorize, utcnow
from services.registry.schemas import SatkerCreate, SatkerOut, SatkerUpdate
from services.registry.service import satkers as service

router = APIRouter(tags=["satkers"])


class PathOut(BaseModel):
    code: OrgCodePath
    path: list[str]


_SATKER_EXAMPLE = {
    "code": "KBC.1602",
    "name": "KPPBC TMP B Samarinda",
    "kind": "kppbc_tmp_b",
    "parent": "WBC.16",
    "path": ["WBC.16", "KBC.1602"],
    "staff": 72,
}


@router.get(
    "/satkers",
    summary="List the satker the caller may read",
    description="The satker in the caller's reach (own satker and, by role, the ones under it), in tree order, "
    "paged with `limit`/`offset`.",
    responses={
        200: {
            "content": {
                "application/json": {"example": {"items": [_SATKER_EXAMPLE], "total": 7, "limit": 1, "offset": 0}}
            }
        }
    },
)
async def list_satkers(
    session: ReadSessionDep,
    principal: PrincipalDep,
    page: PageDep,
    parent: Annotated[str | None, Query(description="only the children of this satker")] = None,
) -> Page[SatkerOut]:
    items = [
        s
        for s in await service.all_with_paths(session=session)
        if principal.allows(Action.READ, s.path) and (parent is None or s.parent == parent)
    ]
    return Page(
        items=items[page.offset : page.offset + page.limit], total=len(items), limit=page.limit, offset=page.offset
    )


@router.post(
    "/satkers",
    status_code=status.HTTP_201_CREATED,
    summary="Create a satker (admin)",
    description="Create an office (Kanwil, KPPBC, ...) under its parent; the code is the org code (e.g. `KBC.1602`).",
)
async def create_satker(body: SatkerCreate, session: SessionDep, principal: PrincipalDep) -> SatkerOut:
    parent_path = (
        [s.code for s in await service.known_lineage(session=session, code=body.parent)] if body.parent else []
    )
    ensure_allowed(principal, Action.MANAGE, [*parent_path, body.code])
    return await service.create(session=session, data=body, now=utcnow())


@router.get(
    "/satkers/{code}",
    summary="A satker with its path root..satker",
    description="One satker by its code (`WBC.16`, `KBC.1602`); 403 outside the caller's reach, 404 when unknown.",
    responses={200: {"content": {"application/json": {"example": _SATKER_EXAMPLE}}}},
)
async def get_satker(code: OrgCodePath, session: ReadSessionDep, principal: PrincipalDep) -> SatkerOut:
    lineage = await authorize(session, principal, Action.READ, code)
    return service.to_out(lineage[-1], [s.code for s in lineage])


@router.patch(
    "/satkers/{code}",
    summary="Rename, re-parent or re-size a satker (admin)",
    description=(
        "Change the name, the parent or the staff count of a satker; the tree stays a tree (a satker "
        "cannot move under itself)."
    ),
)
async def update_satker(
    code: OrgCodePath, body: SatkerUpdate, session: SessionDep, principal: PrincipalDep
) -> SatkerOut:
    await authorize(session, principal, Action.MANAGE, code)
    if body.parent is not None:
        parents = await service.known_lineage(session=session, code=body.parent)
        if parents:
            ensure_allowed(principal, Action.MANAGE, [s.code for s in parents])
    return await service.update(session=session, code=code, data=body, now=utcnow())


@router.get(
    "/satkers/{code}/path",
    summary="The path root..satker",
    description=(
        'The org codes from the root to the satker, e.g. `["WBC.16", "KBC.1602"]`: what every service '
        "authorises against."
    ),
)
async def get_path(code: OrgCodePath, session: ReadSessionDep, principal: PrincipalDep) -> PathOut:
    lineage = await authorize(session, principal, Action.READ, code)
    return PathOut(code=code, path=[s.code for s in lineage])


@router.get(
    "/satkers/{code}/children",
    summary="The direct children the caller may read",
    description="The satkers directly under `code` that the caller may read.",
)
async def get_children(
    code: OrgCodePath, session: ReadSessionDep, principal: PrincipalDep, page: PageDep
) -> Page[SatkerOut]:
    await authorize(session, principal, Action.READ, code)
    items = [s for s in await service.children(session=session, code=code) if principal.allows(Action.READ, s.path)]
    return page_of(items, page)


@router.get(
    "/satkers/{code}/subtree",
    summary="The satker and everything under it (tree order)",
    description="The satker and every satker under it that the caller may read, in tree order.",
)
async def get_subtree(
    code: OrgCodePath, session: ReadSessionDep, principal: PrincipalDep, page: PageDep
) -> Page[SatkerOut]:
    await authorize(session, principal, Action.READ, code)
    items = [s for s in await service.subtree(session=session, code=code) if principal.allows(Action.READ, s.path)]
    if not items:
        raise NotFound(f"unknown satker {code}", field="code")
    return page_of(items, page)
