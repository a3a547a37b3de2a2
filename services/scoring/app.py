"""``create_app()`` of the scoring service (owns no database: it reads the registry per request)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from kernel.app import new_service_app
from kernel.auth import TokenVerifier
from kernel.client import Peers, ServiceClient
from kernel.settings import AuthSettings, CommonSettings, resolve_auth_secret
from services.scoring.api import manuals, scores
from services.scoring.domain.manuals import ManualCache
from services.scoring.settings import ScoringSettings

SERVICE = "scoring"


def create_app(
    settings: ScoringSettings | None = None,
    *,
    common: CommonSettings | None = None,
    auth: AuthSettings | None = None,
    peers: Peers | None = None,
) -> FastAPI:
    settings = settings or ScoringSettings()
    common = common or CommonSettings()
    auth = auth or AuthSettings()
    peers = peers if peers is not None else Peers()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # distributed mode: network clients from the settings (embedded mode adds in-process ones)
        if settings.registry_url and not peers.has("registry"):
            peers.add(ServiceClient("registry", base_url=settings.registry_url, timeout=settings.peer_timeout_seconds))
        if settings.evidence_url and not peers.has("evidence"):
            peers.add(ServiceClient("evidence", base_url=settings.evidence_url, timeout=settings.peer_timeout_seconds))
        yield

    app = new_service_app(
        service=SERVICE,
        title="kinerja scoring",
        description="IKU achievement indices, roll-up to NKO, explanations, report checks, what-it-takes.",
        lifespan=lifespan,
    )
    secret = resolve_auth_secret(auth, common)
    app.state.token_verifier = TokenVerifier(
        secret=secret,
        jwks_url=auth.jwks_url,
        issuer=auth.issuer,
        audience=auth.audience,
        algorithms=auth.algorithms,
        leeway=auth.leeway_seconds,
    )
    app.state.settings = settings
    app.state.peers = peers
    app.state.manuals = ManualCache(settings.manual_cache_size)
    app.include_router(manuals.router)
    app.include_router(scores.router)
    return app
