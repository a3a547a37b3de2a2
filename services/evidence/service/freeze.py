"""Validated evidence is frozen (issue 11, ADR 0020 / ADR 0024).

Once the Kanwil's reviewer has validated a satker's report of a quarter (and after it is
published), the evidence the validation looked at must not change under it: a new revision of a
document of that quarter is refused until an admin reopens the period (a new revision of the
submission in the registry). The state of the period is the registry's: it is read over HTTP
(``GET …/agreements/{year}/cycle``, the caller's token forwarded) at every revision, never
cached, so a reopen is seen by the next request.

Which quarter a document belongs to is its document date's (the same rule the registry's
submission check uses for "evidence still in review"); a correction is checked against the
quarter of the revision it replaces *and* the quarter of its new date, so moving a document out
of a validated quarter is refused as well.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

from kernel.auth import Principal
from kernel.errors import Conflict
from services.evidence.service.context import Runtime

CYCLE = "/api/v1/registry/satkers/{code}/agreements/{year}/cycle"
#: the registry's period states in which the quarter's evidence is frozen
FROZEN = frozenset({"validated", "published"})
#: what people read (the JSON ``state`` stays the registry's English code)
LABELS = {"validated": "divalidasi", "published": "dipublikasikan"}


class PeriodFrozen(Conflict):
    slug, title = "period-validated", "Period validated: evidence frozen"


def quarter_of(d: date) -> str:
    return f"Q{(d.month - 1) // 3 + 1}"


async def ensure_revisable(rt: Runtime, principal: Principal, satker: str, dates: Iterable[date]) -> None:
    """Refuse (409 ``period-validated``) when the quarter of any of ``dates`` is validated or
    published in the registry for ``satker``; one registry read per year involved."""
    wanted: dict[int, set[str]] = {}
    for d in dates:
        wanted.setdefault(d.year, set()).add(quarter_of(d))
    for year, quarters in sorted(wanted.items()):
        body: dict[str, Any] = await rt.peers["registry"].get_json(
            CYCLE.format(code=satker, year=year), token=principal.token
        )
        for p in body.get("periods") or []:
            state = str(p.get("state"))
            if p.get("period") in quarters and state in FROZEN:
                period = str(p["period"])
                raise PeriodFrozen(
                    f"laporan {period} {year} {satker} sudah {LABELS[state]}: bukti periode ini dibekukan; "
                    "revisi dokumen memerlukan pembukaan kembali (reopen) periode oleh admin",
                    field="period",
                    extra={
                        "satker": satker,
                        "year": year,
                        "period": period,
                        "state": state,
                        "reopen": f"/api/v1/registry/satkers/{satker}/agreements/{year}/cycle/{period}/reopen",
                    },
                )
