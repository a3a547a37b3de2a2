"""Gateway overhead, and one budget across gateway replicas.

1. The same small JSON request straight to the registry and through the gateway (its aiohttp
   forwarder): a registry read (``GET /api/v1/registry/satkers?limit=1``: auth, database, JSON)
   and the worst case for a proxy, a path the registry answers with a 404 problem without any
   work. The gateway is measured with its rate limiter in memory and in the local Redis (what
   several replicas share). Every part runs as its own uvicorn process on loopback (uvloop +
   httptools, no access log), the registry on SQLite in a temporary folder. A bounded
   closed-loop load (fixed concurrency, fixed duration) is driven by aiohttp from this process
   against each target in turn; the printed ratio is gateway req/s / direct req/s, measured in
   the same run.
2. Two gateway processes on the same Redis, one caller sending twice its budget alternately to
   both: the printed ratio is accepted requests / budget (1.00: one budget; the per-process
   memory storage, measured in the same run, gives 2.00).

    python -m bench.bench_gateway [--seconds 2] [--rounds 3] [--concurrency 32] [--redis redis://127.0.0.1:6379/0]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from collections.abc import Sequence
from contextlib import ExitStack
from dataclasses import dataclass

import aiohttp

from kernel.auth import TokenVerifier
from runner.processes import served

SECRET = "bench-secret-not-for-production-0123456789abcdef"
#: preferred endpoint: a registry read (database round trip); fallback: a 404 problem from the registry
READ_PATH = "/api/v1/registry/satkers?limit=1"
FALLBACK_PATH = "/api/v1/registry/bench-not-found"


@dataclass
class Result:
    name: str
    requests: int
    seconds: float
    errors: int

    @property
    def rps(self) -> float:
        return self.requests / self.seconds


async def _load(url: str, headers: dict[str, str], *, seconds: float, concurrency: int, expect: int) -> Result:
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector, headers=headers) as session:

        async def one() -> int:
            async with session.get(url) as r:
                await r.read()
                return r.status

        for _ in range(concurrency * 4):  # warm the pools on both sides
            await one()
        done = errors = 0
        stop = time.perf_counter() + seconds

        async def worker() -> None:
            nonlocal done, errors
            while time.perf_counter() < stop:
                status = await one()
                done += 1
                errors += status != expect

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        return Result(url, done, time.perf_counter() - started, errors)


def _pick_path(base: str, headers: dict[str, str]) -> tuple[str, int]:
    import httpx

    r = httpx.get(base + READ_PATH, headers=headers)
    return (READ_PATH, 200) if r.status_code == 200 else (FALLBACK_PATH, 404)


def main(argv: Sequence[str] | None = None) -> dict[str, float]:
    p = argparse.ArgumentParser(prog="bench_gateway")
    p.add_argument("--seconds", type=float, default=2.0)
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--concurrency", type=int, default=32)
    p.add_argument("--redis", default="redis://127.0.0.1:6379/0", help="the Redis the gateways share")
    args = p.parse_args(argv)
    try:
        import uvloop

        uvloop.install()
    except ImportError:  # pragma: no cover
        pass
    token = TokenVerifier(secret=SECRET).mint(subject="bench", role="admin", ttl_seconds=3600)
    headers = {"Authorization": f"Bearer {token}"}
    with tempfile.TemporaryDirectory() as data, ExitStack() as stack:
        common = {"KINERJA_DATA_DIR": data, "KINERJA_AUTH_SECRET": SECRET, "KINERJA_ENVIRONMENT": "test"}
        registry = stack.enter_context(served("registry", common))
        gw_env = common | {
            "KINERJA_GATEWAY_REGISTRY_URL": registry.url,
            "KINERJA_GATEWAY_RATE_LIMIT_PER_SECOND": "1000000000",  # limiter on, never limiting
        }
        storages = {"memory": "memory://", "redis": args.redis}
        gateways = {
            name: stack.enter_context(served("gateway", gw_env | {"KINERJA_GATEWAY_RATE_LIMIT_STORAGE": url}))
            for name, url in storages.items()
        }
        cases = [_pick_path(registry.url, headers)]
        if cases[0][0] != FALLBACK_PATH:
            cases.append((FALLBACK_PATH, 404))  # worst case: the service does almost nothing
        out: dict[str, float] = {}
        for path, expect in cases:

            def run(base: str, path: str = path, expect: int = expect) -> Result:
                return asyncio.run(
                    _load(base + path, headers, seconds=args.seconds, concurrency=args.concurrency, expect=expect)
                )

            # rounds, each measuring direct and then every gateway: on a shared machine the load
            # changes during a run; the median of the per-round ratios is what one round would say
            rounds = [
                (run(registry.url), {name: run(g.url) for name, g in gateways.items()}) for _ in range(args.rounds)
            ]
            print(
                f"bench_gateway: GET {path} (expect {expect}), {args.concurrency} concurrent, "
                f"{args.rounds} rounds of {args.seconds:g} s"
            )
            direct_rps = statistics.median(d.rps for d, _ in rounds)
            errors = sum(d.errors for d, _ in rounds)
            print(f"  direct to registry            {direct_rps:8.0f} req/s  ({errors} unexpected)")
            key = "read" if path == READ_PATH else "light"
            out[f"{key}_direct_rps"] = direct_rps
            for name in gateways:
                rps = statistics.median(t[name].rps for _, t in rounds)
                ratio = statistics.median(t[name].rps / d.rps for d, t in rounds)
                errors = sum(t[name].errors for _, t in rounds)
                line = f"  gateway (limits in {name:6s}) {rps:8.0f} req/s  ({errors} unexpected)"
                print(f"{line}  ratio gateway/direct {ratio:.2f}x (median of rounds)")
                out[f"{key}_gateway_{name}_rps"] = rps
                out[f"{key}_ratio_{name}"] = ratio
        out |= _shared_budget(stack, common | {"KINERJA_GATEWAY_REGISTRY_URL": registry.url}, args.redis)
    return out


def _shared_budget(stack: ExitStack, env: dict[str, str], redis_url: str) -> dict[str, float]:
    """One caller, twice its budget, alternately to two gateway processes: how much got through."""
    import uuid

    import httpx

    budget = 20
    limits = {"KINERJA_GATEWAY_RATE_LIMIT_PER_SECOND": "0.1", "KINERJA_GATEWAY_RATE_LIMIT_BURST": str(budget)}
    out: dict[str, float] = {}
    print(f"bench_gateway: one caller, {2 * budget} requests alternating between two gateways, budget {budget}")
    for name, url in (("memory", "memory://"), ("redis", redis_url)):
        pair = [
            stack.enter_context(served("gateway", env | limits | {"KINERJA_GATEWAY_RATE_LIMIT_STORAGE": url}))
            for _ in range(2)
        ]
        token = TokenVerifier(secret=SECRET).mint(subject=f"bench-{uuid.uuid4().hex}", role="admin", ttl_seconds=600)
        accepted = sum(
            httpx.get(pair[i % 2].url + FALLBACK_PATH, headers={"Authorization": f"Bearer {token}"}).status_code != 429
            for i in range(2 * budget)
        )
        ratio = accepted / budget
        print(f"  limits in {name:6s} accepted {accepted:3d} of {2 * budget}  ratio accepted/budget {ratio:.2f}x")
        out[f"shared_budget_ratio_{name}"] = ratio
    return out


if __name__ == "__main__":
    main()
