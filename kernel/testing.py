"""Test support: a throw-away PostgreSQL database per test session, and siblings of it.

Where the database comes from, in order:
1. ``KINERJA_TEST_DATABASE_URL`` (an admin URL to a server; a fresh database is created on it),
2. the local service on ``127.0.0.1:5432`` (user ``postgres``, trust auth, as on our machines),
3. testcontainers' PostgreSQL, where a Docker engine exists.
If none answers, the test session fails loudly: the suite never silently falls back to SQLite.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
from sqlalchemy.engine import make_url

LOCAL_ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


def _reachable(url: str) -> bool:
    try:
        with psycopg.connect(libpq_url(url), connect_timeout=3):
            return True
    except psycopg.Error:
        return False


def libpq_url(url: str) -> str:
    """The plain libpq form of a SQLAlchemy URL (for ``psycopg.connect``)."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


@contextmanager
def _admin_url() -> Iterator[str]:
    explicit = os.environ.get("KINERJA_TEST_DATABASE_URL")  # test-only knob, read here on purpose
    if explicit:
        yield explicit
        return
    if _reachable(LOCAL_ADMIN_URL):
        yield LOCAL_ADMIN_URL
        return
    try:
        from testcontainers.postgres import PostgresContainer
    except ImportError as exc:  # pragma: no cover - testcontainers is a dev dependency
        raise RuntimeError("no PostgreSQL for the tests: set KINERJA_TEST_DATABASE_URL") from exc
    try:
        with PostgresContainer("postgres:15-alpine", driver="psycopg") as pg:
            yield pg.get_connection_url()
    except Exception as exc:
        raise RuntimeError(
            "no PostgreSQL for the tests: nothing on 127.0.0.1:5432, KINERJA_TEST_DATABASE_URL unset, "
            f"and testcontainers could not start one ({exc})"
        ) from exc


@contextmanager
def _new_database(server_url: str, name: str) -> Iterator[str]:
    """Create the database ``name`` on the server of ``server_url``, yield its SQLAlchemy URL,
    drop it (closing its connections) afterwards."""
    with psycopg.connect(libpq_url(server_url), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield make_url(server_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with psycopg.connect(libpq_url(server_url), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextmanager
def temporary_database(prefix: str = "kinerja_test") -> Iterator[str]:
    """Create an empty database, yield its SQLAlchemy URL, drop it afterwards."""
    with _admin_url() as admin, _new_database(admin, f"{prefix}_{uuid.uuid4().hex[:10]}") as url:
        yield url


@contextmanager
def sibling_database(url: str, suffix: str) -> Iterator[str]:
    """An empty database next to ``url``'s (same server, named ``<its database>_<suffix>``), so a
    test folder's data cannot collide with another's; yields its URL, drops it afterwards."""
    with _new_database(url, f"{make_url(url).database}_{suffix}") as sibling:
        yield sibling
