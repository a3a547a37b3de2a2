"""Alembic environment of the evidence service (``alembic -c migrations/alembic.ini -n evidence ...``)."""

from kernel.settings import CommonSettings
from migrations.common import run
from services.evidence.settings import EvidenceSettings
from services.evidence.store.models import metadata

_settings = EvidenceSettings()
run(metadata, default_url=_settings.resolved_database_url(CommonSettings()), default_schema=_settings.database_schema)
