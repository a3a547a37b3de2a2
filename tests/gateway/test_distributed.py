"""Distributed mode, for real: each part its own ``kinerja serve`` process, the gateway calling them over HTTP.

``runner.distributed.running_parts`` (what ``kinerja run-distributed`` runs) starts registry,
evidence and scoring on free loopback ports with their peers' URLs, each data owner in its own
schema of the session's throw-away PostgreSQL database; evidence stores on a real SeaweedFS and
scans with a real clamd (EICAR-only signatures). The demo document is imported through the
gateway. The last tests stop the registry: the gateway answers 503, not a hang.
"""

from __future__ import annotations

import hashlib
import json
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from pathlib import Path

import httpx
import pytest

from runner.distributed import Plan, running_parts
from runner.processes import Served
from services.registry.seed import load_seed_document
from tests.conftest import TEST_SECRET, Mint, bearer
from tests.evidence.support import pdf, run_clamd, run_seaweedfs
from tests.support.metrics import sample

pytestmark = [pytest.mark.anyio, pytest.mark.slow]


@pytest.fixture(scope="module")
def parts(pg_url: str, tmp_path_factory: pytest.TempPathFactory, mint: Mint) -> Iterator[dict[str, Served]]:
    tmp = tmp_path_factory.mktemp("distributed")
    tag = uuid.uuid4().hex[:8]  # own schemas and bucket: other tests share the session database
    with ExitStack() as stack, ThreadPoolExecutor(2) as pool:
        clamd = pool.submit(stack.enter_context, run_clamd(tmp / "clamd"))  # both start at once
        s3 = pool.submit(stack.enter_context, run_seaweedfs(tmp / "s3")).result()
        plan = Plan(
            database_url=pg_url,
            schemas={"registry": f"registry_gw_{tag}", "evidence": f"evidence_gw_{tag}"},
            common={
                "KINERJA_AUTH_SECRET": TEST_SECRET,
                "KINERJA_ENVIRONMENT": "test",
                "KINERJA_DATA_DIR": str(tmp / "data"),
            },
            evidence={
                "KINERJA_EVIDENCE_STORAGE": "s3",
                "KINERJA_EVIDENCE_S3_ENDPOINT_URL": s3.endpoint,
                "KINERJA_EVIDENCE_S3_BUCKET": f"gw-{tag}",
                "KINERJA_EVIDENCE_S3_ACCESS_KEY": s3.access_key,
                "KINERJA_EVIDENCE_S3_SECRET_KEY": s3.secret_key,
                "KINERJA_EVIDENCE_S3_CREATE_BUCKET": "true",
                "KINERJA_EVIDENCE_SCANNER": "clamd",
                "KINERJA_EVIDENCE_CLAMD_SOCKET": str(clamd.result()),
                "KINERJA_EVIDENCE_SWEEP_INTERVAL_SECONDS": "0",
            },
            gateway={"KINERJA_GATEWAY_BUFFER_LIMIT": "65536", "KINERJA_GATEWAY_READ_TIMEOUT": "20"},
        )
        out = stack.enter_context(running_parts(plan))
        seed = load_seed_document()
        seeded = httpx.post(
            out["gateway"].url + "/api/v1/registry/import", json=seed, headers=bearer(mint()), timeout=60
        )
        assert seeded.status_code == 201, seeded.text
        yield out


@pytest.fixture
async def gw(parts: dict[str, Served]) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=parts["gateway"].url, timeout=20) as client:
        yield client


async def test_readiness_aggregates_every_service(gw: httpx.AsyncClient) -> None:
    r = await gw.get("/readyz")
    assert r.status_code == 200, r.text
    assert r.json()["services"] == {"registry": "ready", "evidence": "ready", "scoring": "ready"}


async def test_scores_come_from_registry_and_scoring_over_http(gw: httpx.AsyncClient, mint: Mint) -> None:
    r = await gw.get(
        "/api/v1/scoring/satkers/WBC.16/scores",
        params={"year": 2024, "period": "Y"},
        headers=bearer(mint("kanwil_manager", "WBC.16")) | {"X-Request-ID": "e2e-rid-42"},
    )
    assert r.status_code == 200, r.text
    assert (r.json()["nko_display"], r.json()["predicate"]) == ("118.30", "Istimewa")  # the seeded Kalbagtim 2024
    assert r.headers["x-request-id"] == "e2e-rid-42"
    assert r.headers.get_list("date") == [r.headers["date"]]  # one date header, not the service's and ours
    assert (await gw.get("/api/v1/scoring/satkers/WBC.16/scores?year=2024&period=Y")).status_code == 401


async def test_evidence_upload_streams_through_the_gateway_and_downloads_identical(
    gw: httpx.AsyncClient, mint: Mint
) -> None:
    document = pdf(pad=300_000)  # several times the gateway's buffer limit: forwarded as a stream
    chunks = [document[i : i + 50_000] for i in range(0, len(document), 50_000)]

    async def body() -> AsyncIterator[bytes]:
        for chunk in chunks:
            yield chunk

    operator = mint("satker_operator", "WBC.16", sub="ana@WBC.16")
    metadata = {"kind": "ND", "number": f"ND-{uuid.uuid4().int % 10**6}/WBC.16/2024", "document_date": "2024-02-10",
                "period": "Q1", "indicator": "3a-CP"}  # fmt: skip
    r = await gw.post(
        "/api/v1/evidence/satkers/WBC.16/documents",
        content=body(),  # chunked: no content-length
        headers=bearer(operator)
        | {"Content-Type": "application/pdf", "X-Evidence-Metadata": json.dumps(metadata), "X-Request-ID": "up-rid-9"},
    )
    assert r.status_code == 201, r.text
    doc = r.json()
    assert (doc["scan_status"], doc["scanner"]) == ("clean", "clamd")  # the real clamd scanned it
    assert (doc["size"], doc["sha256"]) == (len(document), hashlib.sha256(document).hexdigest())

    received = bytearray()
    async with gw.stream("GET", f"/api/v1/evidence/documents/{doc['id']}/content", headers=bearer(operator)) as down:
        assert down.status_code == 200
        async for part in down.aiter_raw():
            received += part
    assert bytes(received) == document

    # the request id given at the edge reached the evidence service: it is in the audit log
    audit = await gw.get(f"/api/v1/evidence/documents/{doc['id']}/audit", headers=bearer(operator))
    assert audit.status_code == 200, audit.text
    assert "up-rid-9" in {e["request_id"] for e in audit.json()["items"]}


async def test_request_id_is_made_at_the_edge_when_missing(gw: httpx.AsyncClient, mint: Mint) -> None:
    r = await gw.get("/api/v1/registry/satkers", headers=bearer(mint()))
    assert r.status_code == 200, r.text
    assert r.json()["total"] >= 7
    assert len(r.headers["x-request-id"]) >= 8


async def test_a_malformed_request_id_is_replaced_once_at_the_edge_for_every_hop(
    gw: httpx.AsyncClient, mint: Mint
) -> None:
    """A caller's id the edge refuses (here: spaces) is replaced by the edge's own, and that one id
    travels on: the evidence service records the id the caller was answered with, not a third one."""
    operator = mint("satker_operator", "WBC.16", sub="ana@WBC.16")
    metadata = {"kind": "ND", "number": f"ND-{uuid.uuid4().int % 10**6}/WBC.16/2024", "document_date": "2024-02-11",
                "period": "Q1", "indicator": "3a-CP"}  # fmt: skip
    r = await gw.post(
        "/api/v1/evidence/satkers/WBC.16/documents",
        content=pdf(pad=1000),
        headers=bearer(operator)
        | {
            "Content-Type": "application/pdf",
            "X-Evidence-Metadata": json.dumps(metadata),
            "X-Request-ID": "not a valid id",
        },
    )
    assert r.status_code == 201, r.text
    answered = r.headers["x-request-id"]
    assert answered != "not a valid id"
    audit = await gw.get(f"/api/v1/evidence/documents/{r.json()['id']}/audit", headers=bearer(operator))
    assert {e["request_id"] for e in audit.json()["items"] if e["action"] == "uploaded"} == {answered}


async def test_stopped_service_is_503_problem_not_a_hang(
    gw: httpx.AsyncClient, parts: dict[str, Served], mint: Mint
) -> None:
    parts["registry"].stop()
    started = time.monotonic()
    r = await gw.get("/api/v1/registry/satkers", headers=bearer(mint()))
    assert time.monotonic() - started < 5
    assert r.status_code == 503
    assert r.headers["content-type"] == "application/problem+json"
    assert r.json()["type"] == "/problems/service-unavailable"
    ready = await gw.get("/readyz")
    assert ready.status_code == 503
    assert "registry" in ready.json()["detail"]
    assert ready.json()["services"]["evidence"] == "ready"


def test_every_part_logs_the_request_with_its_id(parts: dict[str, Served]) -> None:
    """The scores request of ``e2e-rid-42`` went gateway -> scoring -> registry (and evidence for
    the facts): each process wrote its own access line carrying the caller's request id."""
    for name in ("gateway", "scoring", "registry", "evidence"):
        lines = [line for line in Path(parts[name].log_path).read_text().splitlines() if "e2e-rid-42" in line]
        assert any(f"kinerja.access.{name}" in line for line in lines), f"{name}: {lines}"


def test_every_part_serves_its_metrics(parts: dict[str, Served]) -> None:
    for name in ("gateway", "scoring", "evidence"):  # the registry is stopped by now
        r = httpx.get(parts[name].url + "/metrics", timeout=5)
        assert r.status_code == 200, r.text
        assert r.headers["content-type"].startswith("text/plain")
        assert sample(r.text, "kinerja_http_requests_total", service=name, method="GET"), name
    gateway = httpx.get(parts["gateway"].url + "/metrics", timeout=5).text
    # the stopped registry was an upstream error; the streamed upload counted its bytes
    assert sample(gateway, "kinerja_upstream_errors_total", service="registry", reason="unreachable")
    uploaded = sample(gateway, "kinerja_http_request_body_bytes_total", route="/api/v1/evidence/{path}")
    assert uploaded and uploaded > 300_000
