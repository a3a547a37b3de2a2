"""Score routers: scores, consolidated view, explain, report check, what-it-takes."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from pydantic import Field

from kernel.auth import Principal, PrincipalDep
from kernel.errors import PROBLEM_RESPONSES, NotFound
from kernel.params import CodePath
from kernel.types import BoundedNumber, InputModel
from kernel.wire import ExactJSONResponse
from services.scoring.engine.analysis import (
    explain_indicator,
    explain_scorecard,
    report_check,
    what_it_takes,
)
from services.scoring.engine.numbers import display
from services.scoring.engine.periods import SCORE_PERIODS, ScorePeriod
from services.scoring.engine.scorecard import Prepared, score
from services.scoring.schemas.scores import (
    ConsolidatedOut,
    ExplainOut,
    MemberLine,
    ReportCheckOut,
    ScorecardOut,
    WhatItTakesOut,
)
from services.scoring.service import scores as service
from services.scoring.service.bundle_cache import BundleCache
from services.scoring.service.cycle import evidence_path_applies, evidence_path_json
from services.scoring.service.manuals import ManualCache
from services.scoring.service.present import iku_json, satker_out, scorecard_json
from services.scoring.service.zi_link import zi_only

router = APIRouter(prefix="/api/v1/scoring", tags=["scores"], responses=PROBLEM_RESPONSES)

Code = CodePath  # checked here, so nothing unchecked reaches the registry/evidence URLs
Year = Annotated[int, Query(ge=2000, le=2100, description="agreement year")]
Period = Annotated[ScorePeriod, Query(description="Q1, Q2, S1, Q3, TQ3, Q4 or Y")]
AsOf = Annotated[str | None, Query(description="ISO-8601: score the data as recorded at that moment")]


def _peers(request: Request) -> service.Peers:
    """The peer clients (registry, evidence) the app was composed with."""
    peers: service.Peers = request.app.state.peers
    return peers


async def _load(request: Request, principal: Principal, *, code: str, year: int, as_of: str | None) -> Prepared:
    """The satker's prepared bundle with this app's peers and caches (:func:`service.load`)."""
    return await service.load(
        peers=_peers(request),
        manuals=_manuals(request),
        bundles=_bundles(request),
        principal=principal,
        code=code,
        year=year,
        as_of=as_of,
    )


def _bundles(request: Request) -> BundleCache:
    """The prepared bundles kept between requests, re-used on the registry's 304 (ADR 0026)."""
    bundles: BundleCache = request.app.state.bundles
    return bundles


def _manuals(request: Request) -> ManualCache:
    """The content-keyed cache of parsed manuals and rule sets."""
    manuals: ManualCache = request.app.state.manuals
    return manuals


#: ``?year=2024&indicator=4a-N&target_index=110`` on the shipped data (tests check it is a WhatItTakesOut)
WHAT_IT_TAKES_EXAMPLE: dict[str, Any] = {
    "indicator": "4a-N",
    "period": "Y",
    "polarity": "max",
    "consolidation": "take_last_known_value",
    "target": 3.0,
    "target_index": 110,
    "current_realization": 3.93,
    "current_index": 120,
    "rule_set": {"code": "KMK-300-2022", "version": 1},
    "reachable": True,
    "direction": "at_least",
    "required_realization": 3.3,
    "formula": "R / T × 100",
    "already_reached": True,
    "gap": -0.63,
    "remaining": {
        "note": "take last known value: the realisation reported at the end of the window must reach the required value"
    },
}

AsSubmitted = Annotated[
    bool,
    Query(description="score as if the period were submitted: the verified-evidence path applied (ADR 0020)"),
]


@router.get(
    "/satkers/{code}/scores",
    summary="NKO, perspectives, SS and IKU indices of one satker",
    description="Recomputed on every request from the registry's bundle and the verified evidence facts "
    "(exact decimals; `*_display` rounded as printed). `period`: Q1..Q4, S1, S2 or Y; `as_of` reads the "
    "agreement as it stood at that moment. Numbers are exact: the Decimal's own digits (ADR 0018).",
    response_model=ScorecardOut,
    response_class=ExactJSONResponse,
    responses={
        200: {
            "content": {
                "application/json": {
                    "example": {
                        "satker": {"code": "WBC.16", "name": "Kantor Wilayah DJBC Kalimantan Bagian Timur"},
                        "period": "Y",
                        "nko": 118.2972543943141,
                        "nko_display": "118.30",
                        "predicate": "Istimewa",
                        "partial": False,
                        "perspectives": [
                            {
                                "code": "stakeholder",
                                "weight": 0.3,
                                "index": 116.54181217196843,
                                "index_display": "116.54",
                            }
                        ],
                    }
                }
            }
        }
    },
)
async def get_scores(
    request: Request,
    principal: PrincipalDep,
    code: Code,
    year: Year,
    period: Period = "Y",
    as_of: AsOf = None,
    as_submitted: AsSubmitted = False,
) -> ExactJSONResponse:
    prepared = await _load(request, principal, code=code, year=year, as_of=as_of)
    raw = await service.fetch_evidence(peers=_peers(request), principal=principal, prepared=prepared, period=period)
    applies = as_submitted or evidence_path_applies(prepared, period)
    body = scorecard_json(score(prepared, period, evidence=raw if applies else zi_only(raw)))  # ADR 0025
    path = evidence_path_json(prepared, period, raw, as_submitted=as_submitted)
    if path is not None:
        body["evidence_path"] = path
    return ExactJSONResponse(body)


@router.get(
    "/satkers/{code}/consolidated",
    summary="A Kanwil: own NKO, every satker under it, region-wide IKU",
    description="The Kanwil's own scores, one line per satker under it (NKO, predicate, status per IKU) and "
    "the region-wide IKU aggregated by each manual's rule. Only the satkers the caller may read are listed.",
    response_model=ConsolidatedOut,
    response_class=ExactJSONResponse,
    responses={
        200: {
            "content": {
                "application/json": {
                    "example": {
                        "satker": {"code": "WBC.16", "kind": "kanwil"},
                        "period": "Y",
                        "year": 2024,
                        "nko_display": "118.30",
                        "predicate": "Istimewa",
                        "satkers": [{"code": "WBC.16", "nko_display": "118.30", "statuses": {"1a-N": "green"}}],
                        "region": [{"code": "1a-N", "aggregation": "sum_of_parts", "index": 120}],
                    }
                }
            }
        }
    },
)
async def get_consolidated(
    request: Request,
    principal: PrincipalDep,
    code: Code,
    year: Year,
    period: Period = "Y",
    as_of: AsOf = None,
    as_submitted: AsSubmitted = False,
) -> ExactJSONResponse:
    members = await service.load_subtree(
        peers=_peers(request), manuals=_manuals(request), principal=principal, code=code, year=year, as_of=as_of
    )
    own = next(p for p in members if p.satker["code"] == code)
    # one read of the evidence for the satkers' scores AND the region, so they cannot disagree
    evidence = await service.members_evidence(
        peers=_peers(request), principal=principal, members=members, period=period, as_submitted=as_submitted
    )
    cards = service.score_members(members, period, evidence)
    own_card = cards[code]
    table: list[MemberLine] = []
    for p in sorted(members, key=lambda x: (len(x.satker["path"]), x.satker["code"])):
        c = cards[p.satker["code"]]
        table.append(
            {
                "code": p.satker["code"],
                "name": p.satker["name"],
                "kind": p.satker["kind"],
                "path": p.satker["path"],
                "nko": c.nko,
                "nko_display": display(c.nko),
                "predicate": c.predicate,
                "partial": c.partial,
                "statuses": {s.indicator.code: s.achievement.status for s in c.indicators},
            }
        )
    region = [service.region_value(own, members, ind, period, evidence) for ind in own.indicators]
    body: ConsolidatedOut = {
        "satker": satker_out(own.satker),
        "period": period,
        "year": year,
        "nko": own_card.nko,
        "nko_display": display(own_card.nko),
        "predicate": own_card.predicate,
        "satkers": table,
        "region": region,
    }
    return ExactJSONResponse(body)


@router.get(
    "/satkers/{code}/explain",
    summary="Every number with its derivation",
    description="Without `indicator`: the roll-up (SS from IKU, perspectives from SS, NKO from perspectives) "
    "with the formulas of the rule set. With `indicator`: that IKU's inputs, the manual's steps, the target "
    "and its addenda, the formula, the clamp and its place in the roll-up, plus the roll-up.",
    response_model=ExplainOut,
    response_class=ExactJSONResponse,
)
async def get_explain(
    request: Request,
    principal: PrincipalDep,
    code: Code,
    year: Year,
    period: Period = "Y",
    indicator: Annotated[str | None, Query(max_length=32, description="IKU code; omit for the roll-up")] = None,
    as_of: AsOf = None,
) -> ExactJSONResponse:
    prepared = await _load(request, principal, code=code, year=year, as_of=as_of)
    if indicator is not None and prepared.indicator(indicator) is None:
        raise NotFound(f"indicator {indicator} is not in the agreement of {code} for {year}", field="indicator")
    card = await service.scorecard(
        peers=_peers(request), principal=principal, prepared=prepared, period=period, trace=True
    )
    body: dict[str, Any] = explain_scorecard(card)  # the engine's dicts: ExplainOut (tests check them)
    if indicator is not None:
        s = card.iku(indicator)
        assert s is not None
        body = {"indicator": explain_indicator(card, s), "score": iku_json(s), "roll_up": body}
    return ExactJSONResponse(body)


class IndicatorPrinted(InputModel):
    index: BoundedNumber | None = None
    realization: BoundedNumber | None = None
    target: BoundedNumber | None = None


class PrintedReport(InputModel):
    """Values as a printed report (LAKIN) shows them, to be checked against the recomputation.

    Numbers: finite, below 1e15 in magnitude, at most 10 decimals and 15 significant digits.
    """

    # BoundedNumber (docs/contracts.md §4): a printed 1e50 overflowed the engine's quantisation
    # while the differences were computed (a 500); now it is a 422 naming the field

    period: ScorePeriod = "Y"
    nko: BoundedNumber | None = None
    predicate: Annotated[str, Field(max_length=64)] | None = None
    perspectives: dict[Annotated[str, Field(max_length=64)], BoundedNumber] = Field(default_factory=dict)
    objectives: dict[Annotated[str, Field(max_length=32)], BoundedNumber] = Field(default_factory=dict)
    indicators: dict[str, dict[ScorePeriod, IndicatorPrinted]] = Field(default_factory=dict)


@router.post(
    "/satkers/{code}/report-check",
    summary="Where printed values differ from the recomputation",
    description="Send the values a printed report (LAKIN) shows; the answer lists each printed value that "
    "contradicts the recomputation (`differences`) apart from those that are only its rounding or truncation "
    "(`rounding`). `consistent` is true when nothing contradicts.",
    response_model=ReportCheckOut,
    response_class=ExactJSONResponse,
    openapi_extra={
        "requestBody": {
            "content": {
                "application/json": {
                    "example": {
                        "period": "Y",
                        "nko": 118.3,
                        "predicate": "Istimewa",
                        "perspectives": {"stakeholder": 116.54},
                        "indicators": {"1a-N": {"Y": {"index": 120, "realization": 0.4}}},
                    }
                }
            }
        }
    },
)
async def post_report_check(
    request: Request, principal: PrincipalDep, code: Code, year: Year, body: PrintedReport, as_of: AsOf = None
) -> ExactJSONResponse:
    prepared = await _load(request, principal, code=code, year=year, as_of=as_of)
    printed = body.model_dump(exclude_none=True)
    printed["indicators"] = {
        c: {p: v.model_dump(exclude_unset=True) for p, v in per.items()} for c, per in body.indicators.items()
    }
    evidence = {
        p: await service.evidence_for(peers=_peers(request), principal=principal, prepared=prepared, period=p)
        for p in SCORE_PERIODS
    }
    return ExactJSONResponse(report_check(prepared, printed, evidence=evidence))  # ReportCheckOut


@router.get(
    "/satkers/{code}/what-it-takes",
    summary="Realisation needed for a given index",
    description="The realisation one IKU needs in `period` to reach `target_index` (e.g. 100 or 120), by its "
    "polarity and the rule set's formula; for a Sum/Average IKU also what the remaining quarters must "
    "deliver. `reachable: false` says why not (clamp, target 0, no formula).",
    response_model=WhatItTakesOut,
    response_class=ExactJSONResponse,
    responses={200: {"content": {"application/json": {"example": WHAT_IT_TAKES_EXAMPLE}}}},
)
async def get_what_it_takes(
    request: Request,
    principal: PrincipalDep,
    code: Code,
    year: Year,
    indicator: Annotated[str, Query(max_length=32)],
    target_index: Annotated[Decimal, Query(ge=0, le=1000, description="the index to reach, e.g. 100 or 120")],
    period: Period = "Y",
    as_of: AsOf = None,
) -> ExactJSONResponse:
    prepared = await _load(request, principal, code=code, year=year, as_of=as_of)
    if prepared.indicator(indicator) is None:
        raise NotFound(f"indicator {indicator} is not in the agreement of {code} for {year}", field="indicator")
    evidence = await service.evidence_for(peers=_peers(request), principal=principal, prepared=prepared, period=period)
    result = what_it_takes(prepared, indicator, period, target_index, evidence=evidence.get(indicator))
    return ExactJSONResponse(result)  # WhatItTakesOut
