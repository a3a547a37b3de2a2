"""Alembic environment of the evidence service (``alembic -c migrations/alembic.ini -n evidence ...``)."""

from kernel.settings import CommonSettings
from migrations.common import run
from services.evidence.domain.models import metadata
from services.evidence.settings import EvidenceSettings

_settings = EvidenceSettings()
run(metadata, default_url=_settings.resolved_database_url(CommonSettings()), default_schema=_settings.database_schema)
