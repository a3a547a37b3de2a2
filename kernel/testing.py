"""Test support: a throw-away PostgreSQL database per test session.

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
        with psycopg.connect(_libpq(url), connect_timeout=3):
            return True
    except psycopg.Error:
        return False


def _libpq(url: str) -> str:
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
def temporary_database(prefix: str = "kinerja_test") -> Iterator[str]:
    """Create an empty database, yield its SQLAlchemy URL, drop it afterwards."""
    with _admin_url() as admin:
        name = f"{prefix}_{uuid.uuid4().hex[:10]}"
        with psycopg.connect(_libpq(admin), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        try:
            yield make_url(admin).set(database=name).render_as_string(hide_password=False)
        finally:
            with psycopg.connect(_libpq(admin), autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
