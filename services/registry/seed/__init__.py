"""Shipped data sets in the import format (``kinerja.agreement/v1``), one folder per set.

``<name>/agreement.yaml`` holds the satker, the agreement, targets with addenda and measures;
``<name>/manuals.yaml`` (optional, maintained with the scoring engine) maps IKU code →
``{manual: {...}, measures: {period: {part: value}}}``. :func:`load_seed_document` merges the two
into one import document, ready for ``POST /api/v1/registry/import``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

SEED_DIR = Path(__file__).resolve().parent


def load_seed_document(name: str = "kalbagtim-2024") -> dict[str, Any]:
    """Read ``agreement.yaml`` of the set and merge ``manuals.yaml`` (manuals, measure parts) if present.

    Measure parts from ``manuals.yaml`` are laid over those of ``agreement.yaml`` part by part, so
    the manuals' authors can add the raw components an IKU is computed from (and correct a part)
    without repeating the reported realisations.
    """
    folder = SEED_DIR / name
    with (folder / "agreement.yaml").open(encoding="utf-8") as fh:
        document: dict[str, Any] = yaml.safe_load(fh)
    manuals_file = folder / "manuals.yaml"
    if manuals_file.exists():
        with manuals_file.open(encoding="utf-8") as fh:
            extra: dict[str, Any] = yaml.safe_load(fh) or {}
        agreement = document["agreement"]
        manuals = agreement.setdefault("manuals", {}) or {}
        measures = agreement.setdefault("measures", {}) or {}
        agreement["manuals"], agreement["measures"] = manuals, measures
        for code, entry in extra.items():
            entry = entry or {}
            if entry.get("manual") is not None:
                manuals[str(code)] = entry["manual"]
            for period, parts in (entry.get("measures") or {}).items():
                measures.setdefault(str(code), {}).setdefault(str(period), {}).update(parts or {})
    return document


def load_history_requests(name: str = "kalbagtim-2024") -> list[tuple[str, dict[str, Any]]]:
    """The set's ``history.yaml`` and ``budget.yaml`` as registry writes: ``(path, body)`` pairs for
    ``PUT`` (issue 12, ADR 0019), in the order they must be sent.

    An IKU's own results go in only for the years the set has no agreement for (the agreement's
    year is scored from the agreement), the sub-series (``sub_indicators``) every year; plans and
    budget per year as transcribed. Budget: the items of Tables 3.83/3.85 with the pagu history
    and the outputs for the report year, and the previous year's spending types of Table 3.84 (its
    only figures) as that year's items.
    """
    folder = SEED_DIR / name
    agreement_year = int(load_seed_document(name)["agreement"]["year"])
    with (folder / "history.yaml").open(encoding="utf-8") as fh:
        history: dict[str, Any] = yaml.safe_load(fh)
    satker = str(history["satker"])
    base = f"/api/v1/registry/satkers/{satker}"
    by_year: dict[int, list[dict[str, Any]]] = {}

    def add(year: int, row: dict[str, Any], result: dict[str, Any]) -> None:
        for key in ("target", "realization", "index", "target_percent", "realization_percent", "printed", "note"):
            if row.get(key) is not None:
                result[key] = row[key]
        by_year.setdefault(year, []).append(result)

    for ind in history["indicators"]:
        for row in ind["rows"]:
            year = int(row["year"])
            if year == agreement_year:
                continue
            result = {
                "indicator": ind["code"],
                "printed_code": row.get("code"),
                "same_indicator": row.get("same_indicator_as") is not None,
                "name": row["name"],
                "unit": row.get("unit"),
                "polarity": ind["polarity"],
                "source": ind.get("source"),
            }
            add(year, row, result)
    # a sub-series (a part of an IKU with a five-year table of its own) is recorded every year,
    # the agreement's too: the agreement scores no target or index of a part (ADR 0019)
    for sub in history.get("sub_indicators") or []:
        for row in sub["rows"]:
            result = {
                "indicator": sub["part_of"],
                "series": sub["key"],
                "printed_code": row.get("code"),
                "name": row["name"],
                "unit": row.get("unit"),
                "polarity": sub["polarity"],
                "source": sub.get("source"),
            }
            add(int(row["year"]), row, result)
    requests: list[tuple[str, dict[str, Any]]] = [
        (f"{base}/history/{year}", {"results": rows}) for year, rows in sorted(by_year.items())
    ]
    plans: dict[int, list[dict[str, Any]]] = {}
    for p in history.get("plans") or []:
        target = {"indicator": p["iku"], "plan": p["plan"]}
        for key in ("target", "unit", "objective", "source", "note"):
            if p.get(key) is not None:
                target[key] = p[key]
        plans.setdefault(int(p["year"]), []).append(target)
    requests += [(f"{base}/plans/{year}", {"targets": rows}) for year, rows in sorted(plans.items())]

    with (folder / "budget.yaml").open(encoding="utf-8") as fh:
        budget: dict[str, Any] = yaml.safe_load(fh)
    year = int(budget["year"])
    groups = {r["item"]: r["group"] for r in budget["revision_by_item"]["rows"]}
    items = []
    for r in budget["realization_by_item"]["rows"]:
        item = {k: r[k] for k in ("item", "initial", "revised", "gross", "refunds", "net")}
        item["spending_type"] = groups[r["item"]]
        if r.get("note"):
            item["note"] = r["note"]
        items.append(item)
    ph = budget["pagu_history"]
    changes = [
        {
            "kind": "initial",
            "amount": ph["initial"]["amount"],
            "document_number": ph["initial"]["dipa"]["number"],
            "document_date": ph["initial"]["dipa"]["date"],
            "subject": "DIPA; alokasi: "
            + ph["initial"]["allocation_document"]["number"]
            + " "
            + ph["initial"]["allocation_document"]["subject"],
        }
    ]
    for a in ph.get("additions") or []:
        change = {
            "kind": "addition",
            "amount": a["amount"],
            "spending_type": a.get("spending_type"),
            "document_number": a["document"]["number"],
            "document_date": a["document"].get("date"),
            "subject": a["document"].get("subject"),
        }
        if a.get("note"):
            change["note"] = a["note"]
        changes.append(change)
    outputs = []
    for r in budget["by_output"]["rows"]:
        out = {k: r[k] for k in ("programme", "activity", "output_class", "output", "budget")}
        out["realization"] = r["realization"]
        if r.get("note"):
            out["note"] = r["note"]
        outputs.append(out)
    requests.append((f"{base}/budget/{year}", {"items": items, "outputs": outputs, "changes": changes}))
    previous: list[dict[str, Any]] = []
    for r in budget["realization_by_type"]["rows"]:
        y = r.get(f"y{year - 1}")
        if y is not None:
            previous.append(
                {"item": r["label"], "spending_type": r["type"], "revised": y["budget"], "net": y["realization"]}
            )
    if previous:
        requests.append((f"{base}/budget/{year - 1}", {"items": previous}))
    return requests
