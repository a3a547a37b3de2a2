"""A write is readable the moment its 2xx arrives: the embedded system behind a real uvicorn.

Over a real socket (tests/loopback.py) the client gets the response as soon as the server writes
it, so a commit that ran after the response (the old request-scoped session exit) showed up as
reads that missed the write just acknowledged (85 of 150 satker). Every write route kind, in a
loop, each followed at once by a read on the same keep-alive connection. (In one process the
old race rarely shows here, the commit usually reaches the database before the next request is
parsed; the deterministic proof that the commit precedes the response is
``tests/kernel/test_commit_protocol.py``. This one guards every route kind end to end.)
"""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import httpx
import pytest

from gateway.settings import GatewaySettings
from kernel.settings import AuthSettings, CommonSettings
from kernel.testing import sibling_database
from runner.composition import build_system
from runner.embedded import embedded_gateway
from services.evidence.settings import EvidenceSettings
from services.registry.settings import RegistrySettings
from tests.conftest import Mint, bearer
from tests.evidence.support import pdf
from tests.loopback import serve
from tests.registry.conftest import mini_document

pytestmark = pytest.mark.anyio
REG, EV = "/api/v1/registry", "/api/v1/evidence"
ROUNDS = 40


async def test_every_write_is_readable_right_after_its_2xx(
    pg_url: str, auth: AuthSettings, mint: Mint, tmp_path: Path
) -> None:
    with sibling_database(pg_url, f"wtr_{uuid.uuid4().hex[:6]}") as db_url:
        system = build_system(
            common=CommonSettings(environment="test", data_dir=tmp_path / "data"),
            auth=auth,
            settings={
                "registry": RegistrySettings(database_url=db_url),
                "evidence": EvidenceSettings(database_url=db_url, scanner="disabled", sweep_interval_seconds=0),
            },
        )
        app = embedded_gateway(system, GatewaySettings(rate_limit_per_second=0, access_log=False))
        admin = bearer(mint("admin", sub="admin@system"))
        reviewer = bearer(mint("reviewer", "WBC.90", sub="budi"))
        misses: dict[str, int] = {}

        def miss(kind: str, ok: bool) -> None:
            misses[kind] = misses.get(kind, 0) + (not ok)

        async with serve(app) as base_url, httpx.AsyncClient(base_url=base_url, timeout=60) as c:
            root = {"code": "WBC.90", "name": "Kanwil uji", "kind": "kanwil", "parent": None}
            assert (await c.post(f"{REG}/satkers", json=root, headers=admin)).status_code == 201
            for i in range(ROUNDS):
                code = f"KBC.9{i:03d}"
                body = {"code": code, "name": f"KPPBC uji {i}", "kind": "kppbc_tmp_c", "parent": "WBC.90"}
                r = await c.post(f"{REG}/satkers", json=body, headers=admin)
                assert r.status_code == 201, r.text
                miss("satker", (await c.get(f"{REG}/satkers/{code}", headers=admin)).status_code == 200)
            for i in range(ROUNDS // 4):
                code = f"KBC.8{i:03d}"
                r = await c.post(
                    f"{REG}/import",
                    json=mini_document(code, 2024, f"PK-{i}/{code}/2024", parent="WBC.90"),
                    headers=admin,
                )
                assert r.status_code == 201, r.text
                got = await c.get(f"{REG}/satkers/{code}/agreements/2024", headers=admin)
                miss("import", got.status_code == 200)
            m = f"{REG}/satkers/KBC.8000/agreements/2024/indicators/1b-N/measures/M03"
            etag = (await c.get(m, headers=admin)).headers["etag"]
            for i in range(ROUNDS):
                method = "PUT" if i % 2 else "PATCH"
                r = await c.request(method, m, json={"parts": {"realization": i}}, headers=admin | {"If-Match": etag})
                assert r.status_code == 200, r.text
                etag = r.headers["etag"]
                got = await c.get(m, headers=admin)
                miss("measure", got.headers["etag"] == etag and got.json()["parts"] == {"realization": i})
            for _ in range(ROUNDS // 4):
                r = await c.post(
                    f"{EV}/satkers/KBC.8000/documents",
                    content=pdf(),
                    headers=admin
                    | {
                        "X-Evidence-Metadata": json.dumps(
                            {
                                "kind": "ND",
                                "number": f"ND-{uuid.uuid4().int % 10**7}/KBC.8000/2024",
                                "document_date": "2024-02-10",
                                "period": "Q1",
                                "indicator": "1b-N",
                            }
                        ),
                        "Content-Type": "application/pdf",
                    },
                )
                assert r.status_code == 201, r.text
                doc = r.json()["id"]
                miss("upload", (await c.get(f"{EV}/documents/{doc}", headers=admin)).status_code == 200)
                r = await c.post(f"{EV}/documents/{doc}/review", json={"decision": "verify"}, headers=reviewer)
                assert r.status_code == 200, r.text
                got = await c.get(f"{EV}/documents/{doc}", headers=admin)
                miss("review", got.json()["status"] == "verified")
        assert misses == {"satker": 0, "import": 0, "measure": 0, "upload": 0, "review": 0}
