"""The registry revision and the bundle's ETag (ADR 0026).

The database changes ``registry_revision.token`` in every committed transaction that writes to
any registry table (triggers of migration 0015, on PostgreSQL and on SQLite); the bundle route
answers ``ETag`` with it and ``304`` to an ``If-None-Match`` that names the current tag. These
tests hold the three promises scoring's bundle cache relies on: every table has the triggers (a
table added later without them fails here), any committed write changes the token (one from
outside the application too) and a rolled-back one does not, and a 304 is only ever the answer for
a copy that is current, after the caller's right to read was checked.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import httpx
import psycopg
import pytest

from kernel.db import run_migrations
from kernel.testing import libpq_url, temporary_database
from tests.conftest import Mint, bearer
from tests.registry.conftest import mini_document

R = "/api/v1/registry"
SATKER, YEAR = "KBC.1962", 2024
A = f"{R}/satkers/{SATKER}/agreements/{YEAR}"
BUNDLE = f"{A}/bundle"
SKIP = {"registry_revision", "alembic_version"}


@pytest.fixture(scope="module")
def migrated_pg() -> Iterator[str]:
    with temporary_database("kinerja_revision") as url:
        run_migrations("registry", url, schema="registry")
        yield libpq_url(url)


def _token(conn: psycopg.Connection) -> str:
    row = conn.execute("SELECT token FROM registry.registry_revision WHERE id = 1").fetchone()
    assert row is not None
    return str(row[0])


def test_every_registry_table_has_the_revision_triggers_on_postgresql(migrated_pg: str) -> None:
    with psycopg.connect(migrated_pg, autocommit=True) as conn:
        tables = {
            r[0] for r in conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'registry'").fetchall()
        } - SKIP
        triggers = conn.execute(
            "SELECT c.relname, t.tgname, t.tgdeferrable, t.tginitdeferred FROM pg_trigger t "
            "JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = 'registry' AND NOT t.tgisinternal"
        ).fetchall()
    assert len(tables) > 20  # the whole schema, not an empty inspection
    deferred = {r[0] for r in triggers if r[1] == "registry_revision_bump" and r[2] and r[3]}
    truncate = {r[0] for r in triggers if r[1] == "registry_revision_bump_truncate"}
    hint = "a table without the revision triggers: add them in its migration (see 0015's install())"
    assert tables - deferred == set(), hint
    assert tables - truncate == set(), hint


def test_a_committed_write_changes_the_token_a_rolled_back_one_does_not(migrated_pg: str) -> None:
    """Written from a plain connection (not the application), with another search path: the
    triggers do not depend on the writer."""
    with psycopg.connect(migrated_pg) as conn:
        conn.execute("SET search_path TO public")
        before = _token(conn)
        conn.commit()
        conn.execute(
            "INSERT INTO registry.satker (code, name, kind, created_at, updated_at) "
            "VALUES ('REV.1', 'r', 'kppbc', now(), now())"
        )
        assert _token(conn) == before  # deferred: the revision moves at commit, not before
        conn.rollback()
        assert _token(conn) == before  # nothing committed, nothing changed
        conn.execute(
            "INSERT INTO registry.satker (code, name, kind, created_at, updated_at) "
            "VALUES ('REV.1', 'r', 'kppbc', now(), now()), ('REV.2', 'r', 'kppbc', now(), now())"
        )
        conn.commit()
        first = _token(conn)
        assert first != before
        conn.execute("UPDATE registry.satker SET name = 'renamed' WHERE code = 'REV.1'")
        conn.commit()
        second = _token(conn)
        conn.execute("DELETE FROM registry.satker WHERE code LIKE 'REV.%'")
        conn.commit()
        assert len({before, first, second, _token(conn)}) == 4
        txid = conn.execute("SELECT txid FROM registry.registry_revision").fetchone()
        assert txid is not None and txid[0] is not None  # one update per transaction, by txid


def test_every_registry_table_has_the_revision_triggers_on_sqlite(tmp_path: Path) -> None:
    path = tmp_path / "registry.db"
    run_migrations("registry", f"sqlite:///{path}", schema=None)
    with sqlite3.connect(path) as conn:
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")} - SKIP
        tables = {t for t in tables if not t.startswith("sqlite_")}
        triggers = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")}
        assert len(tables) > 20
        missing = {f"registry_revision_bump_{t}_{e}" for t in tables for e in ("insert", "update", "delete")} - triggers
        assert missing == set(), "a table without the revision triggers (a batch rebuild drops them on SQLite)"
        before = conn.execute("SELECT token FROM registry_revision").fetchone()
        conn.execute("INSERT INTO satker (code, name, kind, created_at, updated_at) VALUES ('R', 'r', 'k', 'x', 'x')")
        conn.commit()
        assert conn.execute("SELECT token FROM registry_revision").fetchone() != before


# --- through the API ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
async def agreement(api: httpx.AsyncClient, admin: dict[str, str]) -> str:
    r = await api.post(f"{R}/import", json=mini_document(SATKER, YEAR, f"PK-97/{SATKER}/{YEAR}"), headers=admin)
    assert r.status_code == 201, r.text
    return A


@pytest.mark.anyio
async def test_bundle_etag_304_and_a_write_that_changes_it(
    api: httpx.AsyncClient, agreement: str, admin: dict[str, str], mint: Mint
) -> None:
    first = await api.get(BUNDLE, headers=admin)
    assert first.status_code == 200
    tag = first.headers["etag"]
    assert tag.startswith('"') and tag.endswith('"') and len(tag) == 34
    assert first.headers["kinerja-as-of"] == first.json()["as_of"]

    same = await api.get(BUNDLE, headers=admin | {"If-None-Match": tag})
    assert same.status_code == 304 and same.content == b""
    assert same.headers["etag"] == tag
    assert same.headers["kinerja-as-of"] >= first.headers["kinerja-as-of"]  # the moment of this read
    for listed in (f'"x", {tag}', f"W/{tag}", "*"):
        assert (await api.get(BUNDLE, headers=admin | {"If-None-Match": listed})).status_code == 304
    assert (await api.get(BUNDLE, headers=admin | {"If-None-Match": '"other"'})).status_code == 200

    # the caller's right to read is checked before any 304: a stranger with the tag gets a 403
    stranger = bearer(mint("satker_operator", "KBC.1602"))
    assert (await api.get(BUNDLE, headers=stranger | {"If-None-Match": tag})).status_code == 403

    # another moment or another year is another bundle, with another tag
    past = await api.get(BUNDLE, params={"as_of": first.json()["as_of"]}, headers=admin)
    assert past.status_code == 200 and past.headers["etag"] != tag

    # a write (a measure of this agreement) changes the tag; the old copy is no longer current
    operator = bearer(mint("satker_operator", SATKER, sub="ana"))
    url = f"{A}/indicators/1b-N/measures/Q1"
    current = await api.get(url, headers=operator)
    r = await api.put(
        url, json={"parts": {"realization": 91.5}}, headers=operator | {"If-Match": current.headers["etag"]}
    )
    assert r.status_code in (200, 201), r.text
    after = await api.get(BUNDLE, headers=admin | {"If-None-Match": tag})
    assert after.status_code == 200 and after.headers["etag"] != tag
    ind = {i["code"]: i for i in after.json()["indicators"]}
    assert ind["1b-N"]["measures"]["Q1"]["realization"] == 91.5


@pytest.mark.anyio
async def test_a_refused_write_leaves_the_tag(api: httpx.AsyncClient, agreement: str, admin: dict[str, str]) -> None:
    """A refused import writes nothing: the copy stays current (no needless re-read)."""
    tag = (await api.get(BUNDLE, headers=admin)).headers["etag"]
    bad = mini_document(SATKER, YEAR, "PK-X")
    bad["agreement"]["indicators"][0]["polarity"] = "sideways"
    assert (await api.post(f"{R}/import", json=bad, headers=admin)).status_code == 422
    assert (await api.get(BUNDLE, headers=admin | {"If-None-Match": tag})).status_code == 304
