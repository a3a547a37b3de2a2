"""Crash safety, proven on a real server process: no orphan object, no row without its object.

The server is uvicorn in a subprocess. It is killed with SIGKILL in the middle of a request body,
and made to exit hard (fault injection) right after staging and right after the commit. Each
time we look at PostgreSQL and the storage, restart the server (its start-up sweep finishes or
undoes the interrupted upload) and look again.
"""

from __future__ import annotations

import hashlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import anyio
import httpx
import psycopg
import pytest

from kernel.settings import CommonSettings
from kernel.testing import libpq_url
from services.evidence.app import build_storage
from tests.conftest import TEST_SECRET, bearer
from tests.evidence.conftest import settings_for
from tests.evidence.helpers import meta
from tests.evidence.support import REPO, free_ports, pdf


def _env(settings: Any, data_dir: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("KINERJA_")}
    env |= {"KINERJA_ENVIRONMENT": "test", "KINERJA_DATA_DIR": str(data_dir), "KINERJA_AUTH_SECRET": TEST_SECRET}
    for name, value in settings.model_dump(exclude_none=True).items():
        env[f"KINERJA_EVIDENCE_{name.upper()}"] = str(value).lower() if isinstance(value, bool) else str(value)
    # the restarted server sweeps every leftover at once (in production: older than an hour)
    return env | {"KINERJA_EVIDENCE_STALE_AFTER_SECONDS": "0"} | extra


@contextmanager
def server(env: dict[str, str], log: Path) -> Iterator[tuple[subprocess.Popen[bytes], str]]:
    port = free_ports(1)[0]
    with log.open("ab") as out:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "uvicorn",
                "--factory",
                "tests.evidence.serve:app",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--no-access-log",
            ],
            cwd=REPO,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"server exited {proc.returncode}: {log.read_text()[-3000:]}")
            try:
                if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("server did not start")
            time.sleep(0.1)
        yield proc, url
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def _rows(pg_url: str, schema: str) -> list[tuple[str, str]]:
    with psycopg.connect(libpq_url(pg_url), options=f"-csearch_path={schema}") as conn:
        return [(r[0], r[1]) for r in conn.execute("select sha256, storage_key from documents").fetchall()]


def _objects(settings: Any, data_dir: Path) -> list[str]:
    async def _list() -> list[str]:
        storage = build_storage(settings, CommonSettings(data_dir=data_dir))
        try:
            return await storage.list_all()
        finally:
            await storage.aclose()

    # its own thread: the anyio pytest plugin may keep an event loop running in this one (after an
    # earlier module's async fixtures), and a loop cannot be started inside a running one
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(anyio.run, _list).result()


def _spool(data_dir: Path) -> list[Path]:
    folder = data_dir / "evidence" / "spool"
    return list(folder.iterdir()) if folder.is_dir() else []


def _post_headers(token: str, length: int) -> bytes:
    m = json.dumps(meta())
    return (
        f"POST /api/v1/evidence/satkers/KBC.1602/documents HTTP/1.1\r\nHost: x\r\n"
        f"Authorization: Bearer {token}\r\nContent-Type: application/pdf\r\nX-Evidence-Metadata: {m}\r\n"
        f"Content-Length: {length}\r\n\r\n"
    ).encode()


@pytest.fixture(params=["local", "s3"])
def storage_kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def crash_settings(request, pg_url, schema, clamd_socket, storage_kind):  # type: ignore[no-untyped-def]
    s3 = request.getfixturevalue("s3_server") if storage_kind == "s3" else None
    return settings_for(pg_url=pg_url, schema=schema, storage=storage_kind, clamd=clamd_socket, s3=s3)


@pytest.mark.parametrize("stale_after", ["0", "3600"])
def test_killed_mid_upload_leaves_nothing_behind(crash_settings, pg_url, schema, mint, tmp_path, stale_after) -> None:  # type: ignore[no-untyped-def]
    """With the production ``stale_after_seconds`` (3600) too: the dead upload's lock is free, so
    the start-up sweep knows no live upload owns its spool file and removes it at once."""
    data, log = tmp_path / "data", tmp_path / "server.log"
    env = _env(crash_settings, data) | {"KINERJA_EVIDENCE_STALE_AFTER_SECONDS": stale_after}
    token = mint(role="satker_operator", satker="KBC.1602")
    body = pdf(pad=8 * 1024 * 1024)
    with server(env, log) as (proc, url):
        port = int(url.rsplit(":", 1)[1])
        sock = socket.create_connection(("127.0.0.1", port))
        sock.sendall(_post_headers(token, len(body)))
        sock.sendall(body[: len(body) // 2])  # half the file, then the process dies
        deadline = time.monotonic() + 20
        while not any(p.stat().st_size > 0 for p in _spool(data)):
            assert time.monotonic() < deadline, "the upload never reached the spool"
            time.sleep(0.05)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(10)
        sock.close()
    assert _rows(pg_url, schema) == []
    assert _objects(crash_settings, data) == []
    assert len([p for p in _spool(data) if p.suffix == ".part"]) == 1  # the dead upload's partial file...
    with server(env, log) as (_, url):  # ...removed by the start-up sweep
        assert _spool(data) == []
        r = httpx.post(
            f"{url}/api/v1/evidence/satkers/KBC.1602/documents",
            content=body,
            headers=bearer(token) | {"X-Evidence-Metadata": json.dumps(meta())},
            timeout=60,
        )
        assert r.status_code == 201, r.text  # and the same file goes through afterwards
    assert [k for k in _objects(crash_settings, data)] == [f"sha256/{r.json()['sha256'][:2]}/{r.json()['sha256']}"]


@pytest.mark.parametrize("point", ["after_spool", "after_stage", "after_commit"])
def test_crash_between_protocol_steps(crash_settings, pg_url, schema, mint, tmp_path, point: str) -> None:  # type: ignore[no-untyped-def]
    data, log = tmp_path / "data", tmp_path / "server.log"
    token = mint(role="satker_operator", satker="KBC.1602")
    body = pdf(pad=200_000)
    sha = hashlib.sha256(body).hexdigest()
    with server(_env(crash_settings, data, KINERJA_EVIDENCE_FAULT_INJECTION=point), log) as (proc, url):
        with pytest.raises(httpx.TransportError):
            httpx.post(
                f"{url}/api/v1/evidence/satkers/KBC.1602/documents",
                content=body,
                headers=bearer(token) | {"X-Evidence-Metadata": json.dumps(meta())},
                timeout=60,
            )
        assert proc.wait(10) == 86  # died exactly at the injected point
    rows, objects = _rows(pg_url, schema), _objects(crash_settings, data)
    if point == "after_spool":
        assert (rows, objects, len([p for p in _spool(data) if p.suffix == ".part"])) == ([], [], 1)
    elif point == "after_stage":
        assert rows == [] and len(objects) == 1 and objects[0].startswith("staging/")
    else:  # committed: the row points at its staged object, which exists
        assert len(rows) == 1 and rows[0][0] == sha and rows[0][1].startswith("staging/")
        assert objects == [rows[0][1]]

    with server(_env(crash_settings, data), log) as (_, url):  # restart: the sweep repairs
        rows, objects = _rows(pg_url, schema), _objects(crash_settings, data)
        assert _spool(data) == []
        if point == "after_commit":
            assert rows == [(sha, f"sha256/{sha[:2]}/{sha}")] and objects == [rows[0][1]]
            doc_id = httpx.get(f"{url}/api/v1/evidence/satkers/KBC.1602/documents", headers=bearer(token)).json()
            r = httpx.get(f"{url}/api/v1/evidence/documents/{doc_id['items'][0]['id']}/content", headers=bearer(token))
            assert r.content == body
        else:
            assert (rows, objects) == ([], [])
