"""Validated evidence is frozen (issue 11, ADR 0024): a new revision of a document of a validated
quarter is refused with a 409 naming the period until an admin reopens it. Registry, scoring and
evidence composed in process (the evidence service asks the real registry over its peer client);
the quarter is submitted and validated through the registry's own API."""

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
from tests.evidence.conftest import EvidenceFactory
from tests.evidence.helpers import BASE, headers, meta, upload
from tests.evidence.support import RegistryStub, pdf
from tests.registry.conftest import mini_document

pytestmark = pytest.mark.anyio

REG = "/api/v1/registry"
KANWIL, CHILD = "WBC.93", "KBC.9301"
NOTE = {"events_causes": "Rotasi pegawai", "solutions_actions": "Jadwal ulang", "risks": "Target tahunan"}


@pytest.fixture(scope="module")
def freeze_db(pg_url: str) -> Iterator[str]:
    with sibling_database(pg_url, "freeze") as url:
        yield url


@pytest.fixture
async def system(
    freeze_db: str, auth: AuthSettings, tmp_path: Path, mint: Mint, clamd_socket: Path
) -> AsyncIterator[System]:
    common = CommonSettings(environment="test", data_dir=tmp_path / "data")
    built = build_system(
        common=common,
        auth=auth,
        services=("registry", "evidence", "scoring"),
        settings={
            "registry": RegistrySettings(database_url=freeze_db),
            "evidence": EvidenceSettings(
                database_url=freeze_db, clamd_socket=str(clamd_socket), sweep_interval_seconds=0
            ),
        },
    )
    async with running(built):
        reg = httpx.AsyncClient(transport=httpx.ASGITransport(app=built.apps["registry"]), base_url="http://r")
        async with reg:
            kanwil = mini_document(KANWIL, 2024, f"PK-{KANWIL}/2024", parent=None)
            kanwil["satkers"][0]["kind"] = "kanwil"
            child = mini_document(CHILD, 2024, f"PK-{CHILD}/2024", parent=KANWIL)
            child["agreement"]["measures"] = {"1a-N": {"Q1": {"realization": 0.5}}, "1b-N": {"Q1": {"realization": 3}}}
            for doc in (kanwil, child):
                r = await reg.post(f"{REG}/import", json=doc, headers=bearer(mint("admin")))
                assert r.status_code == 201, r.text
        yield built


def cycle(rest: str) -> str:
    return f"{REG}/satkers/{CHILD}/agreements/2024/cycle{rest}"


async def test_a_validated_quarter_refuses_revisions_until_reopened(system: System, mint: Mint) -> None:
    op = mint("satker_operator", CHILD, sub="ana@KBC.9301")
    reviewer = mint("reviewer", KANWIL, sub="budi@WBC.93")
    admin = mint("admin", sub="admin@pusat")
    ev = httpx.AsyncClient(transport=httpx.ASGITransport(app=system.apps["evidence"]), base_url="http://e")
    reg = httpx.AsyncClient(transport=httpx.ASGITransport(app=system.apps["registry"]), base_url="http://r")
    async with ev, reg:
        m = meta("ND", f"ND-7/{CHILD}/2024", satker=CHILD, indicator="1a-N", date="2024-02-10")
        r = await upload(ev, op, pdf(), m, satker=CHILD)
        assert r.status_code == 201, r.text
        doc = r.json()
        r = await ev.post(f"{BASE}/documents/{doc['id']}/review", json={"decision": "verify"}, headers=bearer(reviewer))
        assert r.status_code == 200, r.text

        # submitted (not yet validated): a correction is still accepted, and goes back to review
        assert (await reg.put(cycle("/Q1/notes/1b-N"), json=NOTE, headers=bearer(op))).status_code == 200
        assert (await reg.post(cycle("/Q1/submit"), headers=bearer(op))).status_code == 200, r.text
        r = await ev.post(f"{BASE}/documents/{doc['id']}/revisions", content=pdf(), headers=headers(op, m))
        assert r.status_code == 201, r.text
        doc = r.json()
        r = await ev.post(f"{BASE}/documents/{doc['id']}/review", json={"decision": "verify"}, headers=bearer(reviewer))
        assert r.status_code == 200, r.text
        r = await reg.post(cycle("/Q1/validate"), headers=bearer(reviewer))
        assert r.status_code == 200, r.text

        # validated: frozen; the problem names the period and says a reopen is needed; nothing written
        r = await ev.post(f"{BASE}/documents/{doc['id']}/revisions", content=pdf(), headers=headers(op, m))
        assert r.status_code == 409, r.text
        assert r.headers["content-type"].startswith("application/problem+json")
        body = r.json()
        assert body["type"].endswith("/period-validated")
        assert (body["period"], body["year"], body["state"]) == ("Q1", 2024, "validated")
        assert "Q1 2024" in body["detail"] and "reopen" in body["detail"]
        assert body["errors"][0]["field"] == "period"
        revs = (await ev.get(f"{BASE}/documents/{doc['id']}/revisions", headers=bearer(op))).json()["items"]
        assert len(revs) == 2
        # moving the document's date out of the validated quarter is refused as well
        moved = meta("ND", f"ND-7/{CHILD}/2024", satker=CHILD, indicator="1a-N", date="2024-05-10", period="Q2")
        r = await ev.post(f"{BASE}/documents/{doc['id']}/revisions", content=pdf(), headers=headers(op, moved))
        assert (r.status_code, r.json()["period"]) == (409, "Q1")
        # another quarter is not frozen: a new document of Q2 goes in, and its correction too
        q2 = meta("ND", f"ND-8/{CHILD}/2024", satker=CHILD, indicator="1a-N", date="2024-05-10", period="Q2")
        r = await upload(ev, op, pdf(), q2, satker=CHILD)
        assert r.status_code == 201, r.text
        r = await ev.post(f"{BASE}/documents/{r.json()['id']}/revisions", content=pdf(), headers=headers(op, q2))
        assert r.status_code == 201, r.text

        # an admin reopens the quarter (a new revision of the submission): the correction is accepted
        r = await reg.post(cycle("/Q1/reopen"), json={"reason": "Koreksi bukti 1a-N"}, headers=bearer(admin))
        assert r.status_code == 200, r.text
        r = await ev.post(f"{BASE}/documents/{doc['id']}/revisions", content=pdf(), headers=headers(op, m))
        assert r.status_code == 201, r.text
        assert r.json()["revision"] == 3


async def test_a_published_quarter_is_frozen_and_the_state_is_read_per_request(
    evidence: EvidenceFactory, registry: RegistryStub, mint: Mint
) -> None:
    """The same rule against the evidence tests' registry stub: the state is read at every
    revision (never cached), so a reopen is seen by the next request."""
    op = mint("satker_operator", "KBC.1602", sub="ana@KBC.1602")
    async with evidence(scanner=False) as (c, _):
        m = meta("ND", "ND-9/KBC.1602/2024", date="2024-08-10", period="Q3")
        r = await upload(c, op, pdf(), m)
        assert r.status_code == 201, r.text
        url = f"{BASE}/documents/{r.json()['id']}/revisions"
        registry.cycle[("KBC.1602", 2024)] = {"Q3": "published"}
        r = await c.post(url, content=pdf(), headers=headers(op, m))
        assert (r.status_code, r.json()["state"], r.json()["period"]) == (409, "published", "Q3")
        assert "dipublikasikan" in r.json()["detail"]
        registry.cycle[("KBC.1602", 2024)] = {"Q3": "open"}  # reopened
        r = await c.post(url, content=pdf(), headers=headers(op, m))
        assert r.status_code == 201, r.text
