"""Distributed mode tells every service where each of its peers is (issue 11): in particular the
registry learns the evidence service's URL, which its submission check asks for documents still
in review (ADR 0020); without it the check would find no evidence service and wait for nothing."""

from __future__ import annotations

from pathlib import Path

import pytest

from kernel.settings import AuthSettings, CommonSettings
from runner.distributed import Plan, environments
from services.registry.app import create_app
from services.registry.settings import RegistrySettings
from tests.conftest import asgi_client

pytestmark = pytest.mark.anyio

URLS = {"registry": "http://127.0.0.1:1", "evidence": "http://127.0.0.1:2", "scoring": "http://127.0.0.1:3"}


def _plan(tmp_path: Path) -> Plan:
    return Plan(database_url=f"sqlite:///{tmp_path / 'registry.db'}", common={"KINERJA_DATA_DIR": str(tmp_path)})


def test_every_peer_url_a_service_reads_is_set(tmp_path: Path) -> None:
    env = environments(_plan(tmp_path), URLS)
    assert env["registry"]["KINERJA_REGISTRY_SCORING_URL"] == URLS["scoring"]
    assert env["registry"]["KINERJA_REGISTRY_EVIDENCE_URL"] == URLS["evidence"]
    assert env["evidence"]["KINERJA_EVIDENCE_REGISTRY_URL"] == URLS["registry"]
    assert env["scoring"]["KINERJA_SCORING_REGISTRY_URL"] == URLS["registry"]
    assert env["scoring"]["KINERJA_SCORING_EVIDENCE_URL"] == URLS["evidence"]


async def test_the_registry_started_from_that_environment_has_its_evidence_peer(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in environments(_plan(tmp_path), URLS)["registry"].items():
        monkeypatch.setenv(name, value)
    settings = RegistrySettings()
    assert settings.evidence_url == URLS["evidence"]
    app = create_app(settings, common=CommonSettings(environment="test", data_dir=tmp_path), auth=AuthSettings())
    async with asgi_client(app):
        peers = app.state.peers
        assert peers.has("evidence") and peers.has("scoring")
        assert str(peers["evidence"]._http.base_url).rstrip("/") == URLS["evidence"]


async def test_a_registry_without_an_evidence_peer_says_so(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    settings = RegistrySettings(database_url=f"sqlite:///{tmp_path / 'registry.db'}")
    app = create_app(settings, common=CommonSettings(environment="test", data_dir=tmp_path), auth=AuthSettings())
    with caplog.at_level("WARNING", logger="kinerja.registry"):
        async with asgi_client(app):
            assert not app.state.peers.has("evidence")
    assert any("no evidence service configured" in r.getMessage() for r in caplog.records)
