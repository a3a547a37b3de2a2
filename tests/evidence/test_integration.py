"""Registry + evidence (+ scoring, which validates manuals at import) composed in-process
(runner.composition), the shipped seed imported through the registry API: satker paths, IKU and
closed periods come from the real registry."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest

from kernel.settings import AuthSettings, CommonSettings
from kernel.testing import sibling_database
from runner.composition import System, build_system, running
from services.evidence.settings import EvidenceSettings
from services.registry.settings import RegistrySettings
from tests.conftest import Mint, bearer
from tests.evidence.helpers import BASE, meta, upload
from tests.evidence.support import pdf
from tests.registry.conftest import import_seed

pytestmark = pytest.mark.anyio


@pytest.fixture(scope="module")
def evidence_db(pg_url: str) -> Iterator[str]:
    """A sibling database of our own, so other folders' seed imports cannot collide."""
    with sibling_database(pg_url, "evidence") as url:
        yield url


@pytest.fixture
async def system(
    evidence_db: str, auth: AuthSettings, tmp_path: Path, mint: Mint, clamd_socket: Path
) -> AsyncIterator[System]:
    common = CommonSettings(environment="test", data_dir=tmp_path / "data")
    built = build_system(
        common=common,
        auth=auth,
        services=("registry", "evidence", "scoring"),  # registry validates manuals via scoring
        settings={
            "registry": RegistrySettings(database_url=evidence_db),
            "evidence": EvidenceSettings(
                database_url=evidence_db, clamd_socket=str(clamd_socket), sweep_interval_seconds=0
            ),
        },
    )
    async with running(built):
        await import_seed(built, mint("admin"))
        yield built


async def test_upload_against_the_real_registry(system: System, mint: Mint) -> None:
    op = mint("satker_operator", "WBC.16", sub="ana@WBC.16")
    transport = httpx.ASGITransport(app=system.apps["evidence"])
    async with httpx.AsyncClient(transport=transport, base_url="http://evidence.test") as c:
        m = meta("LPT", "LPT-12/WBC.16/2024", satker="WBC.16", fields={"activity": "patrol"})
        r = await upload(c, op, pdf(), m, satker="WBC.16")
        assert r.status_code == 201, r.text
        # a Kanwil operator may not write for a KPPBC below it (operator: own satker only)
        r = await upload(c, op, pdf(), meta(satker="KBC.1602"), satker="KBC.1602")
        assert r.status_code == 403
        r = await upload(c, mint("satker_operator", "KBC.1602"), pdf(), meta(satker="WBC.16"), satker="WBC.16")
        assert r.status_code == 403
        r = await upload(c, op, pdf(), meta(satker="WBC.16", indicator="99z-N"), satker="WBC.16")
        assert (r.status_code, r.json()["errors"][0]["field"]) == (422, "indicator")
        r = await upload(
            c, op, pdf(), meta(satker="WBC.16", date="2023-02-01", number="ND-1/WBC.16/2023"), satker="WBC.16"
        )
        assert (r.status_code, r.json()["errors"][0]["field"]) == (422, "document_date")  # no agreement in 2023

        reg = httpx.AsyncClient(transport=httpx.ASGITransport(app=system.apps["registry"]), base_url="http://r")
        async with reg:
            r = await reg.post(
                "/api/v1/registry/satkers/WBC.16/agreements/2024/periods/Q1/close", headers=bearer(mint("admin"))
            )
            assert r.status_code in (200, 201), r.text
        r = await upload(c, op, pdf(), meta(satker="WBC.16"), satker="WBC.16")
        assert (r.status_code, r.json()["type"]) == (409, "/problems/period-closed")

        agg = await c.get(
            f"{BASE}/satkers/WBC.16/aggregates",
            params={"year": 2024, "period": "Q1", "indicator": "3a-CP"},
            headers=bearer(mint("kanwil_manager", "WBC.16")),
        )
        assert agg.status_code == 200
        assert agg.json()["lpt"]["count"] == 0  # uploaded, not verified yet
