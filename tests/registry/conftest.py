"""Registry test fixtures: one running registry+scoring system on PostgreSQL, the seed imported once.

The database is a sibling of the session's ``pg_url`` database on the same server (created here,
dropped at the end), so other services' tests that import the seed into ``pg_url`` cannot collide
with these. Tests that change data use their own satker/years/agreement numbers.
"""

from __future__ import annotations

import copy
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from kernel.settings import AuthSettings, CommonSettings
from kernel.testing import sibling_database
from runner.composition import System, build_system, running
from services.registry.seed import load_seed_document
from services.registry.settings import RegistrySettings
from tests.conftest import Mint, bearer


@pytest.fixture(scope="session")
def registry_url(pg_url: str) -> Iterator[str]:
    with sibling_database(pg_url, "registry") as url:
        yield url


@pytest.fixture(scope="session")
async def system(
    registry_url: str, auth: AuthSettings, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[System]:
    common = CommonSettings(environment="test", data_dir=Path(tmp_path_factory.mktemp("registry-data")))
    built = build_system(
        common=common,
        auth=auth,
        settings={"registry": RegistrySettings(database_url=registry_url)},
        services=("registry", "scoring"),
    )
    async with running(built):
        yield built


async def import_seed(system: System, admin_token: str) -> None:
    """Import the shipped Kalbagtim 2024 seed through the API of the (running) system's registry."""
    transport = httpx.ASGITransport(app=system.apps["registry"])
    async with httpx.AsyncClient(transport=transport, base_url="http://registry.test") as client:
        r = await client.post("/api/v1/registry/import", json=load_seed_document(), headers=bearer(admin_token))
        assert r.status_code == 201, r.text


@pytest.fixture(scope="session")
async def api(system: System, mint: Mint) -> AsyncIterator[httpx.AsyncClient]:
    """A client of the registry app, with the Kalbagtim 2024 seed imported (once per session)."""
    await import_seed(system, mint("admin"))
    transport = httpx.ASGITransport(app=system.apps["registry"])
    async with httpx.AsyncClient(transport=transport, base_url="http://registry.test") as client:
        yield client


@pytest.fixture(scope="session")
def admin(mint: Mint) -> dict[str, str]:
    return bearer(mint("admin", sub="admin@kanwil"))


def mini_document(satker: str, year: int, number: str, *, parent: str | None = "WBC.16") -> dict[str, Any]:
    """A small agreement (2 SS, 3 IKU) for tests that change data; imported with its satker."""
    return {
        "format": "kinerja.agreement/v1",
        "satkers": [{"code": satker, "name": f"Test office {satker}", "kind": "kppbc_tmp_c", "parent": parent}],
        "agreement": {
            "satker": satker,
            "year": year,
            "number": number,
            "rule_set": {"code": "KMK-300-2022", "version": 1},
            "objectives": [
                {"code": "SS-1", "name": "Economy", "perspective": "stakeholder"},
                {"code": "SS-4", "name": "Satisfaction", "perspective": "customer"},
            ],
            "indicators": [
                {
                    "code": "1a-N",
                    "objective": "SS-1",
                    "name": "Clearance time",
                    "polarity": "min",
                    "unit": "days",
                    "region_aggregation": "sum_of_parts",
                    "targets": {"Q1": 0.75, "Y": 0.75},
                },
                {
                    "code": "1b-N",
                    "objective": "SS-1",
                    "name": "UMKM",
                    "polarity": "max",
                    "unit": "percent",
                    "targets": {"Q1": 6, "Y": 82},
                },
                {
                    "code": "4a-N",
                    "objective": "SS-4",
                    "name": "Satisfaction",
                    "polarity": "max",
                    "unit": "index_scale_4",
                    "scale": 4,
                    "targets": {"Q1": None, "Y": 3},
                },
            ],
        },
    }


def seed_copy() -> dict[str, Any]:
    return copy.deepcopy(load_seed_document())
