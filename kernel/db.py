"""Database access shared by the services that own data.

* One async engine per service, on ``app.state.db``. PostgreSQL (psycopg 3) in production and
  tests, SQLite (aiosqlite) for the embedded default.
* Each service lives in its own PostgreSQL *schema*: the connection's ``search_path`` is set
  to it, so models carry no schema name and the same models work on SQLite (one file per service).
* One session per request; it commits when the endpoint returned normally — before the response
  is sent (ADR 0009) — and rolls back otherwise. Services and repositories only ``flush()``.
  Endpoints that only read declare :data:`ReadSessionDep` instead: same session, but no
  transaction to open and commit (below).
* Schemas are built by Alembic (one environment per service in ``migrations/``), never by
  ``create_all``. Every service's tables hang on a :func:`service_metadata` (one naming
  convention for constraints and indexes, :data:`NAMING_CONVENTION`; ADR 0022).
"""

from __future__ import annotations

import re
import select
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends, Request
from sqlalchemy import MetaData, event, text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import DBAPIError, DisconnectionError, IntegrityError, InterfaceError, OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.orm import ORMExecuteState, Session, UOWTransaction
from sqlalchemy.pool import PoolResetState

from kernel.errors import Conflict, ProblemError, ServiceUnavailable

REPO_ROOT = Path(__file__).resolve().parent.parent
MIGRATIONS_INI = REPO_ROOT / "migrations" / "alembic.ini"
_SCHEMA_RE = re.compile(r"^[a-z_][a-z0-9_]*$")


def _index_kind(index: Any, _table: Any) -> str:
    """``uq`` for a unique index (the partial ``... WHERE superseded_at IS NULL`` ones), else ``ix``."""
    return "uq" if getattr(index, "unique", False) else "ix"


#: The names of every constraint and index of every service, derived from what they constrain, so
#: a name says what it is and Alembic can drop/alter what it finds by name on every backend.
#: ``ck``: the check's own short name (``name="status"`` → ``ck_documents_status``). Names over
#: PostgreSQL's 63 characters are shortened by SQLAlchemy with a hash suffix (none are today).
#: ``tests/test_naming_convention.py`` checks the live PostgreSQL schemas against these rules.
NAMING_CONVENTION: dict[str, Any] = {
    "index_kind": _index_kind,
    "ix": "%(index_kind)s_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def service_metadata() -> MetaData:
    """A service's own ``MetaData`` with the one naming convention.

    Each service has its own (not SQLModel's global one), so one service's tables never show up in
    another's Alembic environment. Declare indexes without a name (``sa.Index(None, "col", ...)``)
    so the convention names them.
    """
    return MetaData(naming_convention=NAMING_CONVENTION)


#: PostgreSQL connections are replaced after this many seconds: under the idle timeouts of the
#: usual NAT gateways / load balancers / firewalls (AWS NLB: 350 s), which drop a connection
#: silently, so the pool never hands out one of those (see :func:`install_liveness_check`).
POOL_RECYCLE_SECONDS = 300


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


def _sqlite_end_failed_commit(dbapi_connection: Any, record: Any, state: PoolResetState) -> None:
    """Roll back what a failed COMMIT left open before the connection goes back to the pool.

    SQLite keeps the transaction open when COMMIT fails (a deferred foreign key, ``database is
    locked``), but SQLAlchemy takes the commit as the end of the transaction and skips its
    rollback on return. The rows of the failed request would then stay pending on the pooled
    connection: seen by the next request on it and committed with that request's commit.
    """
    if state.asyncio_safe and getattr(record.driver_connection, "in_transaction", False):
        dbapi_connection.rollback()


def install_sqlite_pragmas(engine: Engine) -> None:
    event.listen(engine, "connect", _sqlite_pragmas)
    event.listen(engine.pool, "reset", _sqlite_end_failed_commit)


# --- liveness of pooled PostgreSQL connections, without a round trip ------------------------------
#
# ``pool_pre_ping`` sends ``SELECT 1`` at every checkout, i.e. one extra round trip per request
# (a quarter of the round trips of a small read). Instead, a pooled connection is checked by
# looking at its socket: an idle connection in the pool has nothing to read, so a readable
# socket means the server closed it or is closing it (restart, failover, pg_terminate_backend,
# idle_session_timeout: it sent a FATAL error and/or EOF). Such a connection is discarded and
# the pool transparently opens a new one (``DisconnectionError`` on checkout: SQLAlchemy retries
# the checkout with a fresh connection), which is what pre-ping achieved for these cases.
# Trade-off: a peer that vanished *without* closing the TCP connection (host crash, a
# middlebox dropping idle flows) is not seen at checkout; ``pool_recycle`` keeps connections
# younger than the usual idle timeouts, and if it still happens the request's first statement
# fails, SQLAlchemy recognises the disconnect and invalidates the pool, and the next requests
# reconnect. (Pre-ping did not cover that case either: its ``SELECT 1`` would wait for TCP
# retransmission timeouts.) Asynchronous messages on an idle connection (e.g. a ParameterStatus
# after a configuration reload) are taken as "dead" too: that costs one reconnect, never an error.


def _socket_readable(fd: int) -> bool:
    poller = select.poll()
    poller.register(fd, select.POLLIN | select.POLLPRI)
    return bool(poller.poll(0))


def _check_alive_on_checkout(_dbapi_connection: Any, _record: Any, proxy: Any) -> None:
    conn = proxy.driver_connection  # the psycopg AsyncConnection
    if conn is None or conn.closed or conn.broken:
        raise DisconnectionError("connection closed")
    try:
        fd = conn.pgconn.socket
    except Exception:  # psycopg.OperationalError: no socket any more
        raise DisconnectionError("connection has no socket") from None
    if _socket_readable(fd):
        raise DisconnectionError("the server closed the connection (socket readable while idle)")


def install_liveness_check(engine: Engine) -> None:
    """Discard pooled PostgreSQL connections the server has closed, at checkout (no round trip)."""
    if hasattr(select, "poll"):  # POSIX; elsewhere the first statement finds out (see above)
        event.listen(engine.pool, "checkout", _check_alive_on_checkout)


# --- read-only sessions --------------------------------------------------------------------------
#
# A read request in a transaction costs two round trips more than its queries: psycopg sends
# BEGIN before the first statement and the dependency sends COMMIT at the end. For a read that is
# pure overhead: at READ COMMITTED (PostgreSQL's default, ours) every statement takes its own
# snapshot anyway, so a read-only transaction gives no more consistency than autocommit. Read
# sessions therefore run on the same pool in AUTOCOMMIT mode (switching the mode is a local flag
# in psycopg, no round trip; the pool resets it at checkin). On SQLite nothing changes: the
# driver opens no transaction for a SELECT, and switching the mode would cost a thread hop.
# A read session refuses to write: a write in autocommit mode could not be rolled back with the
# request, so it fails loudly instead (use SessionDep).


class ReadOnlySessionError(RuntimeError):
    """A write through a read session (``ReadSessionDep``): the endpoint must use ``SessionDep``."""


class _ReadOnlySession(Session):
    pass


@event.listens_for(_ReadOnlySession, "before_flush")
def _refuse_flush(session: Session, _context: UOWTransaction, _instances: Any) -> None:
    raise ReadOnlySessionError("a read-only session cannot flush changes; declare SessionDep")


@event.listens_for(_ReadOnlySession, "do_orm_execute")
def _refuse_dml(state: ORMExecuteState) -> None:
    if state.is_insert or state.is_update or state.is_delete:
        raise ReadOnlySessionError("a read-only session cannot run INSERT/UPDATE/DELETE; declare SessionDep")


@dataclass
class Database:
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    url: str
    schema: str | None
    #: sessions of read-only requests (no transaction on PostgreSQL; writes refused), same pool
    read_sessions: async_sessionmaker[AsyncSession]

    @classmethod
    def create(cls, url: str, *, schema: str | None, pool_size: int = 10) -> Database:
        aurl = async_url(url)
        kwargs: dict[str, Any] = {"connect_args": connect_args(aurl, schema)}
        sqlite = is_sqlite(aurl)
        if sqlite:  # a local file: nothing to ping, nothing to recycle
            Path(make_url(aurl).database or "").parent.mkdir(parents=True, exist_ok=True)
        else:  # no pool_pre_ping: a round trip per checkout; the socket check replaces it (above)
            kwargs.update(pool_size=pool_size, max_overflow=pool_size, pool_recycle=POOL_RECYCLE_SECONDS)
        engine = create_async_engine(aurl, **kwargs)
        if sqlite:
            install_sqlite_pragmas(engine.sync_engine)
            read_engine = engine
        else:
            install_liveness_check(engine.sync_engine)
            read_engine = engine.execution_options(isolation_level="AUTOCOMMIT")
        return cls(
            engine,
            async_sessionmaker(engine, expire_on_commit=False),
            aurl,
            schema,
            async_sessionmaker(read_engine, expire_on_commit=False, sync_session_class=_ReadOnlySession),
        )

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
    """The request's session: committed when the endpoint returned, rolled back when it raised.

    Declared with ``scope="function"`` (:data:`SessionDep`): FastAPI then runs this exit right
    after the endpoint returned and *before* the response is sent. With the default (request)
    scope the exit ran after the response had left, so a client could read before the commit,
    and a commit that failed was a lost write already acknowledged with a 2xx (ADR 0009). A
    failing commit raises here; the handler of :func:`kernel.app.new_service_app` answers the
    problem (:func:`database_problem`: 409 conflict, 503 database unavailable or busy).
    """
    db: Database = request.app.state.db
    async with db.sessions() as session:
        try:
            yield session
        except Exception:
            await session.rollback()
            raise
        await session.commit()


SessionDep = Annotated[AsyncSession, Depends(session_dependency, scope="function")]


#: Seconds a client should wait before retrying after a 503 of the database (busy or lost).
RETRY_AFTER_SECONDS = 1

#: PostgreSQL SQLSTATEs of a transaction that lost against a concurrent one (retrying may succeed).
_PG_CONFLICT_STATES = {"40001", "40P01"}  # serialization_failure, deadlock_detected
#: PostgreSQL SQLSTATEs of a database that cannot serve now: lock or statement timeout, shutdown.
_PG_UNAVAILABLE_PREFIXES = ("08", "53", "57", "55P03")  # connection, resources, operator, lock n/a
#: sqlite3 primary result codes of a database file held by another writer.
_SQLITE_BUSY_CODES = {5, 6}  # SQLITE_BUSY ("database is locked"), SQLITE_LOCKED


def database_problem(exc: DBAPIError) -> ProblemError | None:
    """The problem a driver error means to the client, or None for a bug (left to the 500 handler).

    * a constraint refused the change (at a statement or only at COMMIT, deferred) → 409;
    * a concurrent transaction won (serialisation failure, deadlock) → 409: re-read and retry;
    * SQLite busy ("database is locked": another writer held the file longer than the busy
      timeout, e.g. a long import) → 503 with ``Retry-After``;
    * the connection was lost or the server cannot serve (shutdown, timeouts) → 503 with
      ``Retry-After``. A connection lost *during* COMMIT leaves the outcome unknown to us: the
      503 tells the client to re-read (ETag) before it retries (ADR 0009).
    """
    orig = exc.orig
    retry = {"Retry-After": str(RETRY_AFTER_SECONDS)}
    if isinstance(exc, IntegrityError):
        return Conflict(f"the change conflicts with data stored meanwhile ({type(orig).__name__}); nothing was stored")
    sqlstate = str(getattr(orig, "sqlstate", "") or "")
    if sqlstate in _PG_CONFLICT_STATES:
        return Conflict(
            "a concurrent change to the same data won; nothing was stored, read again and retry", headers=retry
        )
    sqlite_code = getattr(orig, "sqlite_errorcode", None)
    if isinstance(sqlite_code, int) and sqlite_code & 0xFF in _SQLITE_BUSY_CODES:
        return ServiceUnavailable(
            "the database is busy with another write; nothing was stored, retry shortly", headers=retry
        )
    if (
        exc.connection_invalidated
        or sqlstate.startswith(_PG_UNAVAILABLE_PREFIXES)
        or isinstance(exc, OperationalError | InterfaceError)
    ):
        return ServiceUnavailable(
            f"the database is unavailable ({type(orig).__name__}); the change may not have been stored, "
            "read again before retrying",
            headers=retry,
        )
    return None


async def read_session_dependency(request: Request) -> AsyncIterator[AsyncSession]:
    """The session of a request that only reads: nothing to commit or roll back, and on
    PostgreSQL no transaction at all (two round trips less; see ``Database.read_sessions``)."""
    db: Database = request.app.state.db
    async with db.read_sessions() as session:
        yield session


#: For endpoints that only read (GET). Writing through it raises :class:`ReadOnlySessionError`.
ReadSessionDep = Annotated[AsyncSession, Depends(read_session_dependency)]


async def readiness(db: Database) -> None:
    try:
        await db.ping()
    except Exception as exc:  # any driver error means "not ready"
        raise ServiceUnavailable(f"database unreachable: {type(exc).__name__}") from exc
