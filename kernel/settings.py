"""Settings shared by every service.

Each service has exactly one settings class (its own ``env_prefix``); the pieces every service
needs (where its data lives, how tokens are verified) are declared once here and composed in.
No module outside a settings class reads ``os.environ``.
"""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Literal

from pydantic import Field, IPvAnyNetwork
from pydantic_settings import BaseSettings, SettingsConfigDict

Environment = Literal["embedded", "test", "production"]


class AuthSettings(BaseSettings):
    """How bearer tokens are verified (``KINERJA_AUTH_*``).

    Embedded and test runs sign HS256 tokens with a local secret (created at first start in
    the data folder). Production verifies tokens of an external OpenID Connect provider through
    its JWKS URL and refuses to start with a local secret only.
    """

    model_config = SettingsConfigDict(env_prefix="KINERJA_AUTH_", extra="ignore")

    secret: str | None = Field(default=None, description="HS256 secret; created in the data folder if unset")
    jwks_url: str | None = Field(default=None, description="OIDC JWKS URL (production)")
    issuer: str = "kinerja"
    audience: str = "kinerja"
    algorithms: list[str] = ["RS256", "ES256"]
    token_ttl_seconds: int = 8 * 3600
    leeway_seconds: int = 30
    max_token_lifetime_seconds: int = Field(
        default=24 * 3600, ge=60, description="tokens valid for longer than this (exp - now, exp - iat) are refused"
    )


class CommonSettings(BaseSettings):
    """Deployment-wide settings (``KINERJA_*``): environment and the data folder."""

    model_config = SettingsConfigDict(env_prefix="KINERJA_", extra="ignore")

    environment: Environment = "embedded"
    data_dir: Path = Path("data")
    log_format: Literal["text", "json"] = "text"
    log_level: str = "INFO"
    trusted_proxies: list[IPvAnyNetwork] = Field(
        default_factory=list,
        description="addresses/networks (the gateway) whose X-Forwarded-For is believed; default: nobody's",
    )


def local_secret(data_dir: Path) -> str:
    """Return the embedded signing secret, creating it (mode 0600) at first start."""
    path = data_dir / "auth-secret"
    if path.exists():
        return path.read_text().strip()
    data_dir.mkdir(parents=True, exist_ok=True)
    value = secrets.token_urlsafe(48)
    path.touch(mode=0o600)
    path.write_text(value)
    return value


def resolve_auth_secret(auth: AuthSettings, common: CommonSettings) -> str | None:
    """The HS256 secret in force, or ``None`` when tokens come from an OIDC provider.

    Fails fast in production when no JWKS URL is configured: a production system must not mint
    its own tokens with a secret lying in a folder.
    """
    if auth.jwks_url:
        return None
    if common.environment == "production":
        raise RuntimeError("KINERJA_AUTH_JWKS_URL is required in production")
    return auth.secret or local_secret(common.data_dir)
