"""``create_app()`` of the scoring service (owns no database: it reads the registry per request)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from kernel.app import add_network_peers, new_service_app, token_verifier
from kernel.client import Peers
from kernel.settings import AuthSettings, CommonSettings
from services.scoring.api import cycle, manuals, report, scores, zi, zi_evaluations
from services.scoring.service.bundle_cache import BundleCache
from services.scoring.service.manuals import ManualCache
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
        add_network_peers(
            peers,
            {"registry": settings.registry_url, "evidence": settings.evidence_url},
            timeout=settings.peer_timeout_seconds,
        )
        yield

    app = new_service_app(
        service=SERVICE,
        title="kinerja scoring",
        description="IKU achievement indices, roll-up to NKO, explanations, report checks, what-it-takes.",
        lifespan=lifespan,
    )
    app.state.token_verifier = token_verifier(auth, common)
    app.state.settings = settings
    app.state.peers = peers
    app.state.manuals = ManualCache(settings.manual_cache_size)
    app.state.bundles = BundleCache(settings.bundle_cache_size)
    app.include_router(manuals.router)
    app.include_router(scores.router)
    app.include_router(zi.router)
    app.include_router(report.router)
    app.include_router(zi_evaluations.router)
    app.include_router(cycle.router)
    return app
