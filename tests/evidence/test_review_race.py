"""Two reviewers deciding the same document at the same moment, on PostgreSQL and on SQLite.

Exactly one decision is stored (200), the other reviewer gets a 409 problem, the document shows
the winner's decision and the audit log holds one decision, not two.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from kernel.client import Peers, ServiceClient
from kernel.settings import AuthSettings, CommonSettings
from services.evidence.app import create_app
from tests.conftest import Mint, bearer
from tests.evidence.conftest import settings_for
from tests.evidence.helpers import BASE, meta, upload
from tests.evidence.support import RegistryStub, pdf

pytestmark = pytest.mark.anyio
ROUNDS = 15


@pytest.fixture(params=["postgresql", "sqlite"])
async def client(
    request: pytest.FixtureRequest, auth: AuthSettings, common: CommonSettings, tmp_path: Path
) -> AsyncIterator[httpx.AsyncClient]:
    url = f"sqlite:///{tmp_path / 'evidence.db'}" if request.param == "sqlite" else request.getfixturevalue("pg_url")
    settings = settings_for(pg_url=url, schema=f"evidence_r{uuid.uuid4().hex[:10]}", storage="local", clamd=None)
    peers = Peers()
    peers.add(ServiceClient("registry", app=RegistryStub().app()))
    app = create_app(settings, common=common, auth=auth, peers=peers)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app, raise_app_exceptions=False), base_url="http://evidence"
        ) as c,
    ):
        yield c
    await peers.aclose()


async def test_two_reviewers_at_once_exactly_one_decision(client: httpx.AsyncClient, mint: Mint) -> None:
    uploader = mint("satker_operator", "KBC.1602", sub="ana")
    budi = bearer(mint("reviewer", "WBC.16", sub="budi"))
    citra = bearer(mint("reviewer", "WBC.16", sub="citra"))
    for i in range(ROUNDS):
        up = await upload(client, uploader, pdf(), meta())
        assert up.status_code == 201, up.text
        doc = up.json()["id"]
        # alternate verify+reject and verify+verify: both kinds were stored twice
        second = {"decision": "reject", "reason": "stempel tidak terbaca"} if i % 2 else {"decision": "verify"}
        rb, rc = await asyncio.gather(
            client.post(f"{BASE}/documents/{doc}/review", json={"decision": "verify"}, headers=budi),
            client.post(f"{BASE}/documents/{doc}/review", json=second, headers=citra),
        )
        assert sorted([rb.status_code, rc.status_code]) == [200, 409], (i, rb.text, rc.text)
        winner, loser = (rb, rc) if rb.status_code == 200 else (rc, rb)
        assert loser.headers["content-type"] == "application/problem+json"
        stored = (await client.get(f"{BASE}/documents/{doc}", headers=budi)).json()
        assert (stored["status"], stored["reviewed_by"]) == (winner.json()["status"], winner.json()["reviewed_by"])
        audit = (await client.get(f"{BASE}/documents/{doc}/audit", headers=budi)).json()["items"]
        decisions = [e for e in audit if e["action"] in ("verified", "rejected")]
        assert [(e["action"], e["actor"]) for e in decisions] == [(stored["status"], stored["reviewed_by"])], i
