from migrations.common import run
from services.registry import settings, store

run(store.metadata, default_url=settings.database_url(), default_schema="registry")
