"""Frozen scorecards for a publication (ADR 0020): computed, hashed, returned; the registry stores them."""

from __future__ import annotations

from kernel.auth import Principal
from kernel.client import Peers
from services.scoring.engine.scorecard import score
from services.scoring.schemas.scores import FrozenItem, FrozenScorecardsOut
from services.scoring.service.cycle import evidence_path_applies, evidence_path_json, input_hashes
from services.scoring.service.manuals import ManualCache
from services.scoring.service.present import scorecard_json
from services.scoring.service.scores import fetch_evidence, prepare_bundle, subtree_bundles
from services.scoring.service.zi_link import zi_only


async def frozen_scorecards(
    *, peers: Peers, manuals: ManualCache, principal: Principal, code: str, year: int, period: str, as_of: str
) -> FrozenScorecardsOut:
    """The scorecards of ``code`` and every satker under it at ``as_of``, each with the SHA-256 of
    its inputs (the bundle and the evidence facts exactly as received). Every member or nothing:
    a member the caller may not read is a 403, not a smaller region."""
    bundles = await subtree_bundles(peers=peers, principal=principal, code=code, year=year, as_of=as_of, every=True)
    items: list[FrozenItem] = []
    for b in bundles:
        prepared = prepare_bundle(manuals=manuals, bundle=b)
        raw = await fetch_evidence(peers=peers, principal=principal, prepared=prepared, period=period)
        used = raw if evidence_path_applies(prepared, period) else zi_only(raw)  # ADR 0025
        card = scorecard_json(score(prepared, period, evidence=used))
        path = evidence_path_json(prepared, period, raw)
        if path is not None:
            card["evidence_path"] = path
        hashes, total = input_hashes(b, raw)
        items.append(
            {
                "satker": b["satker"]["code"],
                "nko": card["nko"],
                "predicate": card["predicate"],
                "input_hashes": hashes,
                "inputs_sha256": total,
                "scorecard": card,
            }
        )
    return {"satker": code, "year": year, "period": period, "as_of": as_of, "items": items}
