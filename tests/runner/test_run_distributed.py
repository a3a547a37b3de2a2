"""``kinerja run-distributed`` as a developer runs it: one command, then SIGTERM stops everything.

The command runs in its own process with a data folder and a database of its own (created by the
command on the test PostgreSQL server, dropped afterwards). No clamd answers at the configured
socket, so the run must say loudly that scanning is disabled (never silently); SeaweedFS is
started under ``<data>/distributed/s3``; the demo data is loaded through the gateway.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import httpx
import psycopg
import pytest

from kernel.testing import libpq_url
from runner.devservers import free_ports
from runner.processes import REPO_ROOT
from tests.conftest import TEST_SECRET, Mint, bearer
from tests.evidence.support import pdf

pytestmark = pytest.mark.slow


def _alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"
    except FileNotFoundError:
        return False


def _children(pid: int) -> list[int]:
    out = subprocess.run(["ps", "--ppid", str(pid), "-o", "pid="], capture_output=True, text=True).stdout
    return [int(p) for p in out.split()]


def test_run_distributed_starts_serves_and_stops_everything(pg_url: str, tmp_path: Path, mint: Mint) -> None:
    database = f"kinerja_rd_{uuid.uuid4().hex[:8]}"
    port = free_ports(1)[0]
    env = {k: v for k, v in os.environ.items() if not k.startswith("KINERJA_")} | {
        "PYTHONPATH": str(REPO_ROOT),
        "KINERJA_DATA_DIR": str(tmp_path / "data"),
        "KINERJA_AUTH_SECRET": TEST_SECRET,
        "KINERJA_DISTRIBUTED_ADMIN_DATABASE_URL": pg_url,
        "KINERJA_DISTRIBUTED_DATABASE": database,
        "KINERJA_EVIDENCE_CLAMD_SOCKET": str(tmp_path / "no-clamd.sock"),
    }
    log = tmp_path / "run.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "runner.cli", "run-distributed", "--port", str(port)],
            cwd=REPO_ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip
    children: list[int] = []
    try:
        deadline = time.monotonic() + 90
        while "Ctrl-C" not in log.read_text():
            assert proc.poll() is None, log.read_text()
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.2)
        text = log.read_text()
        assert "WARNING: no clamd answers" in text and "scanning  DISABLED" in text
        assert "demo data loaded into the registry" in text
        assert (tmp_path / "data" / "distributed" / "s3" / "s3.json").exists()
        children = _children(proc.pid)
        assert len(children) == 6, text  # weed, registry, evidence, scoring, gateway, notification worker

        gw = f"http://127.0.0.1:{port}"
        ready = httpx.get(gw + "/readyz", timeout=10)
        assert ready.status_code == 200, ready.text
        assert ready.json()["services"] == {"registry": "ready", "evidence": "ready", "scoring": "ready"}
        r = httpx.get(
            gw + "/api/v1/scoring/satkers/WBC.16/scores", params={"year": 2024, "period": "Y"},
            headers=bearer(mint()), timeout=30,
        )  # fmt: skip
        assert r.status_code == 200, r.text
        assert r.json()["nko_display"] == "118.30"
        # the registry asks the evidence service over HTTP at submission (its peer URL is configured):
        # a document of the quarter still in review is a gap, beside the red IKU without a note
        op = bearer(mint("satker_operator", "KBC.1606", sub="rina@KBC.1606"))
        meta = {"kind": "ND", "number": "ND-1/KBC.1606/2024", "document_date": "2024-12-10",
                "indicator": "2a-CP", "period": "Q4"}  # fmt: skip
        r = httpx.post(
            gw + "/api/v1/evidence/satkers/KBC.1606/documents", content=pdf(), timeout=30,
            headers=op | {"X-Evidence-Metadata": json.dumps(meta), "Content-Type": "application/pdf"},
        )  # fmt: skip
        assert r.status_code == 201, r.text
        document = r.json()["id"]
        r = httpx.post(gw + "/api/v1/registry/satkers/KBC.1606/agreements/2024/cycle/Q4/submit", headers=op, timeout=30)
        assert r.status_code == 422, r.text
        assert [e["field"] for e in r.json()["errors"]] == ["indicators.2a-CP.analysis_note", f"evidence.{document}"]

        proc.send_signal(signal.SIGTERM)
        assert proc.wait(30) == 0, log.read_text()
        assert "SIGTERM received: stopped every part" in log.read_text()
        assert [pid for pid in children if _alive(pid)] == []
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)
        for pid in children:
            if _alive(pid):
                os.kill(pid, signal.SIGKILL)
        with psycopg.connect(libpq_url(pg_url), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
