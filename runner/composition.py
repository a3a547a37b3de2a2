"""Compose the services into one system (embedded mode and tests).

Every service app is created first, then each gets in-process clients to the others
(``httpx.ASGITransport``: the same client code as over the network, ADR 0002), then the
lifespans are entered here, because Starlette does not run the lifespans of mounted apps.
"""

from __future__ import annotations

import importlib
from collections.abc import AsyncIterator, Sequence
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from fastapi import FastAPI

from gateway.settings import SERVICES
from kernel.client import Peers, ServiceClient
from kernel.settings import AuthSettings, CommonSettings

__all__ = ["SERVICES", "System", "build_system", "running"]


@dataclass
class System:
    apps: dict[str, FastAPI]
    peers: Peers
    common: CommonSettings
    auth: AuthSettings
    extra: dict[str, Any] = field(default_factory=dict)


def build_system(
    *,
    common: CommonSettings | None = None,
    auth: AuthSettings | None = None,
    settings: dict[str, Any] | None = None,
    services: Sequence[str] = SERVICES,
) -> System:
    """Create every service app wired to the others in-process. ``settings`` maps service → settings object."""
    common = common or CommonSettings()
    auth = auth or AuthSettings()
    settings = settings or {}
    peers = Peers()
    apps: dict[str, FastAPI] = {}
    for name in services:
        module = importlib.import_module(f"services.{name}.app")
        apps[name] = module.create_app(settings.get(name), common=common, auth=auth, peers=peers)
    for name, app in apps.items():
        peers.add(ServiceClient(name, app=app))
    return System(apps=apps, peers=peers, common=common, auth=auth)


@asynccontextmanager
async def running(system: System) -> AsyncIterator[System]:
    """Enter every service's lifespan (in start order) and leave them in reverse."""
    async with AsyncExitStack() as stack:
        for name in SERVICES:
            app = system.apps.get(name)
            if app is not None:
                await stack.enter_async_context(app.router.lifespan_context(app))
        stack.push_async_callback(system.peers.aclose)
        yield system
