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
