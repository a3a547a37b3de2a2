"""One naming convention (ADR 0022): every constraint and index the migrations build is named by
``kernel.db.NAMING_CONVENTION``, and the models agree with the migrations (no drift), on
PostgreSQL and on SQLite (the embedded mode).

The expected names are derived here from PostgreSQL's own catalogue (kind, table, columns,
referenced table), not from the models, so a hand-made name in a model *and* its migration fails.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from alembic import command
from alembic.config import Config

from kernel.db import MIGRATIONS_INI, sync_url
from kernel.testing import libpq_url, sibling_database

SERVICES = ["registry", "evidence"]

#: constraints: kind, table, its columns in key order, the referenced table (fk)
_CONSTRAINTS = """
select c.contype, t.relname, c.conname, r.relname,
       array(select a.attname from unnest(c.conkey) with ordinality k(n, i)
             join pg_attribute a on a.attrelid = c.conrelid and a.attnum = k.n order by k.i)
from pg_constraint c
join pg_class t on t.oid = c.conrelid
left join pg_class r on r.oid = c.confrelid
where c.connamespace = %(schema)s::regnamespace and t.relname <> 'alembic_version'
  and c.contype <> 't'  -- the registry revision's constraint triggers (ADR 0026): named by their own test
"""
#: indexes that back no constraint (a constraint's index carries the constraint's name)
_INDEXES = """
select t.relname, i.relname, x.indisunique,
       array(select a.attname from unnest(x.indkey::int2[]) with ordinality k(n, o)
             join pg_attribute a on a.attrelid = x.indrelid and a.attnum = k.n order by k.o)
from pg_index x
join pg_class i on i.oid = x.indexrelid
join pg_class t on t.oid = x.indrelid
where t.relnamespace = %(schema)s::regnamespace and t.relname <> 'alembic_version'
  and not exists (select 1 from pg_constraint c where c.conindid = x.indexrelid)
"""


def expected_constraint_name(kind: str, table: str, columns: list[str], referred: str | None) -> str | None:
    """The convention's name; None for a check constraint (its suffix is its own short name)."""
    if kind == "p":
        return f"pk_{table}"
    if kind == "f":
        return f"fk_{table}_{columns[0]}_{referred}"
    if kind == "u":
        return f"uq_{table}_{'_'.join(columns)}"
    return None


def expected_index_name(table: str, columns: list[str], unique: bool) -> str:
    return f"{'uq' if unique else 'ix'}_{table}_{'_'.join(columns)}"


def test_the_rules_refuse_a_hand_made_name() -> None:
    """The rules above are not vacuous: the names the migrations used before ADR 0022 fail them."""
    assert expected_index_name("target", ["indicator_id", "period"], True) != "uq_target_current"
    assert expected_index_name("delivery", ["status", "next_attempt_at"], False) != "ix_delivery_due"
    assert expected_constraint_name("u", "documents", ["lineage_id", "revision"], None) != (
        "uq_documents_lineage_revision"
    )


def _config(service: str, url: str, schema: str | None) -> Config:
    cfg = Config(str(MIGRATIONS_INI), ini_section=service)
    cfg.attributes["database_url"] = sync_url(url)
    cfg.attributes["schema"] = schema
    return cfg


@pytest.fixture
def fresh_url(pg_url: str) -> Iterator[str]:
    with sibling_database(pg_url, "naming") as url:
        yield url


@pytest.mark.parametrize("service", SERVICES)
def test_every_name_follows_the_convention_on_postgresql(fresh_url: str, service: str) -> None:
    cfg = _config(service, fresh_url, service)
    command.upgrade(cfg, "head")
    wrong: list[str] = []
    checked = 0
    with psycopg.connect(libpq_url(fresh_url)) as conn:
        for kind, table, name, referred, columns in conn.execute(_CONSTRAINTS, {"schema": service}):
            checked += 1
            want = expected_constraint_name(kind, table, columns, referred)
            if kind == "c":
                if not name.startswith(f"ck_{table}_"):
                    wrong.append(f"check {name} on {table}: want ck_{table}_<name>")
            elif want is None or name != want:
                wrong.append(f"{kind} {name} on {table}{columns}: want {want}")
        for table, name, unique, columns in conn.execute(_INDEXES, {"schema": service}):
            checked += 1
            if name != (want := expected_index_name(table, columns, unique)):
                wrong.append(f"index {name} on {table}{columns}: want {want}")
    assert checked >= (100 if service == "registry" else 10), "the catalogue queries found too little"
    assert wrong == []
    command.check(cfg)  # and the models name them alike: autogenerate finds no difference


@pytest.mark.parametrize("service", SERVICES)
def test_the_renames_go_down_and_up_again(fresh_url: str, service: str) -> None:
    cfg = _config(service, fresh_url, service)
    command.upgrade(cfg, "head")
    command.downgrade(cfg, "-1")
    command.upgrade(cfg, "head")
    command.check(cfg)


@pytest.mark.parametrize("service", SERVICES)
def test_sqlite_upgrade_rename_downgrade_and_no_drift(tmp_path: Path, service: str) -> None:
    """The embedded mode: SQLite cannot rename an index or a constraint; the migrations re-create
    them (and rebuild ``documents`` for its unique constraint); the result matches the models."""
    cfg = _config(service, f"sqlite:///{tmp_path / f'{service}.db'}", None)
    command.upgrade(cfg, "head")
    command.check(cfg)
    command.downgrade(cfg, "-1")
    command.upgrade(cfg, "head")
    command.check(cfg)
