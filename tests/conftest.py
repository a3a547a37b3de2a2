"""Fixtures shared by every test folder.

* ``pg_url``: a throw-away PostgreSQL database for the whole session (kernel.testing).
* ``auth`` / ``mint``: a fixed test signing secret and a token factory.
* ``asgi_client``: an httpx client on an app with its lifespan entered.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from kernel.auth import TokenVerifier
from kernel.settings import AuthSettings, CommonSettings
from kernel.testing import temporary_database

TEST_SECRET = "kinerja-test-secret-not-for-production-0123456789"


@pytest.fixture(scope="session")
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    with temporary_database() as url:
        yield url


@pytest.fixture(scope="session")
def auth() -> AuthSettings:
    return AuthSettings(secret=TEST_SECRET)


@pytest.fixture
def common(tmp_path: Path) -> CommonSettings:
    return CommonSettings(environment="test", data_dir=tmp_path / "data")


Mint = Callable[..., str]


@pytest.fixture(scope="session")
def mint(auth: AuthSettings) -> Mint:
    verifier = TokenVerifier(secret=auth.secret)

    def _mint(role: str = "admin", satker: str | None = None, sub: str | None = None, **kw: object) -> str:
        return verifier.mint(subject=sub or f"{role}@{satker or 'all'}", role=role, satker=satker, **kw)  # type: ignore[arg-type]

    return _mint


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@asynccontextmanager
async def asgi_client(app: FastAPI, base_url: str = "http://test") -> AsyncIterator[httpx.AsyncClient]:
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=base_url) as client,
    ):
        yield client
