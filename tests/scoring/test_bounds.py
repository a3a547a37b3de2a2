"""``report-check`` takes printed values in the documented range only (docs/contracts.md §4).

A printed value of 1e50 or more overflowed the engine's quantisation while the differences were
computed: a 500 for a request any reader of a report could send.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest

from kernel.settings import AuthSettings, CommonSettings
from tests.conftest import Mint, bearer
from tests.scoring.reference import printed_values
from tests.scoring.test_api import scoring_client

pytestmark = pytest.mark.anyio
URL = "/api/v1/scoring/satkers/WBC.16/report-check"


def _with(path: list[str], value: Any) -> dict[str, Any]:
    doc = copy.deepcopy(printed_values())
    node = doc
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    return doc


@pytest.mark.parametrize("value", [1e50, "1e50", 1e300, "1e999999", "9" * 5000, "NaN", "-Infinity"])
@pytest.mark.parametrize(
    ("path", "field"),
    [
        (["nko"], "nko"),
        (["perspectives", "customer"], "perspectives.customer"),
        (["objectives", "SS-2"], "objectives.SS-2"),
        (["indicators", "1a-N", "Q1", "realization"], "indicators.1a-N.Q1.realization"),
    ],
)
async def test_out_of_range_printed_values_are_422(
    auth: AuthSettings, common: CommonSettings, mint: Mint, value: Any, path: list[str], field: str
) -> None:
    async with scoring_client(auth, common, []) as (c, _):
        r = await c.post(URL, params={"year": 2024}, json=_with(path, value), headers=bearer(mint()))
    assert r.status_code == 422, r.text
    assert r.headers["content-type"] == "application/problem+json"
    assert r.json()["errors"][0]["field"] == field


async def test_nul_in_a_printed_predicate_is_422(auth: AuthSettings, common: CommonSettings, mint: Mint) -> None:
    async with scoring_client(auth, common, []) as (c, _):
        r = await c.post(URL, params={"year": 2024}, json=_with(["predicate"], "Istimewa\x00"), headers=bearer(mint()))
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "predicate"
