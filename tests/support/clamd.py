"""clamd in the foreground for the test suite (only tests start their own clamd).

``run_clamd(folder, signatures)`` starts clamd on a unix socket in ``folder`` with the given
signature folder and yields the socket once it answers ``PING``; leaving the context stops it.
"""

from __future__ import annotations

import contextlib
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

from runner.devservers import clamd_executable, clamd_reachable, stop_process


@contextlib.contextmanager
def run_clamd(folder: Path, signatures: Path, *, timeout: float = 60.0) -> Iterator[Path]:
    """clamd in the foreground, configured in ``folder``, loading ``signatures``; yields its socket."""
    exe = clamd_executable()
    if exe is None:
        raise RuntimeError("clamd is not installed: run scripts/install-system-deps (Debian clamav-daemon)")
    folder.mkdir(parents=True, exist_ok=True)
    sock = folder / "clamd.sock"
    conf = folder / "clamd.conf"
    log = folder / "clamd.log"
    conf.write_text(
        f"LocalSocket {sock}\nDatabaseDirectory {signatures}\nForeground yes\nLogFile {log}\n"
        f"TemporaryDirectory {folder}\nStreamMaxLength 200M\nMaxFileSize 200M\nMaxScanSize 400M\n"
        "SelfCheck 3600\n"
    )
    proc = subprocess.Popen([exe, "-c", str(conf)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + timeout
        while not clamd_reachable(sock):
            if proc.poll() is not None:
                text = log.read_text() if log.exists() else ""
                raise RuntimeError(f"clamd exited with {proc.returncode}: {text[-2000:]}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"clamd did not answer PING within {timeout:.0f} s")
            time.sleep(0.1)
        yield sock
    finally:
        stop_process(proc)
