"""``create_app()`` of the registry service."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from kernel.app import add_network_peers, new_service_app, service_database, token_verifier
from kernel.client import Peers
from kernel.settings import AuthSettings, CommonSettings
from services.registry.api import build_router
from services.registry.service import notify_worker
from services.registry.settings import RegistrySettings

log = logging.getLogger("kinerja.registry")
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
        async with service_database(
            app, service=SERVICE, url=url, schema=settings.database_schema, migrate=settings.auto_migrate
        ) as db:
            add_network_peers(peers, {"scoring": settings.scoring_url, "evidence": settings.evidence_url})
            if not peers.has("evidence"):  # said once, loudly: submissions then wait for no document
                log.warning(
                    "no evidence service configured (KINERJA_REGISTRY_EVIDENCE_URL): a submission will not "
                    "check for documents still in review"
                )
            if not settings.embedded_worker:
                yield
                return
            # embedded mode: the notification worker is a task of this process (ADR 0021)
            worker = asyncio.create_task(notify_worker.run_forever(db, settings), name="kinerja-notify-worker")
            try:
                yield
            finally:
                worker.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await worker

    app = new_service_app(
        service=SERVICE,
        title="kinerja registry",
        description="Satker, strategy maps, IKU and manuals, targets with addenda, measures.",
        lifespan=lifespan,
    )
    app.state.token_verifier = token_verifier(auth, common)
    app.state.settings = settings
    app.state.peers = peers
    app.include_router(build_router())
    return app
