"""Receive an upload body into a local spool file: hashed, size-capped, never whole in memory.

The body is read from ``request.stream()`` chunk by chunk; chunks are gathered up to 1 MiB and
written (and hashed) in a worker thread, so memory stays at about one buffer per upload whatever
the file size. The cap is enforced on the bytes actually received (a lying or absent
Content-Length changes nothing): past the cap we stop reading and answer 413.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import anyio

from kernel.errors import PayloadTooLarge
from services.evidence.adapters.sniff import HEAD_BYTES

FLUSH_AT = 1024 * 1024


@dataclass
class Spooled:
    path: Path
    sha256: str
    size: int
    head: bytes


async def spool(body: AsyncIterator[bytes], path: Path, *, limit: int) -> Spooled:
    """Write ``body`` to ``path``; remove the partial file on any failure (413, client gone...)."""
    digest = hashlib.sha256()
    head = bytearray()
    size = 0
    buf: list[bytes] = []
    buffered = 0
    fd = await anyio.to_thread.run_sync(lambda: os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))

    def _write(chunks: list[bytes]) -> None:
        data = b"".join(chunks)
        digest.update(data)
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]

    try:
        async for chunk in body:
            if not chunk:
                continue
            size += len(chunk)
            if size > limit:
                raise PayloadTooLarge(f"the file exceeds the upload limit of {limit} bytes", field="content")
            if len(head) < HEAD_BYTES:
                head += chunk[: HEAD_BYTES - len(head)]
            buf.append(chunk)
            buffered += len(chunk)
            if buffered >= FLUSH_AT:
                pending, buf, buffered = buf, [], 0
                await anyio.to_thread.run_sync(_write, pending)
        if buf:
            await anyio.to_thread.run_sync(_write, buf)
        await anyio.to_thread.run_sync(os.fsync, fd)
    except BaseException:
        os.close(fd)
        # synchronous on purpose: this must also run when the upload is cancelled (client gone)
        with contextlib.suppress(FileNotFoundError):
            os.unlink(path)
        raise
    os.close(fd)
    return Spooled(path=path, sha256=digest.hexdigest(), size=size, head=bytes(head))


# --- ownership of leftovers ---------------------------------------------------------------------


class UploadLock:
    """``<spool>/<upload id>.lock``, held with ``flock`` while an upload is alive.

    The kernel drops the lock when the process dies, even by SIGKILL: a lock file nobody holds
    marks the spool file and staging object of that upload id as leftovers of a dead upload, which
    the sweeper removes at once instead of waiting ``stale_after_seconds``. The file is created
    under a temporary name, locked, then renamed (the lock follows the inode), so a sweeper never
    sees an unlocked lock file of a live upload.
    """

    def __init__(self, spool_dir: Path, upload_id: str) -> None:
        self.path = spool_dir / f"{upload_id}.lock"
        tmp = spool_dir / f"{upload_id}.lock-new"
        self._fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        fcntl.flock(self._fd, fcntl.LOCK_EX)
        os.replace(tmp, self.path)

    def release(self) -> None:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.path)  # unlink first: nobody may take a released lock for a dead one
        os.close(self._fd)


def dead_uploads(spool_dir: Path) -> list[str]:
    """Upload ids whose lock file no live process holds (their owners are gone)."""
    dead = []
    for lock in spool_dir.glob("*.lock"):
        try:
            fd = os.open(lock, os.O_RDONLY)
        except FileNotFoundError:
            continue
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            continue  # a live upload
        finally:
            os.close(fd)
        dead.append(lock.stem)
    return dead
