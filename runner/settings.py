"""Settings of the runner (``KINERJA_DISTRIBUTED_*``): what ``kinerja run-distributed`` needs."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class DistributedSettings(BaseSettings):
    """``kinerja run-distributed`` (``KINERJA_DISTRIBUTED_*``): the developer's distributed run.

    The services' own settings (``KINERJA_EVIDENCE_S3_ENDPOINT_URL``, ``..._CLAMD_SOCKET``, ...) are
    read by their classes; these only say where the local PostgreSQL server is.
    """

    model_config = SettingsConfigDict(env_prefix="KINERJA_DISTRIBUTED_", extra="ignore")

    admin_database_url: str = Field(
        default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres",
        description="a URL on the PostgreSQL server allowed to create the database",
    )
    database: str = Field(default="kinerja", description="the database created (if missing) and used by the services")
    start_timeout_seconds: float = Field(default=60.0, description="how long each part may take to answer /healthz")
