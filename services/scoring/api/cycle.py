"""Frozen scorecards for a publication (ADR 0020): computed, hashed, returned; stored by the registry."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query, Request

from kernel.auth import PrincipalDep
from kernel.errors import PROBLEM_RESPONSES
from kernel.params import CodePath
from kernel.wire import ExactJSONResponse
from services.scoring.engine.periods import ScorePeriod
from services.scoring.schemas.scores import FrozenScorecardsOut
from services.scoring.service import frozen as service

router = APIRouter(prefix="/api/v1/scoring", tags=["reporting_cycle"], responses=PROBLEM_RESPONSES)


@router.get(
    "/satkers/{code}/frozen-scorecards",
    summary="The scorecards of a Kanwil and every satker under it at an instant, with the hash of their inputs",
    description="What a publication stores (the registry asks at the publication instant). Recompute a "
    "published scorecard by asking again with its `as_of`: equal `inputs_sha256` = the same inputs. "
    "Every member or nothing: a satker under the Kanwil the caller may not read is a 403.",
    response_model=FrozenScorecardsOut,
    response_class=ExactJSONResponse,
)
async def frozen_scorecards(
    request: Request,
    principal: PrincipalDep,
    code: CodePath,
    year: Annotated[int, Query(ge=2000, le=2100)],
    period: Annotated[ScorePeriod, Query()],
    as_of: Annotated[datetime, Query(description="ISO-8601 instant (required: a frozen scorecard has one)")],
) -> ExactJSONResponse:
    body = await service.frozen_scorecards(
        peers=request.app.state.peers,
        manuals=request.app.state.manuals,
        principal=principal,
        code=code,
        year=year,
        period=period,
        as_of=as_of.isoformat(),
    )
    return ExactJSONResponse(body)  # the numbers exact (ADR 0018); the shape is FrozenScorecardsOut
