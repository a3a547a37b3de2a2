"""The whole system behind the gateway, as production composes it, on the test PostgreSQL.

``world(name)`` builds registry + evidence (local storage, real clamd) + scoring with
:func:`runner.composition.build_system`, wraps them in the gateway (:func:`runner.embedded.embedded_gateway`),
enters the gateway's lifespan (which enters every service's) and loads, through
the gateway's public API:

* the shipped Kalbagtim 2024 seed (WBC.16 and its KPPBC, the agreement of WBC.16);
* an agreement 2024 for the child KBC.1602 (a copy of the seed's, every IKU and manual, so the
  evidence-based 3a-CP scores there too);
* a foreign Kanwil WBC.17 with a KPPBC KBC.1701 and its own small agreement;
* one document in review per satker (uploaded by a dedicated uploader, so nobody in the tests
  reviews "their own upload").

Each test module gets its own database (a sibling of ``pg_url``), so a module that changes data
(the fuzzer does) cannot disturb another.
"""

from __future__ import annotations

import copy
import hashlib
import json
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from gateway.settings import ClientCredential, GatewaySettings
from kernel.settings import AuthSettings, CommonSettings
from kernel.testing import sibling_database
from runner.composition import build_system
from runner.embedded import embedded_gateway
from services.evidence.settings import EvidenceSettings
from services.registry.seed import load_seed_document
from services.registry.settings import RegistrySettings
from tests.conftest import Mint, bearer
from tests.evidence.conftest import clamd_socket  # noqa: F401  (the real clamd, session-wide)
from tests.evidence.support import pdf
from tests.registry.conftest import mini_document

KANWIL, CHILD = "WBC.16", "KBC.1602"
FOREIGN_KANWIL, FOREIGN = "WBC.17", "KBC.1701"
YEAR = 2024
#: an IKU present in every agreement of the world (for satker-independent requests)
IKU = {KANWIL: "3a-CP", CHILD: "3a-CP", FOREIGN: "1a-N"}
UPLOADER = "uploader@system"
CLIENT_ID, CLIENT_SECRET = "reporting", "reporting-secret-0123456789"
EV = "/api/v1/evidence"
REG = "/api/v1/registry"


def child_agreement_document() -> dict[str, Any]:
    """KBC.1602's 2024 agreement: the seed's (objectives, IKU, manuals, measures), without addenda."""
    seed = copy.deepcopy(load_seed_document())
    agreement = seed["agreement"]
    agreement.update(satker=CHILD, number="PK-1602/BC/2024", addenda=[], closed_periods=[])
    # the parts 3a-CP's manual reads besides the evidence (the LPT plan and the seized-goods index)
    agreement["measures"]["3a-CP"]["Q1"] = {"realization": 76.27, "lpt_plan": 4, "seized_goods_cluster_index": 4}
    return {"format": seed["format"], "satkers": [], "agreement": agreement}


def foreign_agreement_document() -> dict[str, Any]:
    doc = mini_document(FOREIGN, YEAR, "PK-1701/BC/2024", parent=FOREIGN_KANWIL)
    doc["satkers"].insert(0, {"code": FOREIGN_KANWIL, "name": "Kanwil test WBC.17", "kind": "kanwil", "parent": None})
    return doc


def metadata_header(kind: str, satker: str, **kw: Any) -> str:
    prefix = {"BA Tegah": "BA"}.get(kind, kind)
    meta = {
        "kind": kind,
        "number": f"{prefix}-{uuid.uuid4().int % 10**7}/{satker}/{YEAR}",
        "document_date": "2024-02-10",
        "period": "Q1",
        "indicator": IKU[satker],
    } | kw
    return json.dumps(meta)


async def upload(
    client: httpx.AsyncClient, token: str, satker: str, kind: str = "ND", *, submit: bool = True, **meta: Any
) -> httpx.Response:
    return await client.post(
        f"{EV}/satkers/{satker}/documents",
        params={"submit": str(submit).lower()},
        content=pdf(),
        headers=bearer(token)
        | {"X-Evidence-Metadata": metadata_header(kind, satker, **meta), "Content-Type": "application/pdf"},
    )


@dataclass
class World:
    app: FastAPI
    client: httpx.AsyncClient
    mint: Mint
    #: one document per satker (in review, uploaded by UPLOADER)
    documents: dict[str, str] = field(default_factory=dict)

    def token(self, role: str, satker: str | None = None, sub: str | None = None) -> str:
        return self.mint(role, satker, sub=sub)

    def openapi(self) -> dict[str, Any]:
        doc: dict[str, Any] = self.app.state.openapi_doc
        return doc


WorldFactory = Callable[[str], AbstractAsyncContextManager[World]]


@pytest.fixture(scope="module")
def world_factory(
    pg_url: str,
    auth: AuthSettings,
    mint: Mint,
    tmp_path_factory: pytest.TempPathFactory,
    clamd_socket: Path,  # noqa: F811
) -> WorldFactory:
    @asynccontextmanager
    async def make(name: str) -> AsyncIterator[World]:
        with sibling_database(pg_url, f"system_{name}_{uuid.uuid4().hex[:6]}") as db_url:
            common = CommonSettings(environment="test", data_dir=tmp_path_factory.mktemp(f"system-{name}"))
            system = build_system(
                common=common,
                auth=auth,
                settings={
                    "registry": RegistrySettings(database_url=db_url),
                    "evidence": EvidenceSettings(
                        database_url=db_url, scanner="clamd", clamd_socket=str(clamd_socket), sweep_interval_seconds=0
                    ),
                },
                services=("registry", "evidence", "scoring"),
            )
            gateway = GatewaySettings(
                rate_limit_per_second=0,
                access_log=False,
                clients={
                    CLIENT_ID: ClientCredential(
                        secret_sha256=hashlib.sha256(CLIENT_SECRET.encode()).hexdigest(), scopes=["read", "write"]
                    )
                },
            )
            app = embedded_gateway(system, gateway)
            async with (
                app.router.lifespan_context(app),
                httpx.AsyncClient(
                    # like a server: an unexpected exception is the 500 the app sent, not a test crash
                    transport=httpx.ASGITransport(app=app, raise_app_exceptions=False),
                    base_url="http://gateway",
                    timeout=60,
                ) as c,
            ):
                world = World(app=app, client=c, mint=mint)
                await populate(world)
                app.state.openapi_doc = (await c.get("/openapi.json")).json()
                yield world

    return make


async def populate(world: World) -> None:
    c, admin = world.client, bearer(world.token("admin", sub="setup@system"))
    for doc in (load_seed_document(), child_agreement_document(), foreign_agreement_document()):
        r = await c.post(f"{REG}/import", json=doc, headers=admin)
        assert r.status_code == 201, r.text
    uploader = world.token("admin", sub=UPLOADER)
    for satker in (KANWIL, CHILD, FOREIGN):
        r = await upload(c, uploader, satker)
        assert r.status_code == 201, r.text
        world.documents[satker] = r.json()["id"]
