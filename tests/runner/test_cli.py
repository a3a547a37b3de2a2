"""The `kinerja` command: tokens for the embedded system, the OpenAPI document."""

from __future__ import annotations

from pathlib import Path

import pytest

from kernel.auth import Role, TokenVerifier
from kernel.settings import local_secret
from runner import cli


def test_token_is_valid_for_the_embedded_system(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("KINERJA_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("KINERJA_AUTH_SECRET", raising=False)
    assert cli.main(["token", "--role", "kanwil_manager", "--satker", "WBC.16", "--sub", "ana", "--ttl", "120"]) == 0
    token = capsys.readouterr().out.strip()
    # the secret file was created in the data folder, and the token verifies with it
    principal = TokenVerifier(secret=local_secret(tmp_path / "data")).verify(token)
    assert (principal.subject, principal.role, principal.satker) == ("ana", Role.KANWIL_MANAGER, "WBC.16")


def test_token_for_a_satker_role_needs_a_satker(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("KINERJA_DATA_DIR", str(tmp_path / "data"))
    assert cli.main(["token", "--role", "viewer"]) == 2
    assert "--satker" in capsys.readouterr().err


def test_token_refuses_when_tokens_come_from_oidc(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("KINERJA_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("KINERJA_AUTH_JWKS_URL", "https://idp.example/jwks")
    assert cli.main(["token", "--role", "admin"]) == 2
    assert "OIDC" in capsys.readouterr().err


def test_run_and_serve_are_wired() -> None:
    p = cli.parser()
    run = p.parse_args(["run", "--port", "9000", "--no-access-log"])
    assert (run.func, run.port, run.access_log) == (cli.cmd_run, 9000, False)
    serve = p.parse_args(["serve", "registry", "--host", "0.0.0.0", "--workers", "2"])
    assert (serve.func, serve.target, serve.workers) == (cli.cmd_serve, "registry", 2)
    opts = cli._uvicorn_options(serve)
    assert (opts["loop"], opts["http"], opts["access_log"]) == ("uvloop", "httptools", False)
