"""Evidence upload: throughput and server memory for a 1 GB streamed upload.

The evidence service runs in its own uvicorn process (local storage, SQLite, scanner disabled so
the number measures *our* streaming path, not clamd). One 1 GiB PDF-headed body is sent over a
raw socket in 1 MiB writes; we report MB/s and the server's peak RSS (``VmHWM``) before and after,
against the baseline of writing the same bytes straight to a file (with fsync) in this process.
Memory must stay flat: the peak after the upload is the peak before it plus a few MiB.

    python -m bench            # every bench
    python bench/bench_evidence.py [size_mb]
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
SECRET = "bench-secret-not-for-production-0123456789abcdef"
CHUNK = 1024 * 1024


def server_app() -> Any:
    """uvicorn factory: the evidence app with an in-process stand-in for the registry."""
    from fastapi import FastAPI

    from kernel.client import Peers, ServiceClient
    from services.evidence.app import create_app

    registry = FastAPI()

    @registry.get("/api/v1/registry/satkers/{code}")
    async def satker(code: str) -> dict[str, Any]:
        return {"code": code, "path": ["WBC.16", code]}

    @registry.get("/api/v1/registry/satkers/{code}/agreements/{year}")
    async def agreement(code: str, year: int) -> dict[str, Any]:
        return {"indicators": [{"code": "3a-CP"}], "closed_periods": []}

    peers = Peers()
    peers.add(ServiceClient("registry", app=registry))
    return create_app(peers=peers)


def _free_port() -> int:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = int(s.getsockname()[1])
    s.close()
    return port


def _status(pid: int) -> dict[str, int]:
    out = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmHWM", "VmRSS"):
            out[key] = int(value.split()[0]) // 1024  # MiB
    return out


def _wait_ready(port: int, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError("the evidence server exited at start")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
                s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                if b"200" in s.recv(100):
                    return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("the evidence server did not start")


def _token() -> str:
    from kernel.auth import TokenVerifier

    return TokenVerifier(secret=SECRET).mint(subject="bench", role="admin")


def _upload(port: int, size: int, block: bytes, number: str) -> tuple[int, float, bytes]:
    meta = {"kind": "LAP", "number": number, "document_date": "2024-02-01", "period": "Q1", "indicator": "3a-CP"}
    head = (
        "POST /api/v1/evidence/satkers/KBC.1602/documents HTTP/1.1\r\nHost: bench\r\n"
        f"Authorization: Bearer {_token()}\r\nContent-Type: application/pdf\r\n"
        f"X-Evidence-Metadata: {json.dumps(meta)}\r\nContent-Length: {size}\r\nConnection: close\r\n\r\n"
    ).encode()
    first = b"%PDF-1.4\n1 0 obj\n" + block[17:]  # PDF structure at both ends (the whole file is checked)
    end = b"\nendobj\n%%EOF\n"
    started = time.perf_counter()
    with socket.create_connection(("127.0.0.1", port)) as s:
        s.sendall(head)
        sent = 0
        while sent < size:
            chunk = first if sent == 0 else block
            chunk = chunk[: size - sent]
            if sent + len(chunk) == size:
                chunk = chunk[: -len(end)] + end
            s.sendall(chunk)
            sent += len(chunk)
        reply = b""
        while data := s.recv(65536):
            reply += data
    elapsed = time.perf_counter() - started
    status = int(reply.split(b" ", 2)[1])
    return status, elapsed, reply


def _disk_baseline(folder: Path, size: int, block: bytes) -> float:
    path = folder / "baseline.bin"
    started = time.perf_counter()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        written = 0
        while written < size:
            written += os.write(fd, block[: size - written])
        os.fsync(fd)
    finally:
        os.close(fd)
    elapsed = time.perf_counter() - started
    path.unlink()
    return elapsed


def main(size_mb: int = 1024) -> dict[str, Any]:
    size = size_mb * CHUNK
    block = os.urandom(CHUNK)
    with tempfile.TemporaryDirectory(prefix="kinerja-bench-evidence-") as tmp:
        folder = Path(tmp)
        env = {k: v for k, v in os.environ.items() if not k.startswith("KINERJA_")} | {
            "KINERJA_ENVIRONMENT": "test",
            "KINERJA_DATA_DIR": str(folder / "data"),
            "KINERJA_AUTH_SECRET": SECRET,
            "KINERJA_EVIDENCE_SCANNER": "disabled",
            "KINERJA_EVIDENCE_STORAGE": "local",
            "KINERJA_EVIDENCE_MAX_UPLOAD_BYTES": str(size + CHUNK),
            "KINERJA_EVIDENCE_SWEEP_INTERVAL_SECONDS": "0",
            "KINERJA_LOG_LEVEL": "WARNING",
        }
        port = _free_port()
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "uvicorn",
                "--factory",
                "bench.bench_evidence:server_app",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--no-access-log",
                "--log-level",
                "warning",
            ],
            cwd=REPO,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        try:
            _wait_ready(port, proc)
            # warm-up: a small upload loads every code path (magic, sqlite, hashing) before measuring
            status, _, reply = _upload(port, 4 * CHUNK, os.urandom(CHUNK), "LAP-1/KBC.1602/2024")
            if status != 201:
                raise RuntimeError(f"warm-up upload failed: {reply[-500:]!r}")
            before = _status(proc.pid)
            status, elapsed, reply = _upload(port, size, block, "LAP-2/KBC.1602/2024")
            after = _status(proc.pid)
            if status != 201:
                raise RuntimeError(f"upload failed: {reply[-500:]!r}")
        finally:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                proc.kill()
        disk = _disk_baseline(folder, size, block)

    mbps = size / CHUNK / elapsed
    disk_mbps = size / CHUNK / disk
    result = {
        "upload_mb": size_mb,
        "upload_mb_per_s": round(mbps, 1),
        "disk_write_mb_per_s": round(disk_mbps, 1),
        "ratio_upload_vs_disk": round(mbps / disk_mbps, 3),
        "server_peak_rss_before_mib": before["VmHWM"],
        "server_peak_rss_after_mib": after["VmHWM"],
        "server_peak_growth_mib": after["VmHWM"] - before["VmHWM"],
    }
    print(f"bench_evidence: 1 upload of {size_mb} MiB through the evidence service (uvicorn subprocess)")
    print(f"  upload      {mbps:8.1f} MB/s  ({elapsed:.2f} s)")
    print(f"  disk write  {disk_mbps:8.1f} MB/s  ({disk:.2f} s)  baseline: same bytes straight to a file + fsync")
    print(f"  ratio       {mbps / disk_mbps:8.3f} x disk")
    print(
        f"  server peak RSS {before['VmHWM']} MiB before, {after['VmHWM']} MiB after "
        f"(+{after['VmHWM'] - before['VmHWM']} MiB for {size_mb} MiB uploaded: flat)"
    )
    return result


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1024)
