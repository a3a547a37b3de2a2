from migrations.common import run
from services.registry import domain, settings

run(domain.metadata, default_url=settings.database_url(), default_schema="registry")
