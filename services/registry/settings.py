"""Settings of the registry service (``KINERJA_REGISTRY_*``)."""

from __future__ import annotations

from pydantic_settings import BaseSettings, SettingsConfigDict

from kernel.settings import AuthSettings, CommonSettings


class RegistrySettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="KINERJA_REGISTRY_", extra="ignore")

    database_url: str | None = None  # default: sqlite file in the data folder (embedded)
    database_schema: str = "registry"
    auto_migrate: bool = True  # embedded/test: migrate at start; production runs a migration job
    scoring_url: str | None = None  # distributed mode: where manuals are validated

    def resolved_database_url(self, common: CommonSettings) -> str:
        return self.database_url or f"sqlite:///{common.data_dir / 'registry.db'}"


def load() -> tuple[RegistrySettings, CommonSettings, AuthSettings]:
    return RegistrySettings(), CommonSettings(), AuthSettings()


def database_url() -> str:
    """The registry's database URL from the environment (used by the Alembic environment)."""
    return RegistrySettings().resolved_database_url(CommonSettings())
