"""The demo system of the LAKIN tests: registry + evidence + scoring with the Kalbagtim seed loaded
by the demo loader (agreement, history, plans, budget), on PostgreSQL or on SQLite (the
embedded default of ``make run``: the registry's numbers are TEXT there, another code path)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from kernel.settings import AuthSettings, CommonSettings
from runner.composition import System, build_system, running
from runner.embedded import load_demo_if_empty
from services.evidence.settings import EvidenceSettings
from services.registry.settings import RegistrySettings


@asynccontextmanager
async def demo_system(
    auth: AuthSettings, data_dir: Path, token: str, database_url: str | None
) -> AsyncIterator[System]:
    common = CommonSettings(environment="test", data_dir=data_dir)
    settings = {
        "registry": RegistrySettings(database_url=database_url) if database_url else RegistrySettings(),
        "evidence": EvidenceSettings(database_url=database_url, scanner="disabled")
        if database_url
        else EvidenceSettings(scanner="disabled"),
    }
    built = build_system(common=common, auth=auth, settings=settings, services=("registry", "evidence", "scoring"))
    async with running(built):
        await load_demo_if_empty(built.peers["registry"], token)
        yield built
