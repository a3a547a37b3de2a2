"""Distributed mode on one machine: every part its own process, the gateway calling them over HTTP.

``running_parts(plan)`` starts registry, evidence and scoring as ``kinerja serve`` processes on
free loopback ports (each told its peers' URLs, each data owner its own PostgreSQL schema), then
the gateway and the notification worker (``kinerja worker``, no port), and stops them in reverse
order when the context is left. The test suite uses it (tests/gateway/test_distributed.py) and so
does ``kinerja run-distributed`` (``run()``), which adds what a developer's machine needs around it:

* the PostgreSQL database (``KINERJA_DISTRIBUTED_DATABASE``, default ``kinerja``) is created on the
  local server (``KINERJA_DISTRIBUTED_ADMIN_DATABASE_URL``) when missing;
* SeaweedFS is started for the evidence objects (data in ``<data>/distributed/s3``) unless
  ``KINERJA_EVIDENCE_S3_ENDPOINT_URL`` names an S3 endpoint already;
* clamd is used when it answers at ``KINERJA_EVIDENCE_CLAMD_SOCKET`` (or ``_CLAMD_HOST``); when it
  does not, scanning is switched off *explicitly* (``KINERJA_EVIDENCE_SCANNER=disabled`` for the
  evidence process) with a warning printed here and logged by the service — never silently. When
  ``KINERJA_EVIDENCE_SCANNER=clamd`` is set explicitly, an unreachable clamd is an error instead;
* the demo document is imported once, through the gateway, when the registry is empty;
* Ctrl-C / SIGTERM stop everything (gateway first, SeaweedFS last).
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING

from gateway.settings import SERVICES
from kernel.errors import ProblemError
from runner.devservers import clamd_reachable, free_ports, run_seaweedfs
from runner.processes import Served, launch, wait_healthy


@dataclass
class Plan:
    """What the parts of one distributed run are given (as ``KINERJA_*`` environment variables)."""

    database_url: str
    schemas: dict[str, str] = field(default_factory=lambda: {"registry": "registry", "evidence": "evidence"})
    common: dict[str, str] = field(default_factory=dict)  # KINERJA_DATA_DIR, KINERJA_ENVIRONMENT, ...
    evidence: dict[str, str] = field(default_factory=dict)  # KINERJA_EVIDENCE_* storage/scanner settings
    gateway: dict[str, str] = field(default_factory=dict)  # extra KINERJA_GATEWAY_* settings
    host: str = "127.0.0.1"  # where the gateway listens
    gateway_port: int | None = None  # None: a free port
    log_dir: Path | None = None  # None: temporary files
    inherit_env: bool = False  # pass this process's KINERJA_* on (developer run) or not (tests)
    timeout: float = 60.0
    services: tuple[str, ...] = SERVICES  # started in this order; the gateway comes last


def environments(plan: Plan, urls: dict[str, str]) -> dict[str, dict[str, str]]:
    """The environment of each part, given the services' base URLs."""
    db = plan.database_url
    env: dict[str, dict[str, str]] = {
        "registry": {
            "KINERJA_REGISTRY_DATABASE_URL": db,
            "KINERJA_REGISTRY_DATABASE_SCHEMA": plan.schemas["registry"],
        },
        "evidence": {
            "KINERJA_EVIDENCE_DATABASE_URL": db,
            "KINERJA_EVIDENCE_DATABASE_SCHEMA": plan.schemas["evidence"],
            # the gateway calls from loopback: its X-Forwarded-For is the audit log's origin
            "KINERJA_TRUSTED_PROXIES": '["127.0.0.1/32", "::1/128"]',
            **plan.evidence,
        },
        "scoring": {},
        "gateway": dict(plan.gateway),
    }
    if "scoring" in urls:
        env["registry"]["KINERJA_REGISTRY_SCORING_URL"] = urls["scoring"]
    if "registry" in urls:
        env["evidence"]["KINERJA_EVIDENCE_REGISTRY_URL"] = urls["registry"]
        env["scoring"]["KINERJA_SCORING_REGISTRY_URL"] = urls["registry"]
    if "evidence" in urls:
        env["scoring"]["KINERJA_SCORING_EVIDENCE_URL"] = urls["evidence"]
        # the registry asks evidence at submission for documents still in review (ADR 0020)
        env["registry"]["KINERJA_REGISTRY_EVIDENCE_URL"] = urls["evidence"]
    for name, url in urls.items():
        env["gateway"][f"KINERJA_GATEWAY_{name.upper()}_URL"] = url
    return {name: plan.common | e for name, e in env.items()}


@contextlib.contextmanager
def running_parts(plan: Plan) -> Iterator[dict[str, Served]]:
    """Start the services (in parallel, on free ports), then the gateway; yield them by name."""
    services = [s for s in SERVICES if s in plan.services]
    ports = dict(zip(services, free_ports(len(services)), strict=True))
    urls = {name: f"http://127.0.0.1:{port}" for name, port in ports.items()}
    env = environments(plan, urls)
    out: dict[str, Served] = {}

    def log_path(name: str) -> Path | None:
        return plan.log_dir / f"{name}.log" if plan.log_dir else None

    with ExitStack() as stack:
        for name in services:  # registered first = stopped last: the gateway goes before the services
            # access log on (extra_args=()): every part writes one line per request with the
            # request id, as the embedded mode does, so one id can be followed across the logs
            out[name] = launch(
                name,
                env[name],
                port=ports[name],
                extra_args=(),
                log_path=log_path(name),
                inherit_kinerja_env=plan.inherit_env,
            )
            stack.callback(out[name].stop)
        for name in services:
            wait_healthy(out[name], plan.timeout)
        out["gateway"] = launch(
            "gateway",
            env["gateway"],
            host=plan.host,
            port=plan.gateway_port,
            extra_args=(),
            log_path=log_path("gateway"),
            inherit_kinerja_env=plan.inherit_env,
        )
        stack.callback(out["gateway"].stop)
        wait_healthy(out["gateway"], plan.timeout)
        if "registry" in services:  # the notification worker (ADR 0021) on the registry's database
            out["worker"] = launch(
                "worker",
                env["registry"],
                command=("worker",),
                log_path=log_path("worker"),
                inherit_kinerja_env=plan.inherit_env,
            )
            stack.callback(out["worker"].stop)
        yield out


# --- kinerja run-distributed -------------------------------------------------------------------------


class Stop(Exception):
    """SIGTERM (or SIGINT) asked the run to end."""


def _raise_stop(signum: int, _frame: FrameType | None) -> None:
    for s in (signal.SIGTERM, signal.SIGINT):  # once: the clean-up must not be interrupted itself
        signal.signal(s, signal.SIG_IGN)
    raise Stop(signal.Signals(signum).name)


def _say(message: str) -> None:
    print(f"kinerja run-distributed: {message}", file=sys.stderr, flush=True)


def ensure_database(admin_url: str, name: str) -> tuple[str, bool]:
    """Create database ``name`` on the server of ``admin_url`` when missing; return its URL and
    whether it was created."""
    import psycopg
    from psycopg import sql
    from sqlalchemy.engine import make_url

    admin = make_url(admin_url)
    libpq = admin.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(libpq, autocommit=True, connect_timeout=5) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone() is not None
        if not exists:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    url = admin.set(drivername="postgresql+psycopg", database=name).render_as_string(hide_password=False)
    return url, not exists


def _scanner_choice(evidence: object) -> tuple[dict[str, str], str]:
    """Evidence scanner settings for this run and a line saying what was chosen."""
    from services.evidence.settings import EvidenceSettings

    assert isinstance(evidence, EvidenceSettings)
    where = f"{evidence.clamd_host}:{evidence.clamd_port}" if evidence.clamd_host else str(evidence.clamd_socket)
    if evidence.scanner == "disabled":
        return {"KINERJA_EVIDENCE_SCANNER": "disabled"}, "DISABLED (KINERJA_EVIDENCE_SCANNER=disabled)"
    if clamd_reachable(evidence.clamd_socket, host=evidence.clamd_host, port=evidence.clamd_port):
        return {"KINERJA_EVIDENCE_SCANNER": "clamd"}, f"clamd at {where}"
    if "scanner" in evidence.model_fields_set:  # clamd demanded explicitly: do not run without it
        raise RuntimeError(f"KINERJA_EVIDENCE_SCANNER=clamd but no clamd answers at {where}")
    _say(
        f"WARNING: no clamd answers at {where} — malware scanning is DISABLED for this run "
        "(KINERJA_EVIDENCE_SCANNER=disabled; documents are recorded as not_scanned). "
        "Start clamd or set KINERJA_EVIDENCE_CLAMD_SOCKET to scan."
    )
    return {"KINERJA_EVIDENCE_SCANNER": "disabled"}, f"DISABLED (no clamd at {where})"


if TYPE_CHECKING:
    from kernel.auth import TokenVerifier


async def _seed(gateway_url: str, token: str, verifier: TokenVerifier | None = None) -> str:
    from kernel.client import ServiceClient
    from runner.embedded import load_demo_if_empty, minter

    client = ServiceClient("gateway", base_url=gateway_url, timeout=120.0)
    try:
        return await load_demo_if_empty(client, token, minter(verifier) if verifier else None)
    finally:
        await client.aclose()


def run(
    *,
    host: str = "127.0.0.1",
    port: int = 8000,
    admin_database_url: str | None = None,
    database: str | None = None,
    seed: bool = True,
) -> int:
    """``kinerja run-distributed``: returns the exit code (0 after Ctrl-C/SIGTERM)."""
    from kernel.auth import Role, TokenVerifier
    from kernel.settings import AuthSettings, CommonSettings, resolve_auth_secret
    from runner.settings import DistributedSettings
    from services.evidence.settings import EvidenceSettings

    common, auth, dist, evidence = CommonSettings(), AuthSettings(), DistributedSettings(), EvidenceSettings()
    if common.environment == "production":
        _say("this is a developer run; production uses `kinerja serve` per part (deploy/README.md)")
        return 2
    data = common.data_dir.resolve()
    home = data / "distributed"
    home.mkdir(parents=True, exist_ok=True)
    secret = resolve_auth_secret(auth, common)  # created once here, before the parts read it

    previous = {signum: signal.signal(signum, _raise_stop) for signum in (signal.SIGTERM, signal.SIGINT)}
    try:
        with ExitStack() as stack:
            name = database or dist.database
            try:
                db_url, created = ensure_database(admin_database_url or dist.admin_database_url, name)
            except Exception as exc:
                _say(f"PostgreSQL is not reachable ({type(exc).__name__}: {exc}); start it or set "
                     "KINERJA_DISTRIBUTED_ADMIN_DATABASE_URL")  # fmt: skip
                return 2
            _say(f"database {name} {'created' if created else 'present'}")

            storage = {"KINERJA_EVIDENCE_STORAGE": "s3", "KINERJA_EVIDENCE_S3_BUCKET": evidence.s3_bucket}
            if evidence.s3_endpoint_url:
                s3_line = f"{evidence.s3_endpoint_url} (configured), bucket {evidence.s3_bucket}"
            else:
                _say(f"starting SeaweedFS (data in {home / 's3'})")
                s3 = stack.enter_context(run_seaweedfs(home / "s3"))
                storage |= {
                    "KINERJA_EVIDENCE_S3_ENDPOINT_URL": s3.endpoint,
                    "KINERJA_EVIDENCE_S3_ACCESS_KEY": s3.access_key,
                    "KINERJA_EVIDENCE_S3_SECRET_KEY": s3.secret_key,
                    "KINERJA_EVIDENCE_S3_CREATE_BUCKET": "true",
                }
                s3_line = f"SeaweedFS {s3.endpoint}, bucket {evidence.s3_bucket} (keys in {home / 's3' / 's3.json'})"
            try:
                scanner, scanner_line = _scanner_choice(evidence)
            except RuntimeError as exc:
                _say(str(exc))
                return 2

            plan = Plan(
                database_url=db_url,
                common={"KINERJA_DATA_DIR": str(data)},
                evidence=storage
                | scanner
                | {
                    "KINERJA_EVIDENCE_SPOOL_DIR": str(home / "evidence" / "spool"),
                    "KINERJA_EVIDENCE_QUARANTINE_DIR": str(home / "evidence" / "quarantine"),
                },
                host=host,
                gateway_port=port,
                log_dir=home / "logs",
                inherit_env=True,
                timeout=dist.start_timeout_seconds,
            )
            _say("starting registry, evidence, scoring, then the gateway")
            parts = stack.enter_context(running_parts(plan))
            gateway_url = f"http://{'127.0.0.1' if host in ('0.0.0.0', '') else host}:{port}"  # noqa: S104
            seeded = "not loaded (--no-seed)"
            if seed and secret is None:
                seeded = "not loaded: tokens come from the OIDC provider (KINERJA_AUTH_JWKS_URL)"
            elif seed:
                verifier = TokenVerifier(secret=secret, issuer=auth.issuer, audience=auth.audience)
                token = verifier.mint(subject="kinerja-seed", role=Role.ADMIN, ttl_seconds=600)
                seeded = asyncio.run(_seed(gateway_url, token, verifier))
            lines = [
                f"  {n:<9} {s.url if n != 'worker' else '(no HTTP port)':<28} pid {s.process.pid:<8} log {s.log_path}"
                for n, s in parts.items()
            ]
            _say(
                "running\n"
                + "\n".join(lines)
                + f"\n  database  {db_url.split('@')[-1]} (schemas {', '.join(plan.schemas.values())})"
                + f"\n  storage   {s3_line}"
                + f"\n  scanning  {scanner_line}"
                + f"\n  demo data {seeded}"
                + f"\n  API       {gateway_url}/docs   token: kinerja token --role admin"
                + "\n  stop      Ctrl-C"
            )
            while True:
                for n, s in parts.items():
                    if s.process.poll() is not None:
                        _say(f"{n} exited with {s.process.returncode}; stopping the rest. Its log:\n{s.log()[-3000:]}")
                        return 1
                time.sleep(0.5)
    except Stop as stop:
        _say(f"{stop} received: stopped every part")
        return 0
    except RuntimeError as exc:  # a part did not start: its log is in the message
        _say(f"could not start: {exc}")
        return 1
    except ProblemError as exc:  # the demo import was refused: stop, say why (every part is stopped)
        _say(f"loading the demo data failed: {exc.status_code} {exc.detail}")
        return 1
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
