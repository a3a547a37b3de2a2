"""``create_app()`` of the registry service."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import anyio
from fastapi import FastAPI

from kernel.app import new_service_app
from kernel.auth import TokenVerifier
from kernel.client import Peers, ServiceClient
from kernel.db import Database, readiness, run_migrations
from kernel.settings import AuthSettings, CommonSettings, resolve_auth_secret
from services.registry.api import build_router
from services.registry.settings import RegistrySettings

SERVICE = "registry"


def create_app(
    settings: RegistrySettings | None = None,
    *,
    common: CommonSettings | None = None,
    auth: AuthSettings | None = None,
    peers: Peers | None = None,
) -> FastAPI:
    settings = settings or RegistrySettings()
    common = common or CommonSettings()
    auth = auth or AuthSettings()
    peers = peers if peers is not None else Peers()
    url = settings.resolved_database_url(common)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if settings.auto_migrate:
            await anyio.to_thread.run_sync(lambda: run_migrations(SERVICE, url, schema=settings.database_schema))
        db = Database.create(url, schema=settings.database_schema)
        app.state.db = db
        app.state.readiness_checks.append(lambda: readiness(db))
        if settings.scoring_url and not peers.has("scoring"):
            peers.add(ServiceClient("scoring", base_url=settings.scoring_url))
        try:
            yield
        finally:
            await db.dispose()

    app = new_service_app(
        service=SERVICE,
        title="kinerja registry",
        description="Satker, strategy maps, IKU and manuals, targets with addenda, measures.",
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
    app.include_router(build_router())
    return app
