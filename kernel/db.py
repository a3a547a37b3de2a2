"""Database access shared by the services that own data.

* One async engine per service, on ``app.state.db``. PostgreSQL (psycopg 3) in production and
  tests, SQLite (aiosqlite) for the embedded default.
* Each service lives in its own PostgreSQL *schema*: the connection's ``search_path`` is set
  to it, so models carry no schema name and the same models work on SQLite (one file per service).
* One session per request; it commits when the endpoint returned normally and rolls back
  otherwise. Services and repositories only ``flush()``.
* Schemas are built by Alembic (one environment per service in ``migrations/``), never by
  ``create_all``.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends, Request
from sqlalchemy import event, text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

from kernel.errors import ServiceUnavailable

REPO_ROOT = Path(__file__).resolve().parent.parent
MIGRATIONS_INI = REPO_ROOT / "migrations" / "alembic.ini"
_SCHEMA_RE = re.compile(r"^[a-z_][a-z0-9_]*$")


def async_url(url: str) -> str:
    """The async-driver form of a database URL (``sqlite`` → ``sqlite+aiosqlite``, ``postgresql`` → psycopg)."""
    u = make_url(url)
    if u.drivername in ("sqlite", "sqlite+pysqlite"):
        u = u.set(drivername="sqlite+aiosqlite")
    elif u.drivername in ("postgresql", "postgres", "postgresql+psycopg2", "postgresql+asyncpg"):
        u = u.set(drivername="postgresql+psycopg")
    return u.render_as_string(hide_password=False)


def sync_url(url: str) -> str:
    """The sync-driver form (used by Alembic)."""
    u = make_url(url)
    if u.drivername == "sqlite+aiosqlite":
        u = u.set(drivername="sqlite")
    elif u.drivername.startswith("postgres"):
        u = u.set(drivername="postgresql+psycopg")
    return u.render_as_string(hide_password=False)


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def connect_args(url: str, schema: str | None) -> dict[str, Any]:
    if is_sqlite(url):
        return {}
    if schema:
        if not _SCHEMA_RE.match(schema):
            raise ValueError(f"invalid schema name {schema!r}")
        return {"options": f"-csearch_path={schema}"}
    return {}


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cur = dbapi_connection.cursor()
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA busy_timeout=5000")
    cur.close()


def install_sqlite_pragmas(engine: Engine) -> None:
    event.listen(engine, "connect", _sqlite_pragmas)


@dataclass
class Database:
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    url: str
    schema: str | None

    @classmethod
    def create(cls, url: str, *, schema: str | None, pool_size: int = 10) -> Database:
        aurl = async_url(url)
        kwargs: dict[str, Any] = {"connect_args": connect_args(aurl, schema), "pool_pre_ping": True}
        if is_sqlite(aurl):
            Path(make_url(aurl).database or "").parent.mkdir(parents=True, exist_ok=True)
        else:
            kwargs.update(pool_size=pool_size, max_overflow=pool_size)
        engine = create_async_engine(aurl, **kwargs)
        if is_sqlite(aurl):
            install_sqlite_pragmas(engine.sync_engine)
        return cls(engine, async_sessionmaker(engine, expire_on_commit=False), aurl, schema)

    async def ping(self) -> None:
        async with self.engine.connect() as conn:
            await conn.execute(text("SELECT 1"))

    async def dispose(self) -> None:
        await self.engine.dispose()


def run_migrations(service: str, url: str, *, schema: str | None, revision: str = "head") -> None:
    """Upgrade the service's schema with its Alembic environment (``[service]`` in alembic.ini)."""
    from alembic import command
    from alembic.config import Config

    if is_sqlite(url):
        Path(make_url(url).database or "").parent.mkdir(parents=True, exist_ok=True)
    cfg = Config(str(MIGRATIONS_INI), ini_section=service)
    cfg.attributes["database_url"] = sync_url(url)
    cfg.attributes["schema"] = schema
    command.upgrade(cfg, revision)


async def session_dependency(request: Request) -> AsyncIterator[AsyncSession]:
    """The request's session: commit at the end of a successful request, roll back on error."""
    db: Database = request.app.state.db
    async with db.sessions() as session:
        try:
            yield session
        except Exception:
            await session.rollback()
            raise
        else:
            await session.commit()


SessionDep = Annotated[AsyncSession, Depends(session_dependency)]


async def readiness(db: Database) -> None:
    try:
        await db.ping()
    except Exception as exc:  # any driver error means "not ready"
        raise ServiceUnavailable(f"database unreachable: {type(exc).__name__}") from exc
