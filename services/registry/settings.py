"""Settings of the registry service (``KINERJA_REGISTRY_*``)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic_settings import BaseSettings, SettingsConfigDict

from kernel.settings import AuthSettings, CommonSettings


class RegistrySettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="KINERJA_REGISTRY_", extra="ignore")

    database_url: str | None = None  # default: sqlite file in the data folder (embedded)
    database_schema: str = "registry"
    auto_migrate: bool = True  # embedded/test: migrate at start; production runs a migration job
    scoring_url: str | None = None  # distributed mode: where manuals are validated
    # distributed mode: the evidence service, asked at submission for documents still in review
    # (ADR 0020); unset = no evidence service deployed, so there is no evidence to wait for
    evidence_url: str | None = None
    # notifications (ADR 0021)
    webhook_block_private: bool = True  # refuse webhook URLs at loopback / link-local / private addresses
    webhook_timeout_seconds: float = 10.0
    delivery_retry_base_seconds: float = 30.0  # back-off: base * 2**(attempts-1)
    delivery_max_attempts: int = 8
    smtp_host: str | None = None  # unset: e-mail deliveries wait (and say why in the log)
    smtp_port: int = 25
    smtp_from: str = "kinerja@localhost"
    smtp_tls: Literal["none", "starttls", "ssl"] = "none"
    smtp_username: str | None = None
    smtp_password: str | None = None
    worker_interval_seconds: float = 15.0
    worker_heartbeat_file: Path | None = None  # touched after every good run (the worker's liveness probe)
    embedded_worker: bool = False  # run the notification worker inside the app (the embedded runner sets it)

    def resolved_database_url(self, common: CommonSettings) -> str:
        return self.database_url or f"sqlite:///{common.data_dir / 'registry.db'}"


def load() -> tuple[RegistrySettings, CommonSettings, AuthSettings]:
    return RegistrySettings(), CommonSettings(), AuthSettings()


def database_url() -> str:
    """The registry's database URL from the environment (used by the Alembic environment)."""
    return RegistrySettings().resolved_database_url(CommonSettings())
