"""Start parts of kinerja as real processes on loopback (distributed-mode tests and benchmarks).

``served("registry", env)`` runs ``kinerja serve registry`` on a free port and waits until
``/healthz`` answers; leaving the context stops it (SIGTERM, then SIGKILL).
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

REPO_ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Served:
    target: str
    url: str
    port: int
    process: subprocess.Popen[bytes]
    log_path: Path

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)


def start(
    target: str,
    env: Mapping[str, str],
    *,
    port: int | None = None,
    app: str | None = None,
    extra_args: tuple[str, ...] = ("--no-access-log",),
    timeout: float = 30.0,
) -> Served:
    """Start ``kinerja serve <target>`` (or ``uvicorn <app>`` when ``app`` is given) and wait for /healthz."""
    port = port or free_port()
    log = Path(tempfile.mkstemp(prefix=f"kinerja-{target}-", suffix=".log")[1])
    if app is None:
        cmd = [sys.executable, "-m", "gateway.cli", "serve", target, "--port", str(port), *extra_args]
    else:
        cmd = [sys.executable, "-m", "uvicorn", app, "--port", str(port), "--loop", "uvloop", "--http", "httptools",
               "--no-access-log"]  # fmt: skip
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("KINERJA_")} | dict(env)
    full_env["PYTHONPATH"] = str(REPO_ROOT)
    with log.open("wb") as out:
        process = subprocess.Popen(cmd, cwd=REPO_ROOT, env=full_env, stdout=out, stderr=subprocess.STDOUT)
    served = Served(target, f"http://127.0.0.1:{port}", port, process, log)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{target} exited with {process.returncode}:\n{served.log()[-4000:]}")
        try:
            if httpx.get(served.url + "/healthz", timeout=1.0).status_code == 200:
                return served
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    served.stop()
    raise RuntimeError(f"{target} did not answer /healthz within {timeout}s:\n{served.log()[-4000:]}")


@contextmanager
def served(target: str, env: Mapping[str, str], **kw: object) -> Iterator[Served]:
    s = start(target, env, **kw)  # type: ignore[arg-type]
    try:
        yield s
    finally:
        s.stop()
