"""The cost of the typed contracts and of exact numbers on the scores path (issue 10, ADR 0018, 0023).

Every scores request reads one registry bundle and writes one scorecard. Issue 10 made scoring
check the bundle against ``contracts.bundle`` (it used to take the decoded JSON as it came) and
write the answer with ``kernel.wire.ExactJSONResponse`` (it used to turn every Decimal into a float
with ``plain()`` and let FastAPI serialise the dict through pydantic and ``json.dumps``). Both
halves are measured here on the shipped 2024 bundle, each against the way it was done before, in
the same run:

* bundle read: ``orjson.loads`` (before) against ``orjson.loads`` + ``contracts.bundle.read_bundle``;
* answer write: ``plain()`` + pydantic's dump of ``dict[str, Any]`` (what FastAPI did for a route
  annotated ``-> dict[str, Any]``) against ``kernel.wire.dumps`` (orjson, Decimals as Fragments);
* the sum of both, per request.

    python -m bench.bench_wire [--repeat 2000]
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import tempfile
import timeit
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import orjson
from pydantic import TypeAdapter

from contracts.bundle import read_bundle
from kernel.auth import TokenVerifier
from kernel.settings import AuthSettings, CommonSettings
from kernel.wire import dumps
from runner.composition import build_system, running
from services.registry.seed import load_seed_document
from services.scoring.engine.analysis import plain
from services.scoring.engine.scorecard import prepare, score
from services.scoring.service.present import scorecard_json

SECRET = "bench-secret-not-for-production-0123456789abcdef"
BUNDLE = "/api/v1/registry/satkers/WBC.16/agreements/2024/bundle"


async def _bundle_bytes() -> bytes:
    """The shipped agreement's bundle as the registry answers it (embedded, SQLite)."""
    token = TokenVerifier(secret=SECRET).mint(subject="bench", role="admin")
    headers = {"Authorization": f"Bearer {token}"}
    logging.getLogger("kinerja").setLevel(logging.WARNING)
    with tempfile.TemporaryDirectory() as tmp:
        system = build_system(
            common=CommonSettings(environment="test", data_dir=Path(tmp)),
            auth=AuthSettings(secret=SECRET),
            services=("registry", "scoring"),  # the import validates manuals with scoring
        )
        async with running(system):
            transport = httpx.ASGITransport(app=system.apps["registry"])
            async with httpx.AsyncClient(transport=transport, base_url="http://b") as client:
                r = await client.post("/api/v1/registry/import", json=load_seed_document(), headers=headers)
                assert r.status_code == 201, r.text
                r = await client.get(BUNDLE, headers=headers)
                assert r.status_code == 200, r.text
                return r.content


def _us(fn: Callable[[], Any], repeat: int) -> float:
    fn()
    return min(timeit.repeat(fn, number=repeat, repeat=3)) / repeat * 1e6


def run(repeat: int) -> None:
    raw = asyncio.run(_bundle_bytes())
    body = scorecard_json(score(prepare(read_bundle(orjson.loads(raw))), "Y"))
    old_dump = TypeAdapter(dict[str, Any])
    # the same answer both ways (the old one through floats): the comparison is like for like
    assert orjson.loads(dumps(body)) == orjson.loads(old_dump.dump_json(plain(body)))
    read_before = _us(lambda: orjson.loads(raw), repeat)
    read_after = _us(lambda: read_bundle(orjson.loads(raw)), repeat)
    write_before = _us(lambda: old_dump.dump_json(plain(body)), repeat)
    write_after = _us(lambda: dumps(body), repeat)
    print(f"shipped bundle {len(raw)} bytes, scorecard answer {len(dumps(body))} bytes; best of 3 x {repeat}")
    for name, before, after in (
        ("bundle read (orjson -> orjson + contract check)", read_before, read_after),
        ("answer write (plain + pydantic -> exact orjson)", write_before, write_after),
        ("both, per scores request", read_before + write_before, read_after + write_after),
    ):
        print(f"  {name:50s} before {before:7.1f} us  after {after:7.1f} us  ratio after/before {after / before:5.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=2000)
    args = parser.parse_args()
    run(args.repeat)


if __name__ == "__main__":
    main()
