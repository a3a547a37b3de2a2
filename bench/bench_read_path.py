"""The read path (issue 10, ADR 0014): one satker's scores with the evidence service present.

Target (issue 10): ``GET /api/v1/scoring/satkers/{code}/scores`` p50 <= 5 ms **at the service**:
measured here in the embedded composition (every service in one process; scoring reaches the
registry and evidence through ``httpx.ASGITransport``, the same client code as over HTTP, ADR
0002), registry and evidence on PostgreSQL (a temporary database), the seed imported, access logs
off. The distributed composition adds one loopback HTTP connection per hop on top of this.

One request of scores is: scoring's own request + the registry bundle (one request) + the evidence
aggregates (one request) [+ evidence's request to the registry for the satker's path, unless a
recent one is reused: ``KINERJA_EVIDENCE_SATKER_PATH_TTL_SECONDS``]. Printed, measured in the same
run, so the ratio says where the time goes:

* the floor: a trivial authenticated registry read (``GET /satkers/WBC.16``), the cost of one hop;
* the bundle alone and the aggregates alone (the two hops scores makes), and the bundle
  revalidated (the 304 of ADR 0026: what a scores request pays for an unchanged bundle);
* scores with the bundle cache off (``KINERJA_SCORING_BUNDLE_CACHE_SIZE=0``: every request reads
  and prepares the whole bundle, the path before ADR 0026) beside the default (cache on);
* scores with evidence, the path cache off (every aggregates request asks the registry) and on;
* scores without the evidence service in the composition (the manuals then use the reported
  realisation): what the evidence hop adds, measured beside the figure the target applies to;
* the SQL statements one request runs (cursor executions counted on every engine of the run),
  the figure ADR 0014 round 2 reduced (bundle 11 -> 7).

The verdict line compares the scores p50 with evidence (path cache on, the default) to 5 ms.

    python -m bench.bench_read_path [--requests 300]
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import event

from kernel.auth import TokenVerifier
from kernel.settings import AuthSettings, CommonSettings
from kernel.testing import temporary_database
from runner.composition import build_system, running
from services.evidence.settings import EvidenceSettings
from services.registry.seed import load_seed_document
from services.registry.settings import RegistrySettings
from services.scoring.settings import ScoringSettings

TARGET_MS = 5.0
SECRET = "bench-secret-not-for-production-0123456789abcdef"
SATKER = "/api/v1/registry/satkers/WBC.16"
BUNDLE = "/api/v1/registry/satkers/WBC.16/agreements/2024/bundle"
AGGREGATES = "/api/v1/evidence/satkers/WBC.16/aggregates"
SCORES = "/api/v1/scoring/satkers/WBC.16/scores"


def _pct(samples: list[float], q: float) -> float:
    s = sorted(samples)
    return s[min(len(s) - 1, int(round(q * (len(s) - 1))))]


async def _sample(
    client: httpx.AsyncClient, path: str, params: dict[str, Any], headers: dict[str, str], n: int, status: int = 200
) -> list[float]:
    for _ in range(10):  # warm: manuals parsed, statements prepared, pools filled, bundle copies kept
        r = await client.get(path, params=params, headers=headers)
        assert r.status_code == status, r.text
    samples = []
    for _ in range(n):
        started = time.perf_counter()
        r = await client.get(path, params=params, headers=headers)
        samples.append(time.perf_counter() - started)
        assert r.status_code == status, r.text
    return samples


async def _statements(
    system: Any, client: httpx.AsyncClient, path: str, params: dict[str, Any], headers: dict[str, str]
) -> int:
    """The SQL statements one request runs, on every database engine of ``system``."""
    count = 0

    def counted(*_: Any) -> None:
        nonlocal count
        count += 1

    engines = {
        id(a.state.db.engine): a.state.db.engine.sync_engine for a in system.apps.values() if hasattr(a.state, "db")
    }
    for engine in engines.values():
        event.listen(engine, "before_cursor_execute", counted)
    try:
        r = await client.get(path, params=params, headers=headers)
        assert r.status_code == 200, r.text
    finally:
        for engine in engines.values():
            event.remove(engine, "before_cursor_execute", counted)
    return count


def _line(name: str, samples: list[float], baseline: float | None = None) -> float:
    p50 = _pct(samples, 0.5)
    ratio = f"  ratio {p50 / baseline:5.2f}" if baseline else "  [baseline]"
    print(
        f"  {name:52s} p50 {p50 * 1e3:6.2f} ms  p99 {_pct(samples, 0.99) * 1e3:6.2f} ms"
        f"  mean {statistics.mean(samples) * 1e3:6.2f} ms{ratio}"
    )
    return p50


async def run(requests: int) -> None:
    token = TokenVerifier(secret=SECRET).mint(subject="bench", role="admin")
    headers = {"Authorization": f"Bearer {token}"}
    logging.getLogger("kinerja").setLevel(logging.WARNING)
    with temporary_database("kinerja_bench_read") as url, tempfile.TemporaryDirectory() as tmp:

        def system_of(
            ttl: float, services: tuple[str, ...] = ("registry", "evidence", "scoring"), bundle_cache: int = 256
        ) -> Any:
            system = build_system(
                common=CommonSettings(environment="test", data_dir=Path(tmp)),
                auth=AuthSettings(secret=SECRET),
                settings={
                    "registry": RegistrySettings(database_url=url),
                    "evidence": EvidenceSettings(database_url=url, scanner="disabled", satker_path_ttl_seconds=ttl),
                    "scoring": ScoringSettings(bundle_cache_size=bundle_cache),
                },
                services=services,
            )
            for app in system.apps.values():  # access logs off, as in production load tests
                app.user_middleware[0].kwargs["access_log"] = False
                app.middleware_stack = None
            return system

        ttl = EvidenceSettings().satker_path_ttl_seconds
        uncached, cached = system_of(0), system_of(ttl)
        alone = system_of(0, ("registry", "scoring"))  # the same database, no evidence service
        cold = system_of(ttl, bundle_cache=0)  # every request reads and prepares the whole bundle
        async with running(uncached), running(cached), running(alone), running(cold):

            def client(system: Any, name: str) -> httpx.AsyncClient:
                return httpx.AsyncClient(transport=httpx.ASGITransport(app=system.apps[name]), base_url="http://b")

            reg, ev, ev_cached = client(cached, "registry"), client(uncached, "evidence"), client(cached, "evidence")
            sc, sc_cached = client(uncached, "scoring"), client(cached, "scoring")
            sc_alone, sc_cold = client(alone, "scoring"), client(cold, "scoring")
            r = await reg.post("/api/v1/registry/import", json=load_seed_document(), headers=headers)
            assert r.status_code == 201, r.text
            yp = {"year": 2024, "period": "Y"}
            agg = {"year": 2024, "period": "Y", "indicator": ["3a-CP", "8a-N", "8b-N"]}
            print(
                "embedded composition (in-process ASGI), registry + evidence on PostgreSQL, "
                f"n={requests}; load average (1 min) {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores"
            )
            floor = _line("one hop: GET registry satker (the floor)", await _sample(reg, SATKER, {}, headers, requests))
            _line("registry bundle alone", await _sample(reg, BUNDLE, {}, headers, requests), floor)
            _line("evidence aggregates, path cache off", await _sample(ev, AGGREGATES, agg, headers, requests), floor)
            _line(
                "evidence aggregates, path cache on",
                await _sample(ev_cached, AGGREGATES, agg, headers, requests),
                floor,
            )
            revalidate = {"If-None-Match": (await reg.get(BUNDLE, headers=headers)).headers["etag"]}
            _line(
                "registry bundle revalidated (304, ADR 0026)",
                await _sample(reg, BUNDLE, {}, headers | revalidate, requests, status=304),
                floor,
            )
            full = _line(
                "scores with evidence, bundle cache off (full read)",
                await _sample(sc_cold, SCORES, yp, headers, requests),
                floor,
            )
            before = _line(
                "scores with evidence, path cache off", await _sample(sc, SCORES, yp, headers, requests), floor
            )
            after = _line(
                "scores with evidence, path cache on", await _sample(sc_cached, SCORES, yp, headers, requests), floor
            )
            without = _line(
                "scores without the evidence service", await _sample(sc_alone, SCORES, yp, headers, requests), floor
            )
            print(
                f"  SQL statements per request: bundle {await _statements(cached, reg, BUNDLE, {}, headers)}, "
                f"scores with evidence (path cache on) {await _statements(cached, sc_cached, SCORES, yp, headers)}, "
                f"without the evidence service {await _statements(alone, sc_alone, SCORES, yp, headers)}"
            )
            verdict = "met" if after <= TARGET_MS / 1e3 else "NOT met"
            print(
                f"scores p50 with evidence: {after * 1e3:.2f} ms (target <= {TARGET_MS:.0f} ms at the service):"
                f" {verdict}; ratio to the target {after * 1e3 / TARGET_MS:.2f}; path cache off {before * 1e3:.2f} ms,"
                f" ratio on/off {after / before:.2f}; without the evidence service {without * 1e3:.2f} ms,"
                f" ratio with/without {after / without:.2f}; bundle cache off {full * 1e3:.2f} ms,"
                f" ratio on/off {after / full:.2f}"
            )
            a = (await sc.get(SCORES, params=yp, headers=headers)).json()["nko"]
            b = (await sc_cached.get(SCORES, params=yp, headers=headers)).json()["nko"]
            assert a == b, (a, b)
            for c in (reg, ev, ev_cached, sc, sc_cached, sc_alone, sc_cold):
                await c.aclose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=300)
    args = parser.parse_args()
    asyncio.run(run(args.requests))


if __name__ == "__main__":
    main()
