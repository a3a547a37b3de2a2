"""Fixtures of the evidence tests: real clamd, real SeaweedFS, PostgreSQL, a registry stub."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from kernel.client import Peers, ServiceClient
from kernel.settings import AuthSettings, CommonSettings
from services.evidence.app import create_app
from services.evidence.settings import EvidenceSettings
from tests.evidence.support import RegistryStub, S3Server, run_clamd, run_seaweedfs


@pytest.fixture(scope="session")
def clamd_socket(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    with run_clamd(tmp_path_factory.mktemp("clamd")) as sock:
        yield sock


@pytest.fixture(scope="session")
def s3_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[S3Server]:
    with run_seaweedfs(tmp_path_factory.mktemp("seaweedfs")) as server:
        yield server


@pytest.fixture
def registry() -> RegistryStub:
    return RegistryStub()


@pytest.fixture
def schema() -> str:
    """A fresh PostgreSQL schema per test: tests never see each other's hashes or numbers."""
    return f"evidence_t{uuid.uuid4().hex[:10]}"


def settings_for(
    *, pg_url: str, schema: str, storage: str, clamd: Path | None, s3: S3Server | None = None, **kw: Any
) -> EvidenceSettings:
    extra: dict[str, Any] = {}
    if storage == "s3":
        assert s3 is not None
        extra = dict(
            storage="s3",
            s3_endpoint_url=s3.endpoint,
            s3_access_key=s3.access_key,
            s3_secret_key=s3.secret_key,
            s3_bucket=f"ev-{schema.replace('_', '-')}",
            s3_create_bucket=True,
        )
    return EvidenceSettings(
        database_url=pg_url,
        database_schema=schema,
        scanner="clamd" if clamd else "disabled",
        clamd_socket=str(clamd) if clamd else None,
        sweep_interval_seconds=0,
        **extra,
        **kw,
    )


EvidenceFactory = Callable[..., Any]


@pytest.fixture
def evidence(
    request: pytest.FixtureRequest,
    pg_url: str,
    schema: str,
    auth: AuthSettings,
    common: CommonSettings,
    registry: RegistryStub,
    clamd_socket: Path,
) -> EvidenceFactory:
    """``async with evidence(storage="local"|"s3", database="postgresql"|"sqlite", **settings) as
    (client, app):`` an evidence app with its lifespan entered, peers = the registry stub."""

    @asynccontextmanager
    async def _make(
        storage: str = "local", scanner: bool = True, database: str = "postgresql", **kw: Any
    ) -> AsyncIterator[tuple[httpx.AsyncClient, FastAPI]]:
        s3 = request.getfixturevalue("s3_server") if storage == "s3" else None
        url = pg_url
        if database == "sqlite":  # the embedded mode's database
            common.data_dir.mkdir(parents=True, exist_ok=True)
            url = f"sqlite:///{common.data_dir / 'evidence.db'}"
        settings = settings_for(
            pg_url=url, schema=schema, storage=storage, clamd=clamd_socket if scanner else None, s3=s3, **kw
        )
        peers = Peers()
        peers.add(ServiceClient("registry", app=registry.app()))
        app = create_app(settings, common=common, auth=auth, peers=peers)
        transport = httpx.ASGITransport(app=app)
        async with (
            app.router.lifespan_context(app),
            httpx.AsyncClient(transport=transport, base_url="http://evidence") as c,
        ):
            yield c, app
        await peers.aclose()

    return _make
