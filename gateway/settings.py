"""Settings of the gateway (``KINERJA_GATEWAY_*``).

Which services there are (:data:`SERVICES`, the one list every other part imports), where they
are (distributed mode), how long to wait for them, how callers are limited (and where their
budgets are kept: Redis when several replicas share them), and the service accounts (client
credentials) that may exchange a secret for a short token.
Client secrets are stored as SHA-256 digests, never in clear, and may come from a mounted file
(a Kubernetes Secret or a compose secret) instead of the environment.
"""

from __future__ import annotations

import json
from pathlib import Path

from pydantic import BaseModel, Field
from pydantic_settings import BaseSettings, SettingsConfigDict

#: The services behind the gateway, in start order: the registry first (the others read it at
#: start), scoring last. Routing (``/api/v1/<service>/...``), the ``<SERVICE>_URL`` settings, the
#: runner's processes and the merged OpenAPI all follow this one list.
SERVICES: tuple[str, ...] = ("registry", "evidence", "scoring")


class ClientCredential(BaseModel):
    """One internal application allowed to obtain a ``service`` token."""

    secret_sha256: str = Field(description="hex SHA-256 of the client secret")
    scopes: list[str] = Field(default_factory=lambda: ["read"], description="actions granted: read, write")
    ttl_seconds: int = Field(default=900, ge=30, le=3600)


class GatewaySettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="KINERJA_GATEWAY_", extra="ignore")

    # distributed mode: base URLs of the services (unset = service not part of the deployment)
    registry_url: str | None = None
    evidence_url: str | None = None
    scoring_url: str | None = None

    connect_timeout: float = Field(default=2.0, description="seconds to open a connection to a service")
    read_timeout: float = Field(default=30.0, description="seconds of silence tolerated while reading from a service")
    max_connections: int = Field(default=256, description="keep-alive pool size per service")
    buffer_limit: int = Field(default=1 << 20, description="bodies up to this size are forwarded in one piece")

    verify_tokens: bool = Field(default=True, description="reject bad bearer tokens at the edge (services check again)")
    rate_limit_per_second: float = Field(default=100.0, description="sustained requests per caller; 0 disables")
    rate_limit_burst: int = Field(default=200, description="requests a caller may send at once (ADR 0006)")
    rate_limit_storage: str = Field(
        default="memory://",
        description="where budgets are kept: memory:// (one process) or redis://host:6379/0 (shared by replicas)",
    )

    clients: dict[str, ClientCredential] = Field(default_factory=dict, description="client_id -> credential")
    clients_file: Path | None = Field(default=None, description="JSON file with more clients (mounted secret)")

    access_log: bool = True

    def service_url(self, service: str) -> str | None:
        url: str | None = getattr(self, f"{service}_url", None)
        return url.rstrip("/") if url else None

    def all_clients(self) -> dict[str, ClientCredential]:
        found = dict(self.clients)
        if self.clients_file is not None:
            raw = json.loads(self.clients_file.read_text())
            found.update({cid: ClientCredential.model_validate(c) for cid, c in raw.items()})
        return found
