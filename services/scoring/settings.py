"""Settings of the scoring service (``KINERJA_SCORING_*``)."""

from __future__ import annotations

from pydantic_settings import BaseSettings, SettingsConfigDict

from kernel.settings import AuthSettings, CommonSettings


class ScoringSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="KINERJA_SCORING_", extra="ignore")

    registry_url: str | None = None  # distributed mode: where the registry answers
    evidence_url: str | None = None  # distributed mode: where evidence aggregates come from
    peer_timeout_seconds: float = 10.0
    #: size of the cache of parsed manuals (keyed by the manual's content, so never stale)
    manual_cache_size: int = 4096
    #: prepared bundles kept between requests, re-used only on the registry's 304 (ADR 0026); 0: off
    bundle_cache_size: int = 256


def load() -> tuple[ScoringSettings, CommonSettings, AuthSettings]:
    return ScoringSettings(), CommonSettings(), AuthSettings()
