"""The registry + scoring system with the Ngurah Rai ZI demo loaded, on a database of its own:
what the stored-evaluation ZI tests share (each test module takes its own database)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from kernel.settings import AuthSettings, CommonSettings
from kernel.testing import sibling_database
from runner.composition import System, build_system, running
from services.registry.seed.zi_demo import load_zi_demo
from services.registry.settings import RegistrySettings
from tests.conftest import Mint


@asynccontextmanager
async def zi_demo_system(
    pg_url: str, name: str, auth: AuthSettings, mint: Mint, data_dir: Path
) -> AsyncIterator[System]:
    with sibling_database(pg_url, name) as url:
        built = build_system(
            common=CommonSettings(environment="test", data_dir=data_dir),
            auth=auth,
            settings={"registry": RegistrySettings(database_url=url)},
            services=("registry", "scoring"),
        )
        async with running(built):
            await load_zi_demo(built.peers["registry"], lambda role, satker, sub: mint(role, satker, sub=sub))
            yield built
