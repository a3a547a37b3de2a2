"""Concurrent writers of one measure, on PostgreSQL and on SQLite (the embedded default).

Two PUTs/PATCHes sent at the same time with the same ETag: exactly one wins, the other is a 412
carrying the winner's ETag, and the period holds exactly the winner's parts (never the union,
never a 409 from a unique index). A long write holding SQLite's file lock makes another write a
503 with Retry-After, nothing half-written, and the write goes through once the lock is gone.
"""

from __future__ import annotations

import asyncio
import sqlite3
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from kernel.settings import AuthSettings, CommonSettings
from kernel.testing import sibling_database
from runner.composition import build_system, running
from services.registry.settings import RegistrySettings
from tests.conftest import Mint, bearer
from tests.registry.conftest import mini_document

pytestmark = pytest.mark.anyio
R = "/api/v1/registry"
SATKER = "KBC.1690"
A = f"{R}/satkers/{SATKER}/agreements/2024"
M = f"{A}/indicators/1b-N/measures/M02"
ROUNDS = 40


@pytest.fixture(params=["postgresql", "sqlite"])
async def registry(
    request: pytest.FixtureRequest, auth: AuthSettings, tmp_path: Path, mint: Mint
) -> AsyncIterator[tuple[httpx.AsyncClient, str]]:
    """A running registry (+ scoring) with one small agreement; yields (client, database URL)."""
    common = CommonSettings(environment="test", data_dir=tmp_path / "data")
    with _database(request, tmp_path) as url:
        system = build_system(
            common=common,
            auth=auth,
            settings={"registry": RegistrySettings(database_url=url)},
            services=("registry", "scoring"),
        )
        async with (
            running(system),
            httpx.AsyncClient(
                transport=httpx.ASGITransport(app=system.apps["registry"], raise_app_exceptions=False),
                base_url="http://registry",
            ) as client,
        ):
            admin = bearer(mint("admin"))
            r = await client.post(
                f"{R}/import", json=mini_document(SATKER, 2024, "PK-90/KBC.1690/2024", parent=None), headers=admin
            )
            assert r.status_code == 201, r.text
            yield client, url


@contextmanager
def _database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'registry.db'}"
        return
    with sibling_database(request.getfixturevalue("pg_url"), f"races_{uuid.uuid4().hex[:8]}") as url:
        yield url


async def test_two_writers_with_the_same_etag_exactly_one_wins(
    registry: tuple[httpx.AsyncClient, str], mint: Mint
) -> None:
    client, _ = registry
    ana, budi = bearer(mint("satker_operator", SATKER, sub="ana")), bearer(mint("satker_operator", SATKER, sub="budi"))
    for i in range(ROUNDS):
        etag = (await client.get(M, headers=ana)).headers["etag"]
        # half the rounds on different parts (the union was stored), half on the same part
        # (the unique index of current parts answered 409)
        ana_parts = {"realization": i} if i % 2 else {"ana_part": i}
        budi_parts = {"realization": 1000 + i} if i % 2 else {"budi_part": i}
        method = "PUT" if i % 4 < 2 else "PATCH"
        ra, rb = await asyncio.gather(
            client.request(method, M, json={"parts": ana_parts}, headers=ana | {"If-Match": etag}),
            client.request(method, M, json={"parts": budi_parts}, headers=budi | {"If-Match": etag}),
        )
        assert sorted([ra.status_code, rb.status_code]) == [200, 412], (i, ra.text, rb.text)
        winner, loser = (ra, rb) if ra.status_code == 200 else (rb, ra)
        assert loser.headers["content-type"] == "application/problem+json"
        assert loser.headers["etag"] == winner.headers["etag"]  # the loser learns the current ETag
        now = await client.get(M, headers=ana)
        assert now.headers["etag"] == winner.headers["etag"]
        assert now.json()["parts"] == winner.json()["parts"], i
        wanted = ana_parts if winner is ra else budi_parts
        assert all(now.json()["parts"][k] == v for k, v in wanted.items())
        if method == "PUT":
            assert now.json()["parts"] == wanted
        else:  # PATCH merges into what stood before, never into the loser's change
            lost = budi_parts if winner is ra else ana_parts
            assert not any(now.json()["parts"].get(k) == v for k, v in lost.items())


async def test_sqlite_locked_by_a_long_write_is_503_with_retry_after(
    registry: tuple[httpx.AsyncClient, str], mint: Mint
) -> None:
    client, url = registry
    if not url.startswith("sqlite"):
        pytest.skip("the file lock is SQLite's; PostgreSQL writers wait on row locks")
    admin = bearer(mint("admin"))
    document = mini_document("KBC.1691", 2024, "PK-91/KBC.1691/2024", parent=None)
    holder = sqlite3.connect(url.removeprefix("sqlite:///"), isolation_level=None)
    try:
        holder.execute("BEGIN IMMEDIATE")  # what a long import does: hold the write lock
        r = await client.post(f"{R}/import", json=document, headers=admin)
        assert r.status_code == 503, r.text
        assert r.headers["content-type"] == "application/problem+json"
        assert int(r.headers["retry-after"]) >= 1
    finally:
        holder.rollback()
        holder.close()
    assert (await client.get(f"{R}/satkers/KBC.1691", headers=admin)).status_code == 404  # nothing half-written
    again = await client.post(f"{R}/import", json=document, headers=admin)
    assert again.status_code == 201, again.text
