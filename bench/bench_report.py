"""The LAKIN report (issue 12): JSON, PDF and the Kanwil's consolidated PDF, against the JSON.

The embedded system of ``make run`` (SQLite, in process, the demo loaded by the demo loader:
agreement, history, plans, budget) plus the Kalbagtim agreement copied to the six KPPBC under
the Kanwil (realisations scaled per office), so the consolidated report ranks seven satker
(the Kanwil and six). Each figure is the median of warm rounds (one unmeasured round first);
the JSON report is the baseline the documents are printed against.

Targets (issue 12): JSON p50 < 50 ms, PDF < 2 s, the Kanwil's consolidated PDF with seven
satker < 5 s.

    python -m bench.bench_report [--rounds 15]
"""

from __future__ import annotations

import argparse
import asyncio
import copy
import os
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from kernel.auth import TokenVerifier
from kernel.settings import AuthSettings, CommonSettings
from runner.composition import build_system, running
from runner.embedded import embedded_evidence_settings, load_demo_if_empty
from services.registry.seed import load_seed_document
from services.registry.settings import RegistrySettings

CHILDREN = ("KBC.1601", "KBC.1602", "KBC.1603", "KBC.1604", "KBC.1605", "KBC.1606")
REPORT = "/api/v1/scoring/satkers/WBC.16/report"


def _child(code: str, factor: float) -> dict[str, Any]:
    doc = copy.deepcopy(load_seed_document())
    doc["satkers"] = []
    agreement = doc["agreement"]
    agreement["satker"], agreement["number"] = code, f"PK-{code}/2024"
    for addendum in agreement.get("addenda") or []:
        addendum["number"] = f"{addendum['number']}-{code}"
    for periods in (agreement.get("measures") or {}).values():
        for parts in periods.values():
            if "realization" in parts:
                parts["realization"] = round(float(parts["realization"]) * factor, 4)
    return doc


async def _median(
    client: httpx.AsyncClient, params: dict[str, Any], headers: dict[str, str], rounds: int, path: str = REPORT
) -> float:
    r = await client.get(path, params=params, headers=headers)  # warm: manuals parsed, fonts loaded
    assert r.status_code == 200, r.text
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        r = await client.get(path, params=params, headers=headers)
        times.append(time.perf_counter() - started)
        assert r.status_code == 200, r.text
    return statistics.median(times)


async def run(rounds: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        os.environ.setdefault("KINERJA_LOG_LEVEL", "WARNING")
        common = CommonSettings(environment="test", data_dir=Path(folder))
        auth = AuthSettings(secret="bench-" + "x" * 40)
        token = TokenVerifier(secret=auth.secret, issuer=auth.issuer, audience=auth.audience).mint(
            subject="bench", role="admin", ttl_seconds=3600
        )
        settings = {"registry": RegistrySettings(), "evidence": embedded_evidence_settings()}
        system = build_system(common=common, auth=auth, settings=settings, services=("registry", "evidence", "scoring"))
        async with running(system):
            await load_demo_if_empty(system.peers["registry"], token)
            for n, code in enumerate(CHILDREN):
                await system.peers["registry"].request(
                    "POST", "/api/v1/registry/import", token=token, json=_child(code, 0.8 + 0.05 * n)
                )
            headers = {"Authorization": f"Bearer {token}"}
            transport = httpx.ASGITransport(app=system.apps["scoring"])
            async with httpx.AsyncClient(transport=transport, base_url="http://scoring.bench", timeout=60) as client:
                body = (await client.get(f"{REPORT}/consolidated", params={"year": 2024}, headers=headers)).json()
                satkers = 1 + len(body["members"])
                json_p50 = await _median(client, {"year": 2024}, headers, rounds)
                table_p50 = await _median(
                    client, {"year": 2024}, headers, rounds, "/api/v1/scoring/satkers/WBC.16/scores/periods"
                )
                xlsx_p50 = await _median(client, {"year": 2024, "format": "xlsx"}, headers, max(3, rounds // 3))
                pdf_p50 = await _median(client, {"year": 2024, "format": "pdf"}, headers, max(3, rounds // 3))
                kanwil_p50 = await _median(
                    client, {"year": 2024, "format": "pdf"}, headers, max(3, rounds // 5), f"{REPORT}/consolidated"
                )
    load = os.getloadavg()[0]
    print(f"satker in the consolidated report: {satkers}; load average (1 min): {load:.2f} on {os.cpu_count()} cores")
    print(f"report JSON p50: {json_p50 * 1e3:.1f} ms (target < 50 ms): {_verdict(json_p50, 0.050)}  [baseline]")
    print(f"seven periods table p50: {table_p50 * 1e3:.1f} ms  ratio {table_p50 / json_p50:.2f}")
    print(f"report xlsx p50: {xlsx_p50 * 1e3:.1f} ms  ratio {xlsx_p50 / json_p50:.1f}")
    print(
        f"report PDF p50: {pdf_p50 * 1e3:.1f} ms (target < 2000 ms): {_verdict(pdf_p50, 2.0)}"
        f"  ratio {pdf_p50 / json_p50:.1f}"
    )
    print(
        f"Kanwil consolidated PDF ({satkers} satker) p50: {kanwil_p50 * 1e3:.1f} ms (target < 5000 ms):"
        f" {_verdict(kanwil_p50, 5.0)}  ratio {kanwil_p50 / json_p50:.1f}"
    )


def _verdict(seconds: float, target: float) -> str:
    return "met" if seconds < target else "NOT met"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=15)
    args = parser.parse_args()
    asyncio.run(run(args.rounds))


if __name__ == "__main__":
    main()
