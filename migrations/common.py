"""The body of every service's Alembic ``env.py``: one place that knows how we migrate.

* The URL: ``config.attributes['database_url']`` (programmatic runs) or the service's settings.
* PostgreSQL: the service's schema is created if missing and put first on ``search_path``, so
  tables and ``alembic_version`` live in it; SQLite: one file per service, no schema.
* ``render_as_batch`` on SQLite so ALTERs work there too.
"""

from __future__ import annotations

from typing import Any

from alembic import context
from sqlalchemy import MetaData, create_engine, text
from sqlalchemy.pool import NullPool

from kernel.db import connect_args, is_sqlite, sync_url


def run(metadata: MetaData, *, default_url: str, default_schema: str | None) -> None:
    config = context.config
    url = sync_url(config.attributes.get("database_url") or default_url)
    schema = config.attributes.get("schema", default_schema)
    sqlite = is_sqlite(url)
    if sqlite:
        schema = None
    opts: dict[str, Any] = dict(target_metadata=metadata, render_as_batch=sqlite, compare_type=True)

    if context.is_offline_mode():
        context.configure(url=url, literal_binds=True, **opts)
        with context.begin_transaction():
            context.run_migrations()
        return

    engine = create_engine(url, poolclass=NullPool, connect_args=connect_args(url, schema))
    with engine.connect() as connection:
        if schema:
            connection.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{schema}"'))
            connection.commit()
        context.configure(connection=connection, **opts)
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()
