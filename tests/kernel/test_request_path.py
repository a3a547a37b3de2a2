"""The cheap request path keeps its promises: remembered tokens still expire, read sessions
refuse writes, and a pooled connection the server closed is replaced without a pre-ping."""

from __future__ import annotations

import gc
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import anyio
import psycopg
import pytest
from fastapi import FastAPI
from sqlalchemy import Column, Integer, MetaData, Table, text

from kernel.app import FULL_COLLECTION_EVERY, new_service_app
from kernel.auth import TokenVerifier
from kernel.db import Database, ReadOnlySessionError
from kernel.errors import Unauthorized
from kernel.testing import libpq_url
from tests.conftest import TEST_SECRET

pytestmark = pytest.mark.anyio


def test_a_remembered_token_still_expires(monkeypatch: pytest.MonkeyPatch) -> None:
    v = TokenVerifier(secret=TEST_SECRET, leeway=0)
    tok = v.mint(subject="ana", role="admin", ttl_seconds=60)
    assert v.verify(tok) is v.verify(tok)  # the second answer is the remembered one
    later = time.time() + 61
    monkeypatch.setattr(time, "time", lambda: later)
    monkeypatch.setattr("jwt.api_jwt.datetime", _Clock(later))
    with pytest.raises(Unauthorized, match="expired"):
        v.verify(tok)


class _Clock:
    """Stands in for ``datetime`` inside PyJWT: ``now()`` at a fixed instant."""

    def __init__(self, at: float) -> None:
        self.at = at

    def now(self, tz: object = None) -> object:
        from datetime import UTC, datetime

        return datetime.fromtimestamp(self.at, tz=UTC)


async def test_read_sessions_open_no_transaction_and_refuse_writes(pg_url: str) -> None:
    t = Table("t", MetaData(), Column("x", Integer))
    db = Database.create(pg_url, schema=None, pool_size=1)
    try:
        async with db.read_sessions() as s:
            raw = await (await s.connection()).get_raw_connection()
            assert raw.driver_connection is not None and raw.driver_connection.autocommit  # no BEGIN/COMMIT
            assert (await s.execute(text("SELECT 1"))).scalar_one() == 1
            with pytest.raises(ReadOnlySessionError):
                await s.execute(t.insert().values(x=1))
        async with db.sessions() as s:  # the pool's connection is back in transaction mode
            raw = await (await s.connection()).get_raw_connection()
            assert raw.driver_connection is not None and not raw.driver_connection.autocommit
    finally:
        await db.dispose()


async def test_a_connection_closed_by_the_server_is_replaced_at_checkout(pg_url: str) -> None:
    db = Database.create(pg_url, schema=None, pool_size=1)
    try:
        async with db.engine.connect() as conn:
            pid = (await conn.execute(text("SELECT pg_backend_pid()"))).scalar_one()
        async with await psycopg.AsyncConnection.connect(libpq_url(pg_url), autocommit=True) as killer:
            await killer.execute("SELECT pg_terminate_backend(%s)", (pid,))
        await anyio.sleep(0.2)  # the server's FATAL message / EOF reaches the idle socket
        async with db.sessions() as s:  # no error: the dead connection was swapped on checkout
            assert (await s.execute(text("SELECT pg_backend_pid()"))).scalar_one() != pid
    finally:
        await db.dispose()


async def test_the_startup_heap_is_frozen_while_a_service_runs() -> None:
    """Full collections skip what the service built at start (the consolidated view's p99 was
    those collections); shutdown hands the objects back to the collector."""
    started: list[bool] = []

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        started.append(True)
        yield

    app = new_service_app(service="probe", title="probe", description="probe", lifespan=lifespan)
    thresholds = gc.get_threshold()
    async with app.router.lifespan_context(app):
        assert started == [True]
        assert gc.get_freeze_count() > 0
        assert gc.get_threshold()[2] == max(thresholds[2], FULL_COLLECTION_EVERY)
    assert gc.get_freeze_count() == 0
    assert gc.get_threshold() == thresholds
