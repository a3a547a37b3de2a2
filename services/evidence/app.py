"""``create_app()`` of the evidence service."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from kernel.app import add_network_peers, new_service_app, service_database, token_verifier
from kernel.client import Peers
from kernel.db import is_sqlite
from kernel.settings import AuthSettings, CommonSettings
from services.evidence.adapters.scanner import ClamdScanner, DisabledScanner, Scanner
from services.evidence.adapters.storage import LocalStorage, S3Storage
from services.evidence.api import documents, reports
from services.evidence.service.context import Runtime, SatkerPaths
from services.evidence.service.upload import sweep
from services.evidence.settings import EvidenceSettings

SERVICE = "evidence"
log = logging.getLogger("kinerja.evidence")


def build_storage(settings: EvidenceSettings, common: CommonSettings) -> LocalStorage | S3Storage:
    if settings.storage == "s3":
        return S3Storage(
            endpoint_url=settings.s3_endpoint_url,
            bucket=settings.s3_bucket,
            region=settings.s3_region,
            access_key=settings.s3_access_key,
            secret_key=settings.s3_secret_key,
            prefix=settings.s3_prefix,
            create_bucket=settings.s3_create_bucket,
        )
    return LocalStorage(settings.resolved_storage_dir(common))


def build_scanner(settings: EvidenceSettings) -> Scanner:
    if settings.scanner == "disabled":
        return DisabledScanner()
    return ClamdScanner(
        socket_path=None if settings.clamd_host else settings.clamd_socket,
        host=settings.clamd_host,
        port=settings.clamd_port,
        timeout=settings.scan_timeout_seconds,
    )


def create_app(
    settings: EvidenceSettings | None = None,
    *,
    common: CommonSettings | None = None,
    auth: AuthSettings | None = None,
    peers: Peers | None = None,
) -> FastAPI:
    settings = settings or EvidenceSettings()
    common = common or CommonSettings()
    auth = auth or AuthSettings()
    peers = peers if peers is not None else Peers()
    url = settings.resolved_database_url(common)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if is_sqlite(url):  # embedded: the data folder may not exist yet at first start
            common.data_dir.mkdir(parents=True, exist_ok=True)
        async with service_database(
            app, service=SERVICE, url=url, schema=settings.database_schema, migrate=settings.auto_migrate
        ) as db:
            add_network_peers(peers, {"registry": settings.registry_url})
            storage = build_storage(settings, common)
            await storage.open()
            scanner = build_scanner(settings)
            if settings.scanner == "disabled":
                log.warning(
                    "malware scanning is DISABLED (KINERJA_EVIDENCE_SCANNER=disabled): "
                    "every document will be recorded as not_scanned"
                )
            else:
                log.info("malware scanning with clamd at %s", settings.clamd_host or settings.clamd_socket)
            spool_dir = settings.resolved_spool_dir(common)
            quarantine_dir = settings.resolved_quarantine_dir(common)
            for d in (spool_dir, quarantine_dir):
                d.mkdir(parents=True, exist_ok=True)
            rt = Runtime(
                settings=settings,
                db=db,
                storage=storage,
                scanner=scanner,
                peers=peers,
                spool_dir=spool_dir,
                quarantine_dir=quarantine_dir,
                satker_paths=SatkerPaths(ttl=settings.satker_path_ttl_seconds),
            )
            app.state.evidence = rt
            app.state.readiness_checks.extend([storage.ping, scanner.ping])
            await sweep(rt)  # finish/undo what a previous process left behind
            sweeper: asyncio.Task[None] | None = None
            if settings.sweep_interval_seconds > 0:
                sweeper = asyncio.create_task(_sweep_forever(rt, settings.sweep_interval_seconds))
            try:
                yield
            finally:
                if sweeper is not None:
                    sweeper.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await sweeper
                await storage.aclose()

    app = new_service_app(
        service=SERVICE,
        title="kinerja evidence",
        description="Evidence documents: streamed upload, malware scan, content-addressed storage, "
        "review workflow, audit log, evidence packs and aggregates for scoring.",
        lifespan=lifespan,
    )
    app.state.token_verifier = token_verifier(auth, common)
    app.state.settings = settings
    app.state.common = common
    app.state.peers = peers
    app.include_router(documents.router)
    app.include_router(reports.router)
    return app


async def _sweep_forever(rt: Runtime, interval: int) -> None:
    while True:
        await asyncio.sleep(interval)
        try:
            await sweep(rt)
        except Exception:  # keep sweeping; a storage hiccup must not kill the loop
            log.exception("sweeper run failed")
