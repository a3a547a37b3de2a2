"""The NKO pre-fill of the ZI hasil item "capaian kinerja lebih baik dari tahun sebelumnya" (issue 13, ADR 0025).

A template question marked ``prefill: nko_improvement`` (scale yes_no) is answered from kinerja's
own NKO history: the NKO of the year (period Y) against the NKO of the year before, both computed
here from the agreements stored in the registry, exactly as ``/scores`` computes them. The answer
is a *suggestion* with its provenance (both NKO, their agreements and the scores URLs to check
them): scoring keeps no data and writes nothing; ``answers`` is a body the unit's operator can send
to ``PUT .../zi/evaluations/{year}/levels/unit`` as it is. No agreement or no NKO for either year is
a 409 naming the year — never a guessed answer.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from kernel.auth import Principal
from kernel.client import Peers
from kernel.errors import Conflict, ProblemError
from services.scoring.engine.numbers import display
from services.scoring.service import scores
from services.scoring.service import zi_evaluations as stored
from services.scoring.service.manuals import ManualCache

PREFILL = "nko_improvement"
SCORES = "/api/v1/scoring/satkers/{code}/scores?year={year}&period=Y"


async def _nko(
    *, peers: Peers, manuals: ManualCache, principal: Principal, code: str, year: int
) -> tuple[Decimal, dict[str, Any]]:
    try:
        prepared = await scores.load(
            peers=peers, manuals=manuals, principal=principal, code=code, year=year, as_of=None
        )
    except ProblemError as exc:
        if exc.status_code == 404:
            raise Conflict(f"kinerja has no agreement of {code} for {year}: no NKO to compare", field="year") from None
        raise
    card = await scores.scorecard(peers=peers, principal=principal, prepared=prepared, period="Y")
    if card.nko is None:
        raise Conflict(f"the NKO of {code} for {year} (period Y) cannot be computed yet", field="year")
    return card.nko, {
        "year": year,
        "nko": str(card.nko),
        "nko_display": display(card.nko),
        "agreement": prepared.agreement.get("number"),
        "partial": card.partial,
        "scores": SCORES.format(code=code, year=year),
    }


async def prefill(*, peers: Peers, manuals: ManualCache, principal: Principal, code: str, year: int) -> dict[str, Any]:
    registry = peers["registry"]
    ev = await stored.evaluation(registry, principal, code, year)
    row = await registry.get_json(stored.TEMPLATE.format(**ev["template"]), token=principal.token)
    marked = [q for q in row["document"]["template"].get("questions") or [] if q.get("prefill") == PREFILL]
    if not marked:
        raise Conflict(
            f"template {ev['template']['code']} v{ev['template']['version']} has no question marked prefill: {PREFILL}",
            field="template",
        )
    now, current = await _nko(peers=peers, manuals=manuals, principal=principal, code=code, year=year)
    before, previous = await _nko(peers=peers, manuals=manuals, principal=principal, code=code, year=year - 1)
    better = now > before
    note = (
        f"Diisi dari riwayat NKO kinerja: NKO {year} {current['nko_display']} "
        f"{'lebih tinggi dari' if better else 'tidak lebih tinggi dari'} NKO {year - 1} {previous['nko_display']} "
        f"(PK {current['agreement']} / {previous['agreement']}; {current['scores']}, {previous['scores']})"
    )
    answer = "yes" if better else "no"
    return {
        "satker": code,
        "year": year,
        "template": ev["template"],
        "better": better,
        "source": {"current": current, "previous": previous},
        "answers": {q["code"]: {"answer": answer, "note": note} for q in marked},
    }
