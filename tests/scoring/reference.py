"""In-memory registry bundles (contracts §6) built from the reference data of the LAKIN 2024.

The engine tests run on these without any service: targets and realisations from
``services/registry/seed/kalbagtim-2024/lakin-2024-kalbagtim.json`` (shipped with the product,
read through :func:`tests.paths.in_checkout`), the 1a-N monthly parts from its Table 3.6 copy, the
manuals and component measures from ``services/registry/seed/kalbagtim-2024/manuals.yaml``.
"""

from __future__ import annotations

import copy
import json
from functools import cache
from typing import Any

import yaml

from tests.paths import in_checkout

REFERENCE = in_checkout("services/registry/seed/kalbagtim-2024/lakin-2024-kalbagtim.json")
MANUALS = in_checkout("services/registry/seed/kalbagtim-2024/manuals.yaml")
#: the report-check body shipped for the demo (README); must equal :func:`printed_values`
REPORT_CHECK = in_checkout("services/registry/seed/kalbagtim-2024/report-check-2024.json")

RULE_SET: dict[str, Any] = {
    "index": {"floor": 0, "cap": 120},
    "polarity": {
        "max": {"formula": "ratio"},
        "min": {"formula": "two_minus_ratio"},
        "stabilize": {"formula": "stabilize"},
    },
    "perspectives": [
        {"code": "stakeholder", "name": "Stakeholder", "weight": 0.30},
        {"code": "customer", "name": "Customer", "weight": 0.20},
        {"code": "internal_process", "name": "Internal Process", "weight": 0.25},
        {"code": "learning_growth", "name": "Learning & Growth", "weight": 0.25},
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

PRINTED_COLUMNS = {
    "Q1": "Q1",
    "Q2": "Q2",
    "SMT I": "S1",
    "S1": "S1",
    "Q3": "Q3",
    "TQ3": "TQ3",
    "Q4": "Q4",
    "Y-24": "Y",
    "Y": "Y",
}
MONTH_PARTS = ("green_docs", "green_total_days", "red_docs", "red_total_days")
#: 1a-N realisation (clearance time) per window: the ratio of the summed monthly parts, 4 decimals
CLEARANCE_TIME_BY_PERIOD = {
    "Q1": "0.5201",
    "Q2": "0.5844",
    "S1": "0.5532",
    "Q3": "0.3285",
    "TQ3": "0.4695",
    "Q4": "0.1991",
    "Y": "0.3969",
}


@cache
def reference() -> dict[str, Any]:
    return json.loads(REFERENCE.read_text())


@cache
def manuals() -> dict[str, Any]:
    return yaml.safe_load(MANUALS.read_text())


def _periods(ind: dict[str, Any], *, as_printed: bool = False) -> dict[str, dict[str, Any]]:
    """period → {target, realization, printed_index} from the reference's per-period tables.

    For the agreement the IKU table's year values are authoritative for Y (Table 3.77's Y column
    is copied from 10a-N); ``as_printed`` keeps what the per-IKU tables print instead.
    """
    out: dict[str, dict[str, Any]] = {}
    if "quarterly" in ind:
        out.update(copy.deepcopy(ind["quarterly"]))
    elif "quarterly_as_printed" in ind:
        q = ind["quarterly_as_printed"]
        for i, col in enumerate(q["columns"]):
            period = PRINTED_COLUMNS[col]
            if period in out:
                continue
            out[period] = {
                "target": q["target"][i],
                "realization": q["realization"][i],
                "printed_index": q["printed_index"][i],
            }
    year = {"target": ind["target"], "realization": ind["realization"], "printed_index": ind["printed_index"]}
    if not as_printed or "Y" not in out:
        out["Y"] = year
    return out


def kalbagtim_bundle(*, with_components: bool = True) -> dict[str, Any]:
    ref = reference()
    monthly = ref["clearance_time_monthly"]
    cols = monthly["columns"]
    indicators = []
    for ind in ref["indicators"]:
        periods = _periods(ind)
        targets = {p: {"value": v["target"], "document": "PK-29/BC/2024", "version": 1} for p, v in periods.items()}
        measures: dict[str, dict[str, Any]] = {
            p: {"realization": v["realization"]} for p, v in periods.items() if v["realization"] is not None
        }
        entry = manuals()[ind["code"]]
        if with_components:
            for period, parts in (entry.get("measures") or {}).items():
                measures.setdefault(period, {}).update(parts)
            if ind["code"] == "1a-N":
                for m, row in enumerate(monthly["rows"], start=1):
                    measures[f"M{m:02d}"] = {k: row[cols.index(k)] for k in MONTH_PARTS}
        indicators.append(
            {
                "code": ind["code"],
                "objective": ind["ss"],
                "name": ind["name"],
                "polarity": ind["polarity"],
                "unit": ind["unit"],
                "scale": None,
                "consolidation": ind["consolidation"],
                "validity_control": ind["validity_control"],
                "weight": 1,
                "region_aggregation": "sum_of_parts",
                "manual": {"version": 1, "document": entry["manual"]} if with_components else None,
                "targets": targets,
                "measures": measures,
            }
        )
    return {
        "as_of": "2025-01-31T00:00:00Z",
        "satker": {
            "code": "WBC.16",
            "name": ref["satker"]["name"],
            "kind": "kanwil",
            "parent": None,
            "path": ["WBC.16"],
            "staff": 71,
        },
        "agreement": {"number": "PK-29/BC/2024", "year": 2024, "level": "Kemenkeu-Two", "version": 2},
        "rule_set": {"code": "KMK-300-2022", "version": 1, "document": copy.deepcopy(RULE_SET)},
        "addenda": [
            {
                "number": "PK-29A/BC/2024",
                "version": 2,
                "recorded_at": "2024-07-01T00:00:00Z",
                "recorded_by": "admin",
                "note": "4a-N quarterly targets",
            }
        ],
        "objectives": [
            {"code": o["code"], "name": o["name"], "perspective": o["perspective"], "weight": 1}
            for o in ref["objectives"]
        ],
        "indicators": indicators,
        "closed_periods": ["Q1", "Q2", "S1", "Q3", "TQ3", "Q4", "Y"],
        "cycle": {},
    }


def printed_values() -> dict[str, Any]:
    """The report-check body: every value the LAKIN prints (reference json), as the API takes it."""
    ref = reference()
    indicators: dict[str, dict[str, dict[str, Any]]] = {}
    for ind in ref["indicators"]:
        per = {}
        for period, v in _periods(ind, as_printed=True).items():
            if v.get("printed_index") is not None or v.get("realization") is not None:
                per[period] = {
                    "index": v.get("printed_index"),
                    "realization": v.get("realization"),
                    "target": v.get("target"),
                }
        indicators[ind["code"]] = per
    # Table 3.3 (L769) prints the perspectives; Internal Process as 119.97
    perspectives = dict(ref["expected_rollup"]["perspectives"]) | {"internal_process": 119.97}
    return {
        "nko": ref["expected_rollup"]["nko"],
        "predicate": ref["expected_rollup"]["predikat"],
        "perspectives": perspectives,
        "objectives": ref["expected_rollup"]["objectives"],
        "indicators": indicators,
    }
