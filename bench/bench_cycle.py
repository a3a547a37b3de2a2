"""The reporting cycle (issue 11): submission of a period for one satker and publication of a
Kanwil with seven satker, p50 and p99, each against a plain read of the same data measured in the
same run.

The embedded system of ``make run`` (SQLite, in process; registry, evidence, scoring) with the
Kalbagtim agreement and the six illustrative KPPBC agreements of the cycle demo
(``services/registry/seed/cycle_demo.py``, without its cycle). Through the registry's API, as users do:

* **submission** (``POST …/cycle/Q1/submit`` of KBC.1603): the gap check asks scoring for the
  quarter's statuses and evidence for documents still in review, then writes the round and its
  event. Every round needs an open revision, so an admin reopens between rounds (not measured).
  Baseline: ``GET …/cycle/Q1`` of the same satker (the period view the submission answers with).
* **publication** (``POST …/cycle/Q1/publish`` of WBC.16): every satker's state checked, scoring
  computes the seven frozen scorecards with their input hashes, the registry stores them. Between
  rounds one KPPBC is reopened, submitted and validated again (not measured), so each round is a
  real republication superseding the last. Baseline: ``GET /scoring/satkers/WBC.16/consolidated``
  of Q1 (the same seven scorecards computed, nothing stored).

    python -m bench.bench_cycle [--rounds 40]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx

from kernel.auth import TokenVerifier
from kernel.settings import AuthSettings, CommonSettings
from runner.composition import build_system, running
from runner.embedded import embedded_evidence_settings, load_demo_if_empty
from services.registry.seed.cycle_demo import illustrative, load_agreements
from services.registry.settings import RegistrySettings

R = "/api/v1/registry"
KANWIL, OFFICE, REPUBLISHED = "WBC.16", "KBC.1603", "KBC.1601"


def _cycle(code: str, rest: str) -> str:
    return f"{R}/satkers/{code}/agreements/2024/cycle{rest}"


def _p(times: list[float], q: float) -> float:
    ordered = sorted(times)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


async def _timed(call: Callable[[], Awaitable[httpx.Response]]) -> float:
    started = time.perf_counter()
    r = await call()
    elapsed = time.perf_counter() - started
    assert r.status_code == 200, r.text
    return elapsed


async def run(rounds: int) -> dict[str, list[float]]:
    data = illustrative()
    with tempfile.TemporaryDirectory() as folder:
        os.environ.setdefault("KINERJA_LOG_LEVEL", "WARNING")
        common = CommonSettings(environment="test", data_dir=Path(folder))
        auth = AuthSettings(secret="bench-" + "x" * 40)
        verifier = TokenVerifier(secret=auth.secret, issuer=auth.issuer, audience=auth.audience)

        def mint(role: str, satker: str | None, sub: str) -> dict[str, str]:
            token = verifier.mint(subject=sub, role=role, satker=satker, ttl_seconds=3600)
            return {"Authorization": f"Bearer {token}"}

        admin = mint("admin", None, "bench-admin")
        reviewer = mint("reviewer", KANWIL, "bench-k3@WBC.16")
        manager = mint("kanwil_manager", KANWIL, "bench-manager@WBC.16")
        settings = {"registry": RegistrySettings(), "evidence": embedded_evidence_settings()}
        system = build_system(common=common, auth=auth, settings=settings, services=("registry", "evidence", "scoring"))
        async with running(system):
            token = admin["Authorization"].removeprefix("Bearer ")
            await load_demo_if_empty(system.peers["registry"], token)  # the Kanwil (no cycle demo: no mint)
            await load_agreements(system.peers["registry"], token, data)  # the six KPPBC, 9b-N Q1
            reg = httpx.AsyncClient(
                transport=httpx.ASGITransport(app=system.apps["registry"]), base_url="http://registry", timeout=60
            )
            sc = httpx.AsyncClient(
                transport=httpx.ASGITransport(app=system.apps["scoring"]), base_url="http://scoring", timeout=60
            )
            async with reg, sc:
                ops = {c: mint("satker_operator", c, f"bench-op@{c}") for c in [KANWIL, *data["offices"]]}

                async def submit(code: str) -> httpx.Response:
                    r = await reg.post(_cycle(code, "/Q1/submit"), headers=ops[code])
                    if r.status_code == 422:  # the notes the registry asks for, once (as the demo does)
                        for e in r.json()["errors"]:
                            iku = e["field"].split(".")[1]
                            note = {k: v.format(iku=iku, period="Q1") for k, v in data["note_text"].items()}
                            await reg.put(_cycle(code, f"/Q1/notes/{iku}"), json=note, headers=ops[code])
                        r = await reg.post(_cycle(code, "/Q1/submit"), headers=ops[code])
                    return r

                async def reopen(code: str) -> None:
                    r = await reg.post(_cycle(code, "/Q1/reopen"), json={"reason": "bench"}, headers=admin)
                    assert r.status_code == 200, r.text

                # submission of one satker, and its baseline
                assert (await submit(OFFICE)).status_code == 200  # warm: notes written, manuals parsed
                out: dict[str, list[float]] = {"submit": [], "submit_base": [], "publish": [], "publish_base": []}
                for _ in range(rounds):
                    await reopen(OFFICE)
                    out["submit"].append(await _timed(lambda: submit(OFFICE)))
                    out["submit_base"].append(await _timed(lambda: reg.get(_cycle(OFFICE, "/Q1"), headers=admin)))
                # publication of the Kanwil with its seven satker, and its baseline
                for code in ops:
                    if code != OFFICE:
                        assert (await submit(code)).status_code == 200
                    r = await reg.post(_cycle(code, "/Q1/validate"), headers=reviewer)
                    assert r.status_code == 200, r.text
                consolidated = f"/api/v1/scoring/satkers/{KANWIL}/consolidated"
                body = (await sc.get(consolidated, params={"year": 2024, "period": "Q1"}, headers=admin)).json()
                assert len(body["satkers"]) == 7, [s["code"] for s in body["satkers"]]
                for n in range(rounds // 2 + 1):
                    if n:
                        await reopen(REPUBLISHED)
                        assert (await submit(REPUBLISHED)).status_code == 200
                        r = await reg.post(_cycle(REPUBLISHED, "/Q1/validate"), headers=reviewer)
                        assert r.status_code == 200, r.text
                    skep: dict[str, Any] = {"skep_number": f"KEP-BENCH-{n}/WBC.16/2024"}
                    took = await _timed(
                        lambda body=skep: reg.post(_cycle(KANWIL, "/Q1/publish"), json=body, headers=manager)
                    )
                    base = await _timed(
                        lambda: sc.get(consolidated, params={"year": 2024, "period": "Q1"}, headers=admin)
                    )
                    if n:  # the first publication warms the path
                        out["publish"].append(took)
                        out["publish_base"].append(base)
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=40)
    args = parser.parse_args()
    t = asyncio.run(run(args.rounds))
    print(f"load average (1 min): {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")
    for name, label, base_label in (
        ("submit", "submission of Q1, one satker", "GET the period view"),
        ("publish", "publication of Q1, Kanwil with 7 satker", "GET consolidated Q1 (7 scorecards)"),
    ):
        runs, base = t[name], t[f"{name}_base"]
        p50, p99, b50 = statistics.median(runs), _p(runs, 0.99), statistics.median(base)
        print(
            f"{label}: p50 {p50 * 1e3:.1f} ms, p99 {p99 * 1e3:.1f} ms ({len(runs)} rounds); "
            f"baseline {base_label}: p50 {b50 * 1e3:.1f} ms, p99 {_p(base, 0.99) * 1e3:.1f} ms; "
            f"ratio p50 {p50 / b50:.2f}"
        )


if __name__ == "__main__":
    main()
