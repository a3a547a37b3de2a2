"""Scoring: the engine on a synthetic nation, and the API latency on PostgreSQL.

1. Engine alone: 16 Kanwil × 8 satker × 16 IKU × 7 periods with the shipped component manuals
   (ratio of monthly parts, weighted components with caps, Konversi 120, evidence-scored LPT and
   BA Tegah for 3a-CP/8a-N/8b-N), exact Decimal arithmetic, full roll-up to NKO. Baseline: plain
   Python floats doing only the bare arithmetic of the same numbers (no manuals, no validation,
   no explain data). The ratio engine / baseline is printed.
2. API: registry (PostgreSQL temp database) + scoring composed in-process (ASGI, no sockets),
   the seed imported for the Kanwil and its 6 offices; p50/p99 of one satker's scores and of the
   Kanwil's consolidated view (each request = one registry bundle read + the engine).
3. The same with the evidence service present (no documents): each request also reads the
   evidence aggregates of the evidence-driven IKU (3a-CP, 8a-N, 8b-N), as the real system does.

    python -m bench.bench_scoring [--rounds 3] [--requests 200]
"""

from __future__ import annotations

import argparse
import asyncio
import copy
import os
import random
import statistics
import time
from pathlib import Path
from typing import Any

import yaml

from services.scoring.engine.numbers import display
from services.scoring.engine.scorecard import prepare, score
from services.scoring.service.manuals import ManualCache

PERIODS = ("Q1", "Q2", "S1", "Q3", "TQ3", "Q4", "Y")
MANUALS = Path(__file__).resolve().parents[1] / "services/registry/seed/kalbagtim-2024/manuals.yaml"
BEFORE_MANUALS = Path(__file__).resolve().parent / "engine_before/manuals.yaml"  # as shipped before issue 9
RULE_SET = {
    "index": {"floor": 0, "cap": 120},
    "polarity": {
        "max": {"formula": "ratio"},
        "min": {"formula": "two_minus_ratio"},
        "stabilize": {"formula": "stabilize"},
    },
    "perspectives": [
        {"code": "stakeholder", "weight": 0.3},
        {"code": "customer", "weight": 0.2},
        {"code": "internal_process", "weight": 0.25},
        {"code": "learning_growth", "weight": 0.25},
    ],
    "predicates": [
        {"name": "Istimewa", "above": 100},
        {"name": "Baik", "at_least": 90},
        {"name": "Butuh Perbaikan", "at_least": 70},
        {"name": "Kurang", "at_least": 50},
        {"name": "Sangat Kurang"},
    ],
    "status_bands": [{"status": "green", "at_least": 100}, {"status": "yellow", "at_least": 80}, {"status": "red"}],
}
OBJECTIVES = {
    "SS-1": "stakeholder",
    "SS-2": "stakeholder",
    "SS-3": "stakeholder",
    "SS-4": "customer",
    "SS-5": "customer",
    "SS-6": "internal_process",
    "SS-7": "internal_process",
    "SS-8": "internal_process",
    "SS-9": "internal_process",
    "SS-10": "learning_growth",
    "SS-11": "learning_growth",
}
IKU = {
    "1a-N": "SS-1",
    "1b-N": "SS-1",
    "2a-CP": "SS-2",
    "3a-CP": "SS-3",
    "4a-N": "SS-4",
    "5a-CP": "SS-5",
    "6a-N": "SS-6",
    "6b-N": "SS-6",
    "7a-N": "SS-7",
    "8a-N": "SS-8",
    "8b-N": "SS-8",
    "9a-N": "SS-9",
    "9b-N": "SS-9",
    "10a-N": "SS-10",
    "10b-N": "SS-10",
    "11a-N": "SS-11",
}
MONTHS = {
    "Q1": range(1, 4),
    "Q2": range(4, 7),
    "S1": range(1, 7),
    "Q3": range(7, 10),
    "TQ3": range(1, 10),
    "Q4": range(10, 13),
    "Y": range(1, 13),
}


def _parts(code: str, rnd: random.Random) -> dict[str, float]:
    u = rnd.uniform
    if code == "2a-CP":
        return {
            "import_duty": round(u(1e8, 2e9)),
            "export_duty": round(u(1e7, 1e9)),
            "excise": round(u(1e5, 1e7)),
            "revenue_target": round(u(1e9, 3e9)),
        }
    if code == "5a-CP":
        n = rnd.randint(50, 500)
        return {
            "red_lane_compliant": rnd.randint(0, n),
            "red_lane_importers": n,
            "npd_compliant": rnd.randint(0, 10),
            "npd_importers": 10,
        }
    if code == "6b-N":
        return {
            k: round(u(2, 4), 2) for k in ("completion_index", "timeliness_index", "quality_index", "follow_up_index")
        }
    if code == "10a-N":
        return {
            "pkp_effectiveness": round(u(80, 100), 2),
            "job_standard_fit": round(u(80, 100), 2),
            "lo_self_assessment": round(u(70, 100), 2),
            "lo_survey": round(u(70, 100), 2),
        }
    if code == "10b-N":
        return {"performance_dialogue": round(u(80, 100), 2), "risk_mitigation": round(u(80, 100), 2)}
    if code == "11a-N":
        return {
            "ikpa_dipa_revision": 100,
            "ikpa_page3_deviation": round(u(90, 100), 2),
            "ikpa_absorption": round(u(85, 100), 2),
            "ikpa_contracts": round(u(85, 100), 2),
            "ikpa_invoices": 100,
            "ikpa_up_tup": 100,
            "ikpa_output": round(u(90, 100), 2),
            "ikpa_spm_dispensation": 0,
            "smart_effectiveness": round(u(90, 100), 2),
            "smart_efficiency": round(u(90, 100), 2),
        }
    if code in ("3a-CP", "8a-N"):
        return {
            "lpt_plan": rnd.randint(5, 40),
            "seized_goods_cluster_index": round(u(1, 5), 2),
            "patrol_plan": rnd.randint(5, 40),
            "operation_plan": rnd.randint(2, 10),
        }
    if code == "8b-N":
        return {"sea_patrol_plan": rnd.randint(5, 40)}
    return {}


def _evidence(rnd: random.Random) -> dict[str, Any]:
    outcomes = ("ba_tegah_special", "ba_tegah", "sbp")
    fus = ("p21", "sptp", "stck_1", "bmn_decision", "bdn_decision", "no_violation")
    lpt = [
        {"activity": rnd.choice(("patrol", "operation")), "outcomes": {o: rnd.randint(0, 1) for o in outcomes}}
        for _ in range(rnd.randint(5, 20))
    ]
    ba = [
        {"follow_ups": [{"type": rnd.choice(fus)} for _ in range(rnd.randint(0, 3))]} for _ in range(rnd.randint(1, 8))
    ]
    sea = [
        {
            "ship_class": rnd.choice(("I", "IV", "V", "VI")),
            "patrol_days": rnd.randint(1, 20),
            "inspections": rnd.randint(0, 3),
            "seizures": rnd.randint(0, 1),
            "targeted_seizures": rnd.randint(0, 1),
        }
        for _ in range(rnd.randint(2, 10))
    ]
    by_activity = {
        "patrol": sum(1 for i in lpt if i["activity"] == "patrol"),
        "operation": sum(1 for i in lpt if i["activity"] == "operation"),
    }
    return {
        "lpt": {"count": len(lpt), "by_activity": by_activity, "items": lpt},
        "ba_tegah": {"count": len(ba), "items": ba},
        "sea_patrols": {"count": len(sea), "items": sea},
    }


def synthetic_nation(
    seed: int = 2024, manuals_file: Path = MANUALS
) -> list[tuple[dict[str, Any], dict[str, dict[str, Any]]]]:
    """(bundle, evidence per IKU) for 16 Kanwil × 8 satker: random but realistic figures."""
    rnd = random.Random(seed)
    manuals = yaml.safe_load(manuals_file.read_text(encoding="utf-8"))
    out = []
    for k in range(16):
        kanwil = f"WBC.{k + 1:02d}"
        for s in range(8):
            code = kanwil if s == 0 else f"KBC.{k + 1:02d}{s:02d}"
            path = [kanwil] if s == 0 else [kanwil, code]
            indicators = []
            evidence: dict[str, dict[str, Any]] = {}
            for iku, ss in IKU.items():
                polarity = "min" if iku == "1a-N" else "max"
                measures: dict[str, dict[str, Any]] = {}
                if iku == "1a-N":
                    for m in range(1, 13):
                        gd, rd = rnd.randint(500, 2000), rnd.randint(50, 400)
                        measures[f"M{m:02d}"] = {
                            "green_docs": gd,
                            "green_total_days": round(gd * u01(rnd) * 0.02, 4),
                            "red_docs": rd,
                            "red_total_days": round(rd * rnd.uniform(1.5, 3), 2),
                        }
                for p in PERIODS:
                    measures.setdefault(p, {})["realization"] = round(rnd.uniform(50, 110), 2)
                    measures[p].update(_parts(iku, rnd))
                if iku in ("3a-CP", "8a-N", "8b-N"):
                    evidence[iku] = _evidence(rnd)
                targets = {
                    p: {
                        "value": 0.75 if iku == "1a-N" else round(rnd.uniform(60, 100), 2),
                        "document": f"PK-{k}-{s}",
                        "version": 1,
                    }
                    for p in PERIODS
                }
                indicators.append(
                    {
                        "code": iku,
                        "objective": ss,
                        "name": iku,
                        "polarity": polarity,
                        "unit": None,
                        "consolidation": "take_last_known_value",
                        "weight": 1,
                        "region_aggregation": "own",
                        "manual": {"version": 1, "document": manuals[iku]["manual"]},
                        "targets": targets,
                        "measures": measures,
                    }
                )
            bundle = {
                "as_of": None,
                "satker": {"code": code, "name": code, "path": path},
                "agreement": {"number": f"PK-{code}", "year": 2024, "version": 1},
                "rule_set": {"code": "KMK-300-2022", "version": 1, "document": RULE_SET},
                "addenda": [],
                "objectives": [{"code": c, "perspective": p, "weight": 1} for c, p in OBJECTIVES.items()],
                "indicators": indicators,
                "closed_periods": [],
            }
            out.append((bundle, evidence))
    return out


def u01(rnd: random.Random) -> float:
    return rnd.random()


# --------------------------------------------------------------------------------------- baseline


def _clamp(x: float) -> float:
    return 0.0 if x < 0 else 120.0 if x > 120 else x


def baseline(nation: list[tuple[dict[str, Any], dict[str, dict[str, Any]]]]) -> float:
    """The bare arithmetic in floats: realisations (same formulas), indices, SS, perspectives, NKO."""
    total = 0.0
    weights = {"stakeholder": 0.3, "customer": 0.2, "internal_process": 0.25, "learning_growth": 0.25}
    for bundle, _ in nation:
        for period in PERIODS:
            by_ss: dict[str, list[float]] = {}
            for ind in bundle["indicators"]:
                code, ms = ind["code"], ind["measures"]
                y = ms[period]
                if code == "1a-N":
                    num = den = 0.0
                    for m in MONTHS[period]:
                        mm = ms[f"M{m:02d}"]
                        num += mm["green_total_days"] + mm["red_total_days"]
                        den += mm["green_docs"] + mm["red_docs"]
                    r = num / den
                elif code == "2a-CP":
                    r = (y["import_duty"] + y["export_duty"] + y["excise"]) / y["revenue_target"] * 100
                elif code == "5a-CP":
                    r = round(
                        0.95 * y["red_lane_compliant"] / y["red_lane_importers"] * 100
                        + 0.05 * y["npd_compliant"] / y["npd_importers"] * 100,
                        2,
                    )
                elif code == "6b-N":
                    r = (
                        0.25 * y["completion_index"]
                        + 0.3 * y["timeliness_index"]
                        + 0.4 * y["quality_index"]
                        + 0.05 * y["follow_up_index"]
                    )
                elif code == "10a-N":
                    r = round(
                        0.2 * y["pkp_effectiveness"]
                        + 0.3 * y["job_standard_fit"]
                        + 0.5 * (0.5 * y["lo_self_assessment"] + 0.5 * y["lo_survey"]),
                        2,
                    )
                elif code == "10b-N":
                    r = round((y["performance_dialogue"] + y["risk_mitigation"]) / 2, 2)
                elif code == "11a-N":
                    ikpa = (
                        0.1 * y["ikpa_dipa_revision"]
                        + 0.15 * y["ikpa_page3_deviation"]
                        + 0.2 * y["ikpa_absorption"]
                        + 0.1 * y["ikpa_contracts"]
                        + 0.1 * y["ikpa_invoices"]
                        + 0.1 * y["ikpa_up_tup"]
                        + 0.25 * y["ikpa_output"]
                        - y["ikpa_spm_dispensation"]
                    )
                    v = 0.5 * ikpa + 0.5 * (0.75 * y["smart_effectiveness"] + 0.25 * y["smart_efficiency"])
                    threshold = min(ind["targets"][period]["value"], 95)  # Konversi 120 against the target
                    r = 120.0 if v >= threshold else v / threshold * 100
                else:
                    r = y["realization"]
                t = ind["targets"][period]["value"]
                idx = _clamp((2 - r / t) * 100 if ind["polarity"] == "min" else r / t * 100)
                by_ss.setdefault(ind["objective"], []).append(idx)
            persp: dict[str, list[float]] = {}
            for ss, vals in by_ss.items():
                persp.setdefault(OBJECTIVES[ss], []).append(sum(vals) / len(vals))
            total += sum(weights[p] * sum(v) / len(v) for p, v in persp.items())
    return total


# ------------------------------------------------------------------------------------------ engine


def engine(nation: list[tuple[dict[str, Any], dict[str, dict[str, Any]]]], cache: ManualCache) -> tuple[float, float]:
    t0 = time.perf_counter()
    # as the service does: the bundle as orjson.loads gives it (JSON numbers as float/int, converted
    # by prepare), manuals and the rule set parsed once, cached by content
    prepared = [(prepare(b, parse=cache.get, parse_rules=cache.rule_set), ev) for b, ev in nation]
    t1 = time.perf_counter()
    for p, ev in prepared:
        for period in PERIODS:
            score(p, period, evidence=ev)
    t2 = time.perf_counter()
    return t1 - t0, t2 - t1


def check_against_the_engine_before(nation: list[tuple[dict[str, Any], dict[str, dict[str, Any]]]]) -> int:
    """Score the whole nation with the frozen copy of the engine before issue 9 (bench/engine_before)
    and with the current one; every IKU realisation and index, SS, perspective and NKO must be
    the same Decimal. Returns the number of values compared; raises on the first difference."""
    from bench.engine_before import scorecard as before

    # Both engines read the manuals as they were shipped before (the old engine cannot read
    # {op: target}, and 11a-N now converts against the agreement's target, a deliberate change
    # of the data, not of the arithmetic): this compares the engines, input for input.
    compared = 0
    for bundle, ev in nation:
        new, old = prepare(bundle), before.prepare(bundle)
        for period in PERIODS:
            a, b = score(new, period, evidence=ev), before.score(old, period, evidence=ev)
            pairs: list[tuple[str, Any, Any]] = [("nko", a.nko, b.nko), ("predicate", a.predicate, b.predicate)]
            pairs += [
                (f"perspective {x.code}", x.index, y.index) for x, y in zip(a.perspectives, b.perspectives, strict=True)
            ]
            pairs += [
                (f"objective {x.objective.code}", x.index, y.index)
                for x, y in zip(a.objectives, b.objectives, strict=True)
            ]
            for x, y in zip(a.indicators, b.indicators, strict=True):
                pairs += [
                    (f"{x.indicator.code} index", x.achievement.index, y.achievement.index),
                    (f"{x.indicator.code} realization", x.realization, y.realization),
                ]
            for what, got, want in pairs:
                if got != want or str(got) != str(want):
                    raise SystemExit(f"{bundle['satker']['code']} {period} {what}: {got} != {want} (engine before)")
                compared += 1
    return compared


def check_kalbagtim() -> str:
    """The 2024 reproduction through the current engine: NKO 118.2973 or the benchmark fails."""
    from services.registry.seed import load_seed_document

    doc = load_seed_document()
    agreement = doc["agreement"]
    bundle = {
        "satker": {"code": agreement["satker"], "path": [agreement["satker"]]},
        "agreement": {"number": agreement["number"], "year": agreement["year"]},
        "rule_set": {"code": "KMK-300-2022", "version": 1, "document": RULE_SET},
        "objectives": agreement["objectives"],
        "indicators": [
            ind
            | {
                "targets": {p: {"value": v} for p, v in ind["targets"].items()},
                "measures": agreement["measures"].get(ind["code"], {}),
                "manual": {"document": agreement["manuals"][ind["code"]]}
                if ind["code"] in agreement["manuals"]
                else None,
            }
            for ind in agreement["indicators"]
        ],
    }
    for addendum in agreement.get("addenda") or []:
        for code, targets in (addendum.get("targets") or {}).items():
            ind = next(i for i in bundle["indicators"] if i["code"] == code)
            ind["targets"].update({p: {"value": v} for p, v in targets.items()})
    nko = score(prepare(bundle), "Y").nko
    shown = display(nko, 4)
    if shown != "118.2973":
        raise SystemExit(f"Kalbagtim 2024 NKO {shown}, expected 118.2973")
    return shown or ""


def bench_engine(rounds: int) -> None:
    nation = synthetic_nation()
    n_scores = len(nation) * 16 * len(PERIODS)
    compared = check_against_the_engine_before(synthetic_nation(manuals_file=BEFORE_MANUALS))
    print(f"exactness: {compared} values of the nation identical to the engine before issue 9 (bench/engine_before)")
    print(f"exactness: Kalbagtim 2024 NKO {check_kalbagtim()}")
    cache = ManualCache()
    engine(nation, cache)  # warm: manuals parsed once (as in the service, cached by content)
    best_prep = best_score = best_base = float("inf")
    for _ in range(rounds):
        prep, sc = engine(nation, cache)
        best_prep, best_score = min(best_prep, prep), min(best_score, sc)
        t0 = time.perf_counter()
        baseline(nation)
        best_base = min(best_base, time.perf_counter() - t0)
    eng = best_prep + best_score
    print(
        f"engine, nation ({len(nation)} satker × 16 IKU × 7 periods = {n_scores} IKU scores + roll-ups), "
        f"best of {rounds}:"
    )
    print(f"  prepare (bundle → Decimal, manuals+rules cached) {best_prep * 1000:8.1f} ms")
    print(f"  score + roll-up, 7 periods                      {best_score * 1000:8.1f} ms")
    print(
        f"  engine total                                    {eng * 1000:8.1f} ms "
        f"({eng / n_scores * 1e6:.1f} µs per IKU score)"
    )
    print(f"  baseline (plain floats, bare arithmetic)        {best_base * 1000:8.1f} ms")
    print(f"  ratio engine / baseline                         {eng / best_base:8.1f} ×")
    print(f"  target engine < 100 ms:                         {'met' if eng < 0.1 else 'NOT met'}")
    print(f"  target engine < 5 × baseline:                   {'met' if eng / best_base < 5 else 'NOT met'}")
    print(f"  (load average {_load()}; the machine's other work shows in every figure above)")


def _load() -> str:
    """The 1-minute load average beside the figures (ADR 0004: measure alternately, note the load)."""
    try:
        return f"{os.getloadavg()[0]:.2f}"
    except OSError:  # not every platform has it
        return "unknown"


# --------------------------------------------------------------------------------------------- API


def _pct(samples: list[float], q: float) -> float:
    s = sorted(samples)
    return s[min(len(s) - 1, int(round(q * (len(s) - 1))))]


async def _measure(name: str, client: Any, path: str, n: int, params: dict[str, Any], headers: dict[str, str]) -> None:
    for _ in range(10):
        await client.get(path, params=params, headers=headers)
    samples = []
    for _ in range(n):
        t0 = time.perf_counter()
        resp = await client.get(path, params=params, headers=headers)
        samples.append(time.perf_counter() - t0)
        assert resp.status_code == 200, resp.text
    print(
        f"  {name:34s} n={n:4d}  p50 {_pct(samples, 0.5) * 1000:6.2f} ms  "
        f"p99 {_pct(samples, 0.99) * 1000:6.2f} ms  mean {statistics.mean(samples) * 1000:6.2f} ms"
    )


async def bench_api(requests: int) -> None:
    import logging
    import tempfile

    import httpx

    from kernel.auth import TokenVerifier
    from kernel.settings import AuthSettings, CommonSettings
    from kernel.testing import temporary_database
    from runner.composition import build_system, running
    from services.evidence.settings import EvidenceSettings
    from services.registry.seed import load_seed_document
    from services.registry.settings import RegistrySettings

    secret = "bench-secret-not-for-production-0123456789abcdef"
    token = TokenVerifier(secret=secret).mint(subject="bench", role="admin")
    headers = {"Authorization": f"Bearer {token}"}

    logging.getLogger("kinerja").setLevel(logging.WARNING)
    with temporary_database("kinerja_bench") as url, tempfile.TemporaryDirectory() as tmp:

        def system_of(*services: str, evidence: bool = False) -> Any:
            settings: dict[str, Any] = {"registry": RegistrySettings(database_url=url)}
            if evidence:
                settings["evidence"] = EvidenceSettings(database_url=url, scanner="disabled")
            system = build_system(
                common=CommonSettings(environment="test", data_dir=Path(tmp)),
                auth=AuthSettings(secret=secret),
                settings=settings,
                services=services,
            )
            for app in system.apps.values():  # access logs off, as in production load tests
                app.user_middleware[0].kwargs["access_log"] = False
                app.middleware_stack = None
            return system

        plain_system = system_of("registry", "scoring")
        # the real deployment: evidence present (no documents), so every evidence-driven IKU
        # (3a-CP, 8a-N, 8b-N) asks it for aggregates, and evidence asks the registry who may read
        # (once per satker and KINERJA_EVIDENCE_SATKER_PATH_TTL_SECONDS: the path is reused, ADR 0014)
        full_system = system_of("registry", "evidence", "scoring", evidence=True)
        async with running(plain_system), running(full_system):
            reg = httpx.AsyncClient(
                transport=httpx.ASGITransport(app=plain_system.apps["registry"]), base_url="http://r"
            )
            sc = httpx.AsyncClient(transport=httpx.ASGITransport(app=plain_system.apps["scoring"]), base_url="http://s")
            sc_ev = httpx.AsyncClient(
                transport=httpx.ASGITransport(app=full_system.apps["scoring"]), base_url="http://s"
            )
            seed = load_seed_document()
            r = await reg.post("/api/v1/registry/import", json=seed, headers=headers)
            assert r.status_code == 201, r.text
            for child in [s["code"] for s in seed["satkers"] if s.get("parent") == "WBC.16"]:
                doc = copy.deepcopy(seed)
                doc["agreement"]["satker"] = child
                doc["agreement"]["number"] = f"PK-{child}/2024"
                for i, addendum in enumerate(doc["agreement"].get("addenda") or []):
                    addendum["number"] = f"PK-{child}-A{i}/2024"
                r = await reg.post("/api/v1/registry/import", json=doc, headers=headers)
                assert r.status_code == 201, r.text
            bundle_path = "/api/v1/registry/satkers/WBC.16/agreements/2024/bundle"
            scores_path = "/api/v1/scoring/satkers/WBC.16/scores"
            consolidated_path = "/api/v1/scoring/satkers/WBC.16/consolidated"
            yp = {"year": 2024, "period": "Y"}
            print("API, in-process ASGI (registry on PostgreSQL, bundle read + engine per request):")
            await _measure("registry bundle alone (its share)", reg, bundle_path, requests, {}, headers)
            await _measure("scores, one satker", sc, scores_path, requests, yp, headers)
            await _measure(
                "consolidated, Kanwil + 6 offices", sc, consolidated_path, max(20, requests // 4), yp, headers
            )
            print("API with the evidence service present (PostgreSQL, no documents: aggregates per request):")
            await _measure("scores, one satker", sc_ev, scores_path, requests, yp, headers)
            await _measure(
                "consolidated, Kanwil + 6 offices", sc_ev, consolidated_path, max(20, requests // 4), yp, headers
            )
            nko = (await sc.get(scores_path, params={"year": 2024}, headers=headers)).json()["nko"]
            nko_ev = (await sc_ev.get(scores_path, params={"year": 2024}, headers=headers)).json()["nko"]
            print(f"  (check: WBC.16 NKO {nko:.4f}, with evidence {nko_ev:.4f})")
            await reg.aclose()
            await sc.aclose()
            await sc_ev.aclose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--no-api", action="store_true")
    args = parser.parse_args()
    bench_engine(args.rounds)
    if not args.no_api:
        asyncio.run(bench_api(args.requests))


if __name__ == "__main__":
    main()
