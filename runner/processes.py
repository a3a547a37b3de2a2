"""Start parts of kinerja as real processes on loopback (distributed-mode tests and benchmarks).

``served("registry", env)`` runs ``kinerja serve registry`` on a free port and waits until
``/healthz`` answers; leaving the context stops it (SIGTERM, then SIGKILL). ``launch`` +
``wait_healthy`` start several parts at once (``kinerja run-distributed``, runner/distributed.py).
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
from typing import Any

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


def launch(
    target: str,
    env: Mapping[str, str],
    *,
    port: int | None = None,
    host: str = "127.0.0.1",
    app: str | None = None,
    extra_args: tuple[str, ...] = ("--no-access-log",),
    log_path: Path | None = None,
    inherit_kinerja_env: bool = False,
    command: tuple[str, ...] | None = None,
) -> Served:
    """Start ``kinerja serve <target>`` (or ``uvicorn <app>`` when ``app`` is given); do not wait.

    The child gets this process's environment without its ``KINERJA_*`` variables (unless
    ``inherit_kinerja_env``: a developer run passes the caller's settings on), plus ``env``.
    """
    port = port or free_port()
    log = log_path or Path(tempfile.mkstemp(prefix=f"kinerja-{target}-", suffix=".log")[1])
    if command is not None:  # another kinerja command (the notification worker: no port, no /healthz)
        cmd = [sys.executable, "-m", "runner.cli", *command]
    elif app is None:
        cmd = [sys.executable, "-m", "runner.cli", "serve", target, "--host", host, "--port", str(port), *extra_args]
    else:
        cmd = [sys.executable, "-m", "uvicorn", app, "--host", host, "--port", str(port), "--loop", "uvloop",
               "--http", "httptools", "--no-access-log"]  # fmt: skip
    base = os.environ if inherit_kinerja_env else {k: v for k, v in os.environ.items() if not k.startswith("KINERJA_")}
    full_env = dict(base) | dict(env)
    full_env["PYTHONPATH"] = str(REPO_ROOT)
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("wb") as out:
        process = subprocess.Popen(cmd, cwd=REPO_ROOT, env=full_env, stdout=out, stderr=subprocess.STDOUT)
    shown = "127.0.0.1" if host in ("0.0.0.0", "") else host  # noqa: S104 - a URL to call, not a bind
    return Served(target, f"http://{shown}:{port}", port, process, log)


def wait_healthy(served: Served, timeout: float = 30.0) -> Served:
    """Wait until ``/healthz`` answers 200; stop the process and raise (with its log) otherwise."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if served.process.poll() is not None:
            raise RuntimeError(f"{served.target} exited with {served.process.returncode}:\n{served.log()[-4000:]}")
        try:
            if httpx.get(served.url + "/healthz", timeout=1.0).status_code == 200:
                return served
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    served.stop()
    raise RuntimeError(f"{served.target} did not answer /healthz within {timeout}s:\n{served.log()[-4000:]}")


def start(target: str, env: Mapping[str, str], *, timeout: float = 30.0, **kw: Any) -> Served:
    """Start ``kinerja serve <target>`` (or ``uvicorn <app>`` when ``app`` is given) and wait for /healthz."""
    return wait_healthy(launch(target, env, **kw), timeout)


@contextmanager
def served(target: str, env: Mapping[str, str], **kw: object) -> Iterator[Served]:
    s = start(target, env, **kw)  # type: ignore[arg-type]
    try:
        yield s
    finally:
        s.stop()
