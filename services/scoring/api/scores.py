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
from services.scoring.engine.analysis import (
    explain_indicator,
    explain_scorecard,
    plain,
    report_check,
    what_it_takes,
)
from services.scoring.engine.numbers import display
from services.scoring.engine.periods import SCORE_PERIODS, ScorePeriod
from services.scoring.engine.scorecard import score
from services.scoring.service import scores as service
from services.scoring.service.cycle import evidence_path_applies, evidence_path_json
from services.scoring.service.present import iku_json, scorecard_json
from services.scoring.service.zi_link import zi_only

router = APIRouter(prefix="/api/v1/scoring", tags=["scores"], responses=PROBLEM_RESPONSES)

Code = CodePath  # checked here, so nothing unchecked reaches the registry/evidence URLs
Year = Annotated[int, Query(ge=2000, le=2100, description="agreement year")]
Period = Annotated[ScorePeriod, Query(description="Q1, Q2, S1, Q3, TQ3, Q4 or Y")]
AsOf = Annotated[str | None, Query(description="ISO-8601: score the data as recorded at that moment")]


def _peers(request: Request, principal: Principal) -> dict[str, Any]:
    """What every scores use case takes from the app: the peer clients, and the caller."""
    return {"peers": request.app.state.peers, "principal": principal}


def _ctx(request: Request, principal: Principal) -> dict[str, Any]:
    """…and the manual cache, for the use cases that parse bundles."""
    return {**_peers(request, principal), "manuals": request.app.state.manuals}


AsSubmitted = Annotated[
    bool,
    Query(description="score as if the period were submitted: the verified-evidence path applied (ADR 0020)"),
]


@router.get(
    "/satkers/{code}/scores",
    summary="NKO, perspectives, SS and IKU indices of one satker",
    description="Recomputed on every request from the registry's bundle and the verified evidence facts "
    "(exact decimals; `*_display` rounded as printed). `period`: Q1..Q4, S1, S2 or Y; `as_of` reads the "
    "agreement as it stood at that moment.",
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
) -> dict[str, Any]:
    prepared = await service.load(**_ctx(request, principal), code=code, year=year, as_of=as_of)
    raw = await service.fetch_evidence(**_peers(request, principal), prepared=prepared, period=period)
    applies = as_submitted or evidence_path_applies(prepared, period)
    body = scorecard_json(score(prepared, period, evidence=raw if applies else zi_only(raw)))  # ADR 0025
    path = evidence_path_json(prepared, period, raw, as_submitted=as_submitted)
    if path is not None:
        body["evidence_path"] = plain(path)
    return body


@router.get(
    "/satkers/{code}/consolidated",
    summary="A Kanwil: own NKO, every satker under it, region-wide IKU",
    description="The Kanwil's own scores, one line per satker under it (NKO, predicate, status per IKU) and "
    "the region-wide IKU aggregated by each manual's rule.",
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
) -> dict[str, Any]:
    members = await service.load_subtree(**_ctx(request, principal), code=code, year=year, as_of=as_of)
    own = next(p for p in members if p.satker["code"] == code)
    # one read of the evidence for the satkers' scores AND the region, so they cannot disagree
    evidence = await service.members_evidence(
        **_peers(request, principal), members=members, period=period, as_submitted=as_submitted
    )
    cards = service.score_members(members, period, evidence)
    own_card = cards[code]
    table = []
    for p in sorted(members, key=lambda x: (len(x.satker["path"]), x.satker["code"])):
        c = cards[p.satker["code"]]
        table.append(
            {
                "code": p.satker["code"],
                "name": p.satker["name"],
                "kind": p.satker["kind"],
                "path": p.satker["path"],
                "nko": plain(c.nko),
                "nko_display": display(c.nko),
                "predicate": c.predicate,
                "partial": c.partial,
                "statuses": {s.indicator.code: s.achievement.status for s in c.indicators},
            }
        )
    region = [plain(service.region_value(own, members, ind, period, evidence)) for ind in own.indicators]
    return {
        "satker": scorecard_json(own_card)["satker"],
        "period": period,
        "year": year,
        "nko": plain(own_card.nko),
        "nko_display": display(own_card.nko),
        "predicate": own_card.predicate,
        "satkers": table,
        "region": region,
    }


@router.get("/satkers/{code}/explain", summary="Every number with its derivation")
async def get_explain(
    request: Request,
    principal: PrincipalDep,
    code: Code,
    year: Year,
    period: Period = "Y",
    indicator: Annotated[str | None, Query(max_length=32, description="IKU code; omit for the roll-up")] = None,
    as_of: AsOf = None,
) -> dict[str, Any]:
    prepared = await service.load(**_ctx(request, principal), code=code, year=year, as_of=as_of)
    if indicator is not None and prepared.indicator(indicator) is None:
        raise NotFound(f"indicator {indicator} is not in the agreement of {code} for {year}", field="indicator")
    card = await service.scorecard(**_peers(request, principal), prepared=prepared, period=period, trace=True)
    body = explain_scorecard(card)
    if indicator is not None:
        s = card.iku(indicator)
        assert s is not None
        body = {"indicator": explain_indicator(card, s), "score": iku_json(s), "roll_up": body}
    return plain(body)  # type: ignore[no-any-return]


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


@router.post("/satkers/{code}/report-check", summary="Where printed values differ from the recomputation")
async def post_report_check(
    request: Request, principal: PrincipalDep, code: Code, year: Year, body: PrintedReport, as_of: AsOf = None
) -> dict[str, Any]:
    prepared = await service.load(**_ctx(request, principal), code=code, year=year, as_of=as_of)
    printed = body.model_dump(exclude_none=True)
    printed["indicators"] = {
        c: {p: v.model_dump(exclude_unset=True) for p, v in per.items()} for c, per in body.indicators.items()
    }
    evidence = {
        p: await service.evidence_for(**_peers(request, principal), prepared=prepared, period=p) for p in SCORE_PERIODS
    }
    return plain(report_check(prepared, printed, evidence=evidence))  # type: ignore[no-any-return]


@router.get("/satkers/{code}/what-it-takes", summary="Realisation needed for a given index")
async def get_what_it_takes(
    request: Request,
    principal: PrincipalDep,
    code: Code,
    year: Year,
    indicator: Annotated[str, Query(max_length=32)],
    target_index: Annotated[Decimal, Query(ge=0, le=1000, description="the index to reach, e.g. 100 or 120")],
    period: Period = "Y",
    as_of: AsOf = None,
) -> dict[str, Any]:
    prepared = await service.load(**_ctx(request, principal), code=code, year=year, as_of=as_of)
    if prepared.indicator(indicator) is None:
        raise NotFound(f"indicator {indicator} is not in the agreement of {code} for {year}", field="indicator")
    evidence = await service.evidence_for(**_peers(request, principal), prepared=prepared, period=period)
    result = what_it_takes(prepared, indicator, period, target_index, evidence=evidence.get(indicator))
    return plain(result)  # type: ignore[no-any-return]
