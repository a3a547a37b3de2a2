"""The commit protocol of ``SessionDep``: commit before the response leaves, a failing commit is a
problem (never a 2xx) and leaves nothing, and an unexpected error keeps the connection alive.

A small probe service (the kernel's frame, one table) on PostgreSQL and on SQLite. The table
carries a *deferred* constraint that refuses keys starting with ``refuse-`` only at COMMIT (a
constraint trigger on PostgreSQL, a deferred foreign key on SQLite), and on PostgreSQL keys
starting with ``drop-`` make the server end the connection during COMMIT: the two ways a commit
fails after every statement of the request went through.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI, Request
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from kernel.app import new_service_app
from kernel.db import Database, ReadSessionDep, SessionDep, async_url, is_sqlite
from kernel.errors import NotFound
from kernel.testing import sibling_database
from tests.loopback import serve

pytestmark = pytest.mark.anyio

PG_SCHEMA = [
    "CREATE TABLE probe_item (key text PRIMARY KEY)",
    """CREATE FUNCTION probe_at_commit() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF NEW.key LIKE 'refuse-%' THEN
            RAISE EXCEPTION 'refused at commit' USING ERRCODE = 'check_violation';
        END IF;
        IF NEW.key LIKE 'drop-%' THEN
            PERFORM pg_terminate_backend(pg_backend_pid());
        END IF;
        RETURN NULL;
    END $$""",
    """CREATE CONSTRAINT TRIGGER probe_at_commit AFTER INSERT ON probe_item
       DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION probe_at_commit()""",
]
SQLITE_SCHEMA = [
    "CREATE TABLE probe_item (key TEXT PRIMARY KEY)",
    "CREATE TABLE probe_guard (id INTEGER PRIMARY KEY)",
    "CREATE TABLE probe_ref (key TEXT, guard INTEGER REFERENCES probe_guard (id) DEFERRABLE INITIALLY DEFERRED)",
    """CREATE TRIGGER probe_at_commit AFTER INSERT ON probe_item WHEN NEW.key LIKE 'refuse-%'
       BEGIN INSERT INTO probe_ref VALUES (NEW.key, -1); END""",
]


@pytest.fixture(params=["postgresql", "sqlite"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'probe.db'}"
        return
    with sibling_database(request.getfixturevalue("pg_url"), f"probe_{uuid.uuid4().hex[:8]}") as url:
        yield url


def probe_app(url: str) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        db = Database.create(url, schema=None)
        async with db.engine.begin() as conn:
            for statement in SQLITE_SCHEMA if is_sqlite(url) else PG_SCHEMA:
                await conn.execute(text(statement))
        app.state.db = db
        try:
            yield
        finally:
            await db.dispose()

    app = new_service_app(service="probe", title="probe", description="probe", lifespan=lifespan, access_log=False)

    @app.post("/items/{key}", status_code=201)
    async def create(key: str, session: SessionDep) -> dict[str, str]:
        await session.execute(text("INSERT INTO probe_item (key) VALUES (:key)"), {"key": key})
        return {"key": key}

    @app.get("/items/{key}")
    async def read(key: str, session: ReadSessionDep) -> dict[str, str]:
        found = (await session.execute(text("SELECT key FROM probe_item WHERE key = :key"), {"key": key})).first()
        if found is None:
            raise NotFound(f"{key} not found")
        return {"key": key}

    @app.get("/peer")
    async def peer(request: Request) -> dict[str, int]:
        assert request.client is not None
        return {"port": request.client.port}

    @app.get("/boom")
    async def boom() -> None:
        raise RuntimeError("a bug")

    return app


class SeenAtResponseStart:
    """ASGI wrapper: when the response starts, look through an independent connection whether the
    key the request wrote is already committed (what any other client would see at that moment)."""

    def __init__(self, app: ASGIApp, url: str) -> None:
        self.app = app
        self.engine = create_async_engine(async_url(url))
        self.seen: list[bool] = []

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        key = scope["path"].rsplit("/", 1)[-1]

        async def checking_send(message: Message) -> None:
            if message["type"] == "http.response.start" and scope["method"] == "POST":
                async with self.engine.connect() as conn:
                    row = await conn.execute(text("SELECT 1 FROM probe_item WHERE key = :key"), {"key": key})
                    self.seen.append(row.first() is not None)
            await send(message)

        await self.app(scope, receive, checking_send)


async def test_the_write_is_committed_before_the_response_starts(db_url: str) -> None:
    app = probe_app(db_url)
    probe = SeenAtResponseStart(app, db_url)
    try:
        async with (
            app.router.lifespan_context(app),
            httpx.AsyncClient(transport=httpx.ASGITransport(app=probe), base_url="http://probe") as c,
        ):
            for i in range(20):
                r = await c.post(f"/items/k-{i}")
                assert r.status_code == 201, r.text
    finally:
        await probe.engine.dispose()
    assert probe.seen == [True] * 20


async def test_a_commit_refused_by_a_deferred_constraint_is_409_and_leaves_nothing(db_url: str) -> None:
    app = probe_app(db_url)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app, raise_app_exceptions=False), base_url="http://probe"
        ) as c,
    ):
        r = await c.post("/items/refuse-1")
        assert r.status_code == 409, r.text
        assert r.headers["content-type"] == "application/problem+json"
        assert r.json()["type"] == "/problems/conflict"
        assert (await c.get("/items/refuse-1")).status_code == 404  # nothing half-written
        assert (await c.post("/items/fine-1")).status_code == 201  # the pool is fine afterwards
        assert (await c.get("/items/fine-1")).status_code == 200


async def test_a_connection_lost_during_commit_is_503_not_a_2xx(pg_url: str) -> None:
    with sibling_database(pg_url, f"probe_{uuid.uuid4().hex[:8]}") as url:
        app = probe_app(url)
        async with (
            app.router.lifespan_context(app),
            httpx.AsyncClient(
                transport=httpx.ASGITransport(app=app, raise_app_exceptions=False), base_url="http://probe"
            ) as c,
        ):
            r = await c.post("/items/drop-1")
            assert r.status_code == 503, r.text
            assert r.headers["content-type"] == "application/problem+json"
            assert "retry-after" in r.headers
            assert (await c.get("/items/drop-1")).status_code == 404
            assert (await c.post("/items/fine-2")).status_code == 201  # a fresh connection serves the next


async def test_an_unexpected_error_is_a_500_problem_on_the_same_keep_alive_connection(tmp_path: Path) -> None:
    app = probe_app(f"sqlite:///{tmp_path / 'probe.db'}")
    async with (
        serve(app) as base_url,
        httpx.AsyncClient(base_url=base_url, limits=httpx.Limits(max_connections=1)) as c,
    ):
        before = (await c.get("/peer")).json()["port"]
        r = await c.get("/boom")
        assert r.status_code == 500
        assert r.headers["content-type"] == "application/problem+json"
        assert "a bug" not in r.text
        after = (await c.get("/peer")).json()["port"]
    assert after == before  # the server kept the connection: the client did not have to reconnect
