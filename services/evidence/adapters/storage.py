"""Object storage behind one interface: local files (embedded) or S3-compatible (SeaweedFS, MinIO, AWS).

Keys (ADR 0005):
* ``staging/<upload id>`` — one per upload, never shared, so deleting it can never hurt another upload;
* ``sha256/<aa>/<sha256>`` — content-addressed; written only by *promoting* a staging object whose
  document row is already committed, so a content object always has its row.

The S3 backend uses boto3 in worker threads (``anyio.to_thread``): boto3's managed transfer does
multipart upload/copy and checksums for us, and aiobotocore would add a second dependency tree for
no measurable gain at our request rates (uploads are disk/network bound, not event-loop bound).
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import anyio

from kernel.errors import ServiceUnavailable

STAGING = "staging/"
CHUNK = 256 * 1024


def content_key(sha256: str) -> str:
    return f"sha256/{sha256[:2]}/{sha256}"


def staging_key(upload_id: str) -> str:
    return f"{STAGING}{upload_id}"


@dataclass(frozen=True)
class StoredObject:
    key: str
    size: int
    modified: float  # epoch seconds


class Storage(Protocol):
    name: str

    async def stage(self, upload_id: str, source: Path) -> str:
        """Move/upload a local spool file to ``staging/<upload id>``; the spool file is consumed."""

    async def promote(self, key: str, target: str) -> None:
        """Make ``target`` hold the bytes of ``key`` and remove ``key``. Idempotent: a second call
        after a crash (``key`` gone, ``target`` present) succeeds."""

    async def exists(self, key: str) -> bool: ...

    async def delete(self, key: str) -> None: ...

    async def list_staging(self) -> list[StoredObject]: ...

    async def list_all(self) -> list[str]: ...

    def read(self, key: str, start: int = 0, end: int | None = None) -> AsyncIterator[bytes]:
        """Bytes ``start..end`` (inclusive; ``None`` = to the end), in chunks."""

    async def ping(self) -> None: ...

    async def aclose(self) -> None: ...


class LocalStorage:
    """Files under one root. ``promote`` is an atomic ``rename`` on the same file system."""

    name = "local"

    def __init__(self, root: Path) -> None:
        self.root = root

    def _path(self, key: str) -> Path:
        path = (self.root / key).resolve()
        if self.root.resolve() not in path.parents:
            raise ValueError(f"key {key!r} escapes the storage root")
        return path

    async def open(self) -> None:
        await anyio.to_thread.run_sync(lambda: (self.root / STAGING).mkdir(parents=True, exist_ok=True))

    async def stage(self, upload_id: str, source: Path) -> str:
        key = staging_key(upload_id)
        dest = self._path(key)

        def _move() -> None:
            dest.parent.mkdir(parents=True, exist_ok=True)
            try:
                os.replace(source, dest)  # same file system (the spool lives under the data folder)
            except OSError:
                import shutil

                shutil.copyfile(source, dest)
                source.unlink()
            _fsync_dir(dest.parent)

        await anyio.to_thread.run_sync(_move)
        return key

    async def promote(self, key: str, target: str) -> None:
        src, dst = self._path(key), self._path(target)

        def _promote() -> None:
            dst.parent.mkdir(parents=True, exist_ok=True)
            try:
                os.replace(src, dst)
            except FileNotFoundError:
                if not dst.exists():
                    raise
            _fsync_dir(dst.parent)

        await anyio.to_thread.run_sync(_promote)

    async def exists(self, key: str) -> bool:
        return await anyio.to_thread.run_sync(self._path(key).is_file)

    async def size(self, key: str) -> int:
        return (await anyio.to_thread.run_sync(self._path(key).stat)).st_size

    async def delete(self, key: str) -> None:
        await anyio.to_thread.run_sync(lambda: self._path(key).unlink(missing_ok=True))

    async def list_staging(self) -> list[StoredObject]:
        def _list() -> list[StoredObject]:
            folder = self.root / STAGING
            if not folder.is_dir():
                return []
            out = []
            for p in folder.iterdir():
                with contextlib.suppress(FileNotFoundError):
                    st = p.stat()
                    out.append(StoredObject(STAGING + p.name, st.st_size, st.st_mtime))
            return out

        return await anyio.to_thread.run_sync(_list)

    async def list_all(self) -> list[str]:
        """Every key (tests, operators)."""

        def _all() -> list[str]:
            return sorted(str(p.relative_to(self.root)) for p in self.root.rglob("*") if p.is_file())

        return await anyio.to_thread.run_sync(_all)

    async def read(self, key: str, start: int = 0, end: int | None = None) -> AsyncIterator[bytes]:
        async with await anyio.open_file(self._path(key), "rb") as f:
            await f.seek(start)
            remaining = None if end is None else end - start + 1
            while remaining is None or remaining > 0:
                chunk = await f.read(CHUNK if remaining is None else min(CHUNK, remaining))
                if not chunk:
                    break
                if remaining is not None:
                    remaining -= len(chunk)
                yield chunk

    async def ping(self) -> None:
        if not await anyio.to_thread.run_sync(self.root.is_dir):
            raise ServiceUnavailable(f"storage folder {self.root} missing")

    async def aclose(self) -> None:
        return None


def _fsync_dir(path: Path) -> None:
    """Make a rename durable (the directory entry), so a power cut cannot undo a promote."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class S3Storage:
    """An S3-compatible bucket through boto3 (in threads)."""

    name = "s3"

    def __init__(
        self,
        *,
        endpoint_url: str | None,
        bucket: str,
        region: str,
        access_key: str | None,
        secret_key: str | None,
        prefix: str = "",
        create_bucket: bool = False,
    ) -> None:
        import boto3
        from boto3.s3.transfer import TransferConfig
        from botocore.config import Config

        self.bucket = bucket
        self.prefix = prefix.strip("/") + "/" if prefix.strip("/") else ""
        self._create = create_bucket
        self._client: Any = boto3.session.Session().client(
            "s3",
            endpoint_url=endpoint_url,
            region_name=region,
            aws_access_key_id=access_key,
            aws_secret_access_key=secret_key,
            config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 3, "mode": "standard"}),
        )
        self._transfer = TransferConfig(multipart_threshold=16 * 1024 * 1024, multipart_chunksize=16 * 1024 * 1024)

    def _k(self, key: str) -> str:
        return self.prefix + key

    async def _call(self, fn: Any, *args: Any, **kwargs: Any) -> Any:
        from botocore.exceptions import BotoCoreError, ClientError

        def run() -> Any:
            return fn(*args, **kwargs)

        try:
            return await anyio.to_thread.run_sync(run)
        except ClientError:
            raise
        except BotoCoreError as exc:
            raise ServiceUnavailable(f"object storage unreachable ({type(exc).__name__})") from exc

    async def open(self) -> None:
        if self._create:
            from botocore.exceptions import ClientError

            try:
                await self._call(self._client.head_bucket, Bucket=self.bucket)
            except ClientError:
                await self._call(self._client.create_bucket, Bucket=self.bucket)

    async def stage(self, upload_id: str, source: Path) -> str:
        key = staging_key(upload_id)
        await self._call(
            self._client.upload_file,
            str(source),
            self.bucket,
            self._k(key),
            ExtraArgs={"ChecksumAlgorithm": "SHA256"},
            Config=self._transfer,
        )
        await anyio.to_thread.run_sync(lambda: source.unlink(missing_ok=True))
        return key

    async def promote(self, key: str, target: str) -> None:
        from botocore.exceptions import ClientError

        try:
            await self._call(
                self._client.copy,
                {"Bucket": self.bucket, "Key": self._k(key)},
                self.bucket,
                self._k(target),
                Config=self._transfer,
            )
        except ClientError as exc:
            if _not_found(exc) and await self.exists(target):
                return  # an earlier promote got this far before a crash
            raise
        await self.delete(key)

    async def exists(self, key: str) -> bool:
        from botocore.exceptions import ClientError

        try:
            await self._call(self._client.head_object, Bucket=self.bucket, Key=self._k(key))
            return True
        except ClientError as exc:
            if _not_found(exc):
                return False
            raise

    async def size(self, key: str) -> int:
        head = await self._call(self._client.head_object, Bucket=self.bucket, Key=self._k(key))
        return int(head["ContentLength"])

    async def delete(self, key: str) -> None:
        await self._call(self._client.delete_object, Bucket=self.bucket, Key=self._k(key))

    async def _list(self, prefix: str) -> list[StoredObject]:
        out: list[StoredObject] = []
        token: str | None = None
        while True:
            kwargs: dict[str, Any] = {"Bucket": self.bucket, "Prefix": self._k(prefix)}
            if token:
                kwargs["ContinuationToken"] = token
            page = await self._call(self._client.list_objects_v2, **kwargs)
            for o in page.get("Contents", []):
                out.append(StoredObject(o["Key"][len(self.prefix) :], int(o["Size"]), o["LastModified"].timestamp()))
            if not page.get("IsTruncated"):
                return out
            token = page.get("NextContinuationToken")

    async def list_staging(self) -> list[StoredObject]:
        return await self._list(STAGING)

    async def list_all(self) -> list[str]:
        return sorted(o.key for o in await self._list(""))

    async def read(self, key: str, start: int = 0, end: int | None = None) -> AsyncIterator[bytes]:
        kwargs: dict[str, Any] = {"Bucket": self.bucket, "Key": self._k(key)}
        if start or end is not None:
            kwargs["Range"] = f"bytes={start}-{'' if end is None else end}"
        obj = await self._call(self._client.get_object, **kwargs)
        body = obj["Body"]
        try:
            while chunk := await anyio.to_thread.run_sync(body.read, CHUNK):
                yield chunk
        finally:
            body.close()

    async def ping(self) -> None:
        from botocore.exceptions import ClientError

        try:
            await self._call(self._client.head_bucket, Bucket=self.bucket)
        except ClientError as exc:
            raise ServiceUnavailable(f"bucket {self.bucket} unavailable: {exc}") from exc

    async def aclose(self) -> None:
        await anyio.to_thread.run_sync(self._client.close)


def _not_found(exc: Any) -> bool:
    code = str(exc.response.get("Error", {}).get("Code", ""))
    return code in {"404", "NoSuchKey", "NotFound"}


def now() -> float:
    return time.time()
