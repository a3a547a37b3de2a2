"""The consolidated view of a Kanwil agrees with itself once evidence exists.

The region block and the satkers' own scores come from the same realisations, evidence
included: with aggregation ``own`` the region figure IS the Kanwil's own score.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import pytest

from tests.conftest import bearer
from tests.evidence.support import pdf
from tests.system.conftest import EV, KANWIL, YEAR, World, WorldFactory

pytestmark = pytest.mark.anyio


@pytest.fixture(scope="module")
async def world(world_factory: WorldFactory) -> AsyncIterator[World]:
    async with world_factory("consolidated") as w:
        yield w


async def _verified_patrol(world: World, date: str, period: str) -> None:
    """A verified LPT (patrol, no outcome yet) of the Kanwil for 8a-N, whose manual scores evidence."""
    c = world.client
    operator = bearer(world.mint("satker_operator", KANWIL, sub="ana@WBC.16"))
    reviewer = bearer(world.mint("reviewer", KANWIL, sub="budi@WBC.16"))
    meta = {
        "kind": "LPT",
        "number": f"LPT-{date[5:7]}/{KANWIL}/{YEAR}",
        "document_date": date,
        "indicator": "8a-N",
        "period": period,
        "fields": {"activity": "patrol"},
    }
    r = await c.post(
        f"{EV}/satkers/{KANWIL}/documents",
        content=pdf(),
        headers=operator | {"X-Evidence-Metadata": json.dumps(meta), "Content-Type": "application/pdf"},
    )
    assert r.status_code == 201, r.text
    r = await c.post(f"{EV}/documents/{r.json()['id']}/review", json={"decision": "verify"}, headers=reviewer)
    assert r.status_code == 200, r.text


@pytest.mark.parametrize("period", ["Q2", "Y"])
async def test_region_is_computed_from_the_same_realisations_as_the_satkers(world: World, period: str) -> None:
    if period == "Q2":
        await _verified_patrol(world, "2024-05-14", "Q2")
    c = world.client
    manager = bearer(world.mint("kanwil_manager", KANWIL, sub="maya@WBC.16"))
    q = {"year": YEAR, "period": period}
    own = await c.get(f"/api/v1/scoring/satkers/{KANWIL}/scores", params=q, headers=manager)
    view = await c.get(f"/api/v1/scoring/satkers/{KANWIL}/consolidated", params=q, headers=manager)
    assert own.status_code == 200 and view.status_code == 200, (own.text, view.text)
    scores: dict[str, dict[str, Any]] = {i["code"]: i for i in own.json()["indicators"]}
    region: dict[str, dict[str, Any]] = {r["code"]: r for r in view.json()["region"]}
    # the evidence counts: 8a-N is scored from the verified patrol, not from the reported figure
    assert "evidence" in json.dumps(
        (
            await c.get(f"/api/v1/scoring/satkers/{KANWIL}/explain", params=q | {"indicator": "8a-N"}, headers=manager)
        ).json()["indicator"]["manual"]["steps"]
    )
    own_aggregated = [code for code, r in region.items() if r["aggregation"] == "own"]
    assert "8a-N" in own_aggregated
    for code in own_aggregated:
        mine, theirs = scores[code], region[code]
        assert (theirs["realization"], theirs["index"], theirs["status"]) == (
            mine["realization"],
            mine["index"],
            mine["status"],
        ), code
    assert view.json()["satkers"][0]["statuses"]["8a-N"] == region["8a-N"]["status"]
