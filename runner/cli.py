"""The ``kinerja`` command.

    kinerja run [--host 127.0.0.1] [--port 8000]      everything in one process (SQLite + ./data, demo data)
    kinerja serve <registry|evidence|scoring|gateway>  one part as its own process (distributed mode)
    kinerja run-distributed [--host ...] [--port 8000] every part its own process on this machine
                                                       (local PostgreSQL, SeaweedFS, clamd if running)
    kinerja token --role admin [--satker CODE]         a bearer token for the embedded system
    kinerja openapi [--write | --check]                the merged OpenAPI document (docs/openapi.json)

Settings come from the environment (``KINERJA_*``, see each settings class); the options here
are only what differs between two runs on the same machine.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
from collections.abc import Sequence
from typing import Any

from gateway.settings import SERVICES

SERVE_TARGETS = (*SERVICES, "gateway")


def _uvicorn_options(args: argparse.Namespace) -> dict[str, Any]:
    return {
        "host": args.host,
        "port": args.port,
        "loop": "uvloop",
        "http": "httptools",
        "lifespan": "on",
        "access_log": False,  # the apps log one structured line per request (kinerja.access.*)
        "log_config": None,  # keep kernel.observability's logging configuration
        "proxy_headers": args.proxy_headers,
        "forwarded_allow_ips": args.forwarded_allow_ips,
        "timeout_keep_alive": 30,
    }


def _configure_logging(access_log: bool | None) -> None:
    import logging

    from kernel.observability import configure_logging
    from kernel.settings import CommonSettings

    common = CommonSettings()
    configure_logging(common.log_format, common.log_level)
    for noisy in ("httpx", "alembic.runtime.plugins"):  # one line per in-process call / per plugin
        logging.getLogger(noisy).setLevel(logging.WARNING)
    if access_log is False:
        logging.getLogger("kinerja.access").setLevel(logging.WARNING)


def cmd_token(args: argparse.Namespace) -> int:
    from kernel.auth import Role, TokenVerifier
    from kernel.settings import AuthSettings, CommonSettings, resolve_auth_secret

    common, auth = CommonSettings(), AuthSettings()
    role = Role(args.role)
    if role not in (Role.ADMIN, Role.SERVICE) and not args.satker:
        print(f"kinerja token: role {role.value} needs --satker CODE", file=sys.stderr)
        return 2
    secret = resolve_auth_secret(auth, common)
    if secret is None:
        print("kinerja token: tokens come from the OIDC provider here (KINERJA_AUTH_JWKS_URL is set)", file=sys.stderr)
        return 2
    verifier = TokenVerifier(secret=secret, issuer=auth.issuer, audience=auth.audience)
    ttl = args.ttl if args.ttl is not None else auth.token_ttl_seconds
    subject = args.sub or f"{role.value}@{args.satker or 'all'}"
    print(verifier.mint(subject=subject, role=role, satker=args.satker, ttl_seconds=ttl, scopes=args.scope or ()))
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    import uvicorn

    from gateway.settings import GatewaySettings
    from kernel.settings import AuthSettings, CommonSettings
    from runner.embedded import create_embedded_app

    _configure_logging(args.access_log)
    common = CommonSettings()
    if common.environment == "production":
        print("kinerja run is the embedded mode; use `kinerja serve` in production", file=sys.stderr)
        return 2
    gateway = GatewaySettings()
    if args.access_log is not None:
        gateway = gateway.model_copy(update={"access_log": args.access_log})
    app = create_embedded_app(common=common, auth=AuthSettings(), gateway=gateway, seed=not args.no_seed)
    print(
        f"kinerja (embedded, data in {common.data_dir.resolve()}) on http://{args.host}:{args.port}  "
        f"docs: http://{args.host}:{args.port}/docs  token: kinerja token --role admin",
        file=sys.stderr,
    )
    uvicorn.run(app, **_uvicorn_options(args))
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    from kernel.settings import CommonSettings

    _configure_logging(args.access_log)
    CommonSettings().data_dir.mkdir(parents=True, exist_ok=True)  # SQLite default / local files of a dev run
    target = "gateway.app:create_app" if args.target == "gateway" else f"services.{args.target}.app:create_app"
    uvicorn.run(target, factory=True, workers=args.workers, **_uvicorn_options(args))
    return 0


def cmd_run_distributed(args: argparse.Namespace) -> int:
    from runner.distributed import run

    return run(
        host=args.host,
        port=args.port,
        admin_database_url=args.admin_database_url,
        database=args.database,
        seed=not args.no_seed,
    )


def cmd_worker(args: argparse.Namespace) -> int:
    """The notification worker (ADR 0021): queue outbox events and reminders, send due deliveries."""
    import anyio

    from kernel.db import Database
    from kernel.settings import CommonSettings
    from services.registry.service.notify_worker import run_forever
    from services.registry.settings import RegistrySettings

    _configure_logging(False)
    common = CommonSettings()
    settings = RegistrySettings()
    if args.interval is not None:
        settings = settings.model_copy(update={"worker_interval_seconds": args.interval})

    async def main() -> None:
        db = Database.create(settings.resolved_database_url(common), schema=settings.database_schema, pool_size=2)
        try:
            await run_forever(db, settings)
        finally:
            await db.dispose()

    with contextlib.suppress(KeyboardInterrupt):  # Ctrl-C ends the loop; state is in the database
        anyio.run(main)
    return 0


def cmd_openapi(args: argparse.Namespace) -> int:
    from gateway.app import create_app
    from gateway.openapi import CHECKED_IN, build_document, render, service_apps_for_docs
    from gateway.settings import GatewaySettings
    from kernel.settings import AuthSettings, CommonSettings

    gateway_app = create_app(
        GatewaySettings(),
        common=CommonSettings(environment="test"),
        auth=AuthSettings(secret="openapi-generation-only-not-a-real-secret-0123456789"),
    )
    text = render(build_document(gateway_app, service_apps_for_docs(list(SERVICES))))
    if args.write:
        CHECKED_IN.parent.mkdir(parents=True, exist_ok=True)
        CHECKED_IN.write_text(text)
        print(f"wrote {CHECKED_IN}", file=sys.stderr)
        return 0
    if args.check:
        current = CHECKED_IN.read_text() if CHECKED_IN.exists() else ""
        if current != text:
            print(f"{CHECKED_IN} is out of date: run `kinerja openapi --write` and review the diff", file=sys.stderr)
            return 1
        return 0
    sys.stdout.write(text)
    return 0


def _server_args(p: argparse.ArgumentParser, port: int) -> None:
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=port)
    log = p.add_mutually_exclusive_group()
    log.add_argument("--access-log", dest="access_log", action="store_true", default=None, help="log every request")
    log.add_argument("--no-access-log", dest="access_log", action="store_false", help="no per-request log lines")
    p.add_argument("--proxy-headers", action="store_true", help="trust X-Forwarded-* from --forwarded-allow-ips")
    p.add_argument("--forwarded-allow-ips", default="127.0.0.1")


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="kinerja", description="kinerja performance-management backend")
    sub = p.add_subparsers(dest="command", required=True)

    t = sub.add_parser("token", help="print a bearer token valid for the embedded system")
    t.add_argument(
        "--role", required=True, choices=["admin", "kanwil_manager", "satker_operator", "reviewer", "viewer", "service"]
    )
    t.add_argument("--satker", help="org code (required except for admin and service)")
    t.add_argument("--sub", help="subject (default: <role>@<satker>)")
    t.add_argument("--ttl", type=int, help="lifetime in seconds (default KINERJA_AUTH_TOKEN_TTL_SECONDS)")
    t.add_argument("--scope", action="append", help="scope (repeatable), e.g. read")
    t.set_defaults(func=cmd_token)

    r = sub.add_parser("run", help="everything in one process on SQLite + local files, with the demo data")
    _server_args(r, 8000)
    r.add_argument("--no-seed", action="store_true", help="do not load the demo data into an empty registry")
    r.set_defaults(func=cmd_run)

    s = sub.add_parser("serve", help="one service, or the gateway, as its own process (distributed mode)")
    s.add_argument("target", choices=SERVE_TARGETS)
    _server_args(s, 8000)
    s.add_argument("--workers", type=int, default=1)
    s.set_defaults(func=cmd_serve)

    d = sub.add_parser(
        "run-distributed",
        help="every part its own process: local PostgreSQL, SeaweedFS S3, clamd when reachable, demo data",
    )
    d.add_argument("--host", default="127.0.0.1", help="where the gateway listens")
    d.add_argument("--port", type=int, default=8000, help="the gateway's port")
    d.add_argument(
        "--admin-database-url",
        help="PostgreSQL URL allowed to create the database (default KINERJA_DISTRIBUTED_ADMIN_DATABASE_URL)",
    )
    d.add_argument("--database", help="database name (default KINERJA_DISTRIBUTED_DATABASE, kinerja)")
    d.add_argument("--no-seed", action="store_true", help="do not load the demo data into an empty registry")
    d.set_defaults(func=cmd_run_distributed)

    w = sub.add_parser("worker", help="the notification worker: webhooks, e-mail, reminders (distributed mode)")
    w.add_argument(
        "--interval", type=float, help="seconds between runs (default KINERJA_REGISTRY_WORKER_INTERVAL_SECONDS)"
    )
    w.set_defaults(func=cmd_worker)

    o = sub.add_parser("openapi", help="print the merged OpenAPI document")
    mode = o.add_mutually_exclusive_group()
    mode.add_argument("--write", action="store_true", help="refresh docs/openapi.json")
    mode.add_argument("--check", action="store_true", help="exit 1 when docs/openapi.json is out of date")
    o.set_defaults(func=cmd_openapi)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    return int(args.func(args))


if __name__ == "__main__":
    raise SystemExit(main())
