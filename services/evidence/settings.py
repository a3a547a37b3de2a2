"""Settings of the evidence service (``KINERJA_EVIDENCE_*``)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from kernel.settings import AuthSettings, CommonSettings

MB = 1024 * 1024


class EvidenceSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="KINERJA_EVIDENCE_", extra="ignore")

    database_url: str | None = None  # default: sqlite file in the data folder (embedded)
    database_schema: str = "evidence"
    auto_migrate: bool = True
    registry_url: str | None = None  # distributed mode: where satker paths and agreements are read
    #: How long a satker's path (root..satker, read from the registry) is reused for READ checks
    #: (ADR 0014): a re-parented satker is seen under its old parent at most this long. Writes and
    #: reviews always ask the registry. 0 = ask the registry on every request.
    satker_path_ttl_seconds: float = Field(default=30.0, ge=0, le=600)

    # --- uploads -----------------------------------------------------------------------------
    max_upload_bytes: int = Field(default=50 * MB, ge=1, description="413 beyond this, enforced while streaming")
    spool_dir: Path | None = Field(default=None, description="local staging of uploads; default <data>/evidence/spool")
    quarantine_dir: Path | None = Field(
        default=None, description="infected uploads; default <data>/evidence/quarantine"
    )

    # --- storage (ADR 0005) --------------------------------------------------------------------
    storage: Literal["local", "s3"] = "local"
    storage_dir: Path | None = Field(default=None, description="local backend root; default <data>/evidence/objects")
    s3_endpoint_url: str | None = None
    s3_bucket: str = "kinerja-evidence"
    s3_region: str = "us-east-1"
    s3_access_key: str | None = Field(
        default=None,
        validation_alias=AliasChoices(
            "s3_access_key", "KINERJA_EVIDENCE_S3_ACCESS_KEY", "KINERJA_EVIDENCE_S3_ACCESS_KEY_ID"
        ),
    )
    s3_secret_key: str | None = Field(
        default=None,
        validation_alias=AliasChoices(
            "s3_secret_key", "KINERJA_EVIDENCE_S3_SECRET_KEY", "KINERJA_EVIDENCE_S3_SECRET_ACCESS_KEY"
        ),
    )
    s3_prefix: str = ""
    s3_create_bucket: bool = False

    # --- malware scanning ------------------------------------------------------------------------
    #: "clamd" scans every upload before it becomes visible; "disabled" is the explicit embedded
    #: mode: it is logged at start and every document records ``scan_status = "not_scanned"``.
    scanner: Literal["clamd", "disabled"] = "clamd"
    clamd_socket: str | None = "/var/run/clamav/clamd.ctl"
    clamd_host: str | None = None  # TCP instead of the unix socket when set
    clamd_port: int = 3310
    scan_timeout_seconds: float = 120.0

    # --- crash recovery -----------------------------------------------------------------------------
    stale_after_seconds: int = Field(
        default=3600, ge=0, description="spool/staging leftovers older than this are swept"
    )
    sweep_interval_seconds: int = Field(default=600, ge=0, description="0 = sweep only at start")
    #: Test-only fault injection: the process exits hard (``os._exit``) at this point of an upload,
    #: so the crash-safety tests can kill a real server exactly between two protocol steps.
    fault_injection: Literal["after_spool", "after_stage", "after_commit"] | None = None

    def resolved_database_url(self, common: CommonSettings) -> str:
        return self.database_url or f"sqlite:///{common.data_dir / 'evidence.db'}"

    def root(self, common: CommonSettings) -> Path:
        return common.data_dir / "evidence"

    def resolved_spool_dir(self, common: CommonSettings) -> Path:
        return self.spool_dir or self.root(common) / "spool"

    def resolved_quarantine_dir(self, common: CommonSettings) -> Path:
        return self.quarantine_dir or self.root(common) / "quarantine"

    def resolved_storage_dir(self, common: CommonSettings) -> Path:
        return self.storage_dir or self.root(common) / "objects"


def load() -> tuple[EvidenceSettings, CommonSettings, AuthSettings]:
    return EvidenceSettings(), CommonSettings(), AuthSettings()
