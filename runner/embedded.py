"""Embedded mode: every service in one process on SQLite + local files, with the demo data.

``create_embedded_app()`` builds the system (every service present in ``services/``), wraps it
in the gateway (requests handed to the service apps in-process) and, at first start, loads the
Kalbagtim 2024 demo document into the registry through the same in-process client the services
use (so it goes through the registry's API, its validation and its authorisation).
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI

from gateway.app import create_app
from gateway.settings import SERVICES, GatewaySettings
from kernel.auth import TokenVerifier
from kernel.client import ServiceClient
from kernel.settings import AuthSettings, CommonSettings, resolve_auth_secret
from runner.composition import System, build_system, running
from services.registry.seed.zi_demo import Mint

log = logging.getLogger("kinerja.embedded")

#: The registry's bulk import endpoint (the seed document goes through the API like any import).
SEED_IMPORT_PATH = "/api/v1/registry/import"
SATKER_LIST_PATH = "/api/v1/registry/satkers"


def admin_token(system: System, *, ttl_seconds: int = 300) -> str:
    secret = resolve_auth_secret(system.auth, system.common)
    verifier = TokenVerifier(secret=secret, issuer=system.auth.issuer, audience=system.auth.audience)
    return verifier.mint(subject="kinerja-seed", role="admin", ttl_seconds=ttl_seconds)


async def seed_demo_data(system: System) -> str:
    """Load the demo document when the registry is empty. Returns what happened (also logged)."""
    if "registry" not in system.apps:
        return _note("demo data not loaded: no registry service in this system")
    secret = resolve_auth_secret(system.auth, system.common)
    verifier = TokenVerifier(secret=secret, issuer=system.auth.issuer, audience=system.auth.audience)
    return await load_demo_if_empty(system.peers["registry"], admin_token(system), minter(verifier))


def minter(verifier: TokenVerifier) -> Mint:
    """Short-lived tokens for the demo's users (each ZI level is entered by its own role)."""
    return lambda role, satker, sub: verifier.mint(subject=sub, role=role, satker=satker, ttl_seconds=600)


async def load_demo_if_empty(client: ServiceClient, token: str, mint: Mint | None = None) -> str:
    """Import the demo document through ``client`` (the registry in process, or the gateway over
    HTTP in ``kinerja run-distributed``) unless the registry already has satker.

    A failed import is raised, not logged and passed over: a newcomer's ``make run`` must stop
    with the reason rather than serve an empty system that looks broken for no visible cause.
    """
    from services.registry.seed import load_history_requests, load_seed_document

    listing = await client.get_json(SATKER_LIST_PATH, token=token, params={"limit": 1})
    if int(listing.get("total", len(listing.get("items", [])))) > 0:
        return _note("demo data present: the registry already has satker", logging.INFO)
    await client.request("POST", SEED_IMPORT_PATH, token=token, json=load_seed_document())
    for path, body in load_history_requests():  # history, plans, budget of the LAKIN (issue 12)
        await client.request("PUT", path, token=token, json=body)
    if mint is None:
        return _note("demo data loaded into the registry (without the Zona Integritas demo)", logging.INFO)
    from services.registry.seed.zi_demo import load_zi_demo

    await load_zi_demo(client, mint)  # the Zona Integritas demo of Ngurah Rai (README)
    from services.registry.seed.cycle_demo import load_cycle_demo

    await load_cycle_demo(client, mint)  # the six illustrative KPPBC and the 2024 cycle (issue 11)
    return _note("demo data loaded into the registry", logging.INFO)


def _note(message: str, level: int = logging.WARNING) -> str:
    log.log(level, message)
    return message


def embedded_evidence_settings() -> Any:
    """Evidence settings of the embedded mode: no clamd is assumed on a newcomer's machine.

    Malware scanning is switched off *explicitly* (the evidence service logs a warning at start
    and records ``scan_status = "not_scanned"`` on every document) unless the environment asks for
    a scanner (``KINERJA_EVIDENCE_SCANNER=clamd``), in which case that choice stands.
    """
    from services.evidence.settings import EvidenceSettings

    found = EvidenceSettings()
    if "scanner" not in found.model_fields_set:
        found = found.model_copy(update={"scanner": "disabled"})
    return found


def create_embedded_app(
    *,
    common: CommonSettings | None = None,
    auth: AuthSettings | None = None,
    gateway: GatewaySettings | None = None,
    services: list[str] | None = None,
    settings: dict[str, Any] | None = None,
    seed: bool = True,
) -> FastAPI:
    common = common or CommonSettings()
    common.data_dir.mkdir(parents=True, exist_ok=True)  # SQLite files and local objects live here
    settings = dict(settings or {})
    chosen = services if services is not None else list(SERVICES)
    if "evidence" in chosen and "evidence" not in settings:
        settings["evidence"] = embedded_evidence_settings()
    if "registry" in chosen and "registry" not in settings:
        settings["registry"] = embedded_registry_settings()
    system = build_system(
        common=common,
        auth=auth or AuthSettings(),
        settings=settings,
        services=chosen,
    )
    return embedded_gateway(system, gateway, on_startup=seed_demo_data if seed else None)


def embedded_registry_settings() -> Any:
    """The registry's settings with the notification worker inside the app (ADR 0021), unless
    ``KINERJA_REGISTRY_EMBEDDED_WORKER`` says otherwise."""
    from services.registry.settings import RegistrySettings

    registry = RegistrySettings()
    if "embedded_worker" in registry.model_fields_set:
        return registry
    return registry.model_copy(update={"embedded_worker": True})


StartupHook = Callable[[System], Awaitable[object]]  # the result (e.g. what seeding did) is ignored


def embedded_gateway(
    system: System, settings: GatewaySettings | None = None, *, on_startup: StartupHook | None = None
) -> FastAPI:
    """The gateway in front of ``system``'s apps in this process; its lifespan runs theirs."""

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        async with running(system):
            if on_startup is not None:
                await on_startup(system)
            yield

    app = create_app(settings, common=system.common, auth=system.auth, apps=system.apps, lifespan=lifespan)
    app.state.system = system
    return app
