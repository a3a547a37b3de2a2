"""Frozen scorecards for a publication (ADR 0020): computed, hashed, returned; stored by the registry."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request

from kernel.auth import Action, PrincipalDep, ensure_allowed
from kernel.errors import PROBLEM_RESPONSES, NotFound
from kernel.params import CodePath
from services.scoring.domain import service
from services.scoring.domain.present import scorecard_json
from services.scoring.engine.analysis import plain
from services.scoring.engine.periods import ScorePeriod
from services.scoring.engine.scorecard import score
from services.scoring.service.cycle import evidence_path_applies, evidence_path_json, input_hashes

router = APIRouter(prefix="/api/v1/scoring", tags=["reporting_cycle"], responses=PROBLEM_RESPONSES)


@router.get(
    "/satkers/{code}/frozen-scorecards",
    summary="The scorecards of a Kanwil and every satker under it at an instant, with the hash of their inputs",
    description="What a publication stores (the registry asks at the publication instant). Recompute a "
    "published scorecard by asking again with its `as_of`: equal `inputs_sha256` = the same inputs.",
)
async def frozen_scorecards(
    request: Request,
    principal: PrincipalDep,
    code: CodePath,
    year: Annotated[int, Query(ge=2000, le=2100)],
    period: Annotated[ScorePeriod, Query()],
    as_of: Annotated[datetime, Query(description="ISO-8601 instant (required: a frozen scorecard has one)")],
) -> dict[str, Any]:
    at = as_of.isoformat()
    body = await request.app.state.peers["registry"].get_json(
        service.BUNDLES.format(code=code, year=year), token=principal.token, params={"as_of": at}
    )
    bundles = body.get("items", [])
    for b in bundles:  # a partial region would be a wrong publication: every member or nothing
        ensure_allowed(principal, Action.READ, b["satker"]["path"])
    if not any(b["satker"]["code"] == code for b in bundles):
        raise NotFound(f"satker {code} has no agreement for {year}")
    items = []
    for b in bundles:
        prepared = service._prepare(request, b)
        raw = await service.fetch_evidence(request, principal, prepared, period)
        used = raw if evidence_path_applies(prepared, period) else {}
        card = scorecard_json(score(prepared, period, evidence=used))
        path = evidence_path_json(prepared, period, raw)
        if path is not None:
            card["evidence_path"] = plain(path)
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
    return {"satker": code, "year": year, "period": period, "as_of": at, "items": items}
