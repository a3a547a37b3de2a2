"""Measures: ETag / If-Match, temporal history and as_of, closed periods, who may write."""

from __future__ import annotations

import httpx
import pytest

from tests.conftest import Mint, bearer
from tests.registry.conftest import mini_document

pytestmark = pytest.mark.anyio
R = "/api/v1/registry"
SATKER = "KBC.1683"
A = f"{R}/satkers/{SATKER}/agreements/2024"
M = f"{A}/indicators/1a-N/measures"


@pytest.fixture(scope="module")
async def agreement(api: httpx.AsyncClient, admin: dict[str, str]) -> str:
    r = await api.post(f"{R}/import", json=mini_document(SATKER, 2024, "PK-83/KBC.1683/2024"), headers=admin)
    assert r.status_code == 201, r.text
    return A


async def test_etag_if_match_and_history(api: httpx.AsyncClient, agreement: str, mint: Mint) -> None:
    operator = bearer(mint("satker_operator", SATKER, sub="ana"))
    first = await api.get(f"{M}/M01", headers=operator)
    assert first.status_code == 200 and first.json()["parts"] == {}
    etag0 = first.headers["etag"]
    parts = {"green_total_days": 5.2731, "green_docs": 1099, "red_total_days": 728.52, "red_docs": 306}

    missing = await api.put(f"{M}/M01", json={"parts": parts}, headers=operator)
    assert missing.status_code == 428 and missing.json()["errors"][0]["field"] == "If-Match"
    wrong = await api.put(f"{M}/M01", json={"parts": parts}, headers=operator | {"If-Match": '"m-nope"'})
    assert wrong.status_code == 412
    assert (await api.get(f"{M}/M01", headers=operator)).json()["parts"] == {}  # nothing written

    put = await api.put(f"{M}/M01", json={"parts": parts}, headers=operator | {"If-Match": etag0})
    assert put.status_code == 200, put.text
    etag1 = put.headers["etag"]
    assert etag1 != etag0 and put.json()["recorded_by"] == "ana"
    assert put.json()["parts"]["red_docs"] == 306

    stale = await api.patch(f"{M}/M01", json={"parts": {"red_docs": 307}}, headers=operator | {"If-Match": etag0})
    assert stale.status_code == 412
    patch = await api.patch(
        f"{M}/M01", json={"parts": {"red_docs": 307, "green_docs": None}}, headers=operator | {"If-Match": etag1}
    )
    assert patch.status_code == 200
    assert patch.json()["parts"] == {"green_total_days": 5.2731, "red_total_days": 728.52, "red_docs": 307}
    etag2 = patch.headers["etag"]
    assert (await api.get(f"{M}/M01", headers=operator)).headers["etag"] == etag2

    same = await api.patch(f"{M}/M01", json={"parts": {"red_docs": 307}}, headers=operator | {"If-Match": etag2})
    assert same.headers["etag"] == etag2  # no change, no new rows

    history = (await api.get(f"{M}/M01/history", headers=operator)).json()["items"]
    red = [(h["value"], h["superseded_at"] is None) for h in history if h["part"] == "red_docs"]
    assert red == [(306, False), (307, True)]
    put_time = next(h["recorded_at"] for h in history if h["part"] == "red_docs" and h["value"] == 306)
    then = await api.get(f"{M}/M01", params={"as_of": put_time}, headers=operator)
    assert then.json()["parts"]["red_docs"] == 306 and then.json()["parts"]["green_docs"] == 1099
    assert then.headers["etag"] == etag1

    null_in_put = await api.put(f"{M}/M01", json={"parts": {"x": None}}, headers=operator | {"If-Match": etag2})
    assert null_in_put.status_code == 422 and null_in_put.json()["errors"][0]["field"] == "parts.x"
    bad_part = await api.put(f"{M}/M01", json={"parts": {"Bad Name": 1}}, headers=operator | {"If-Match": etag2})
    assert bad_part.status_code == 422


async def test_operator_writes_only_own_satker(api: httpx.AsyncClient, agreement: str, mint: Mint) -> None:
    other = bearer(mint("satker_operator", "KBC.1602"))
    r = await api.put(f"{M}/Q2", json={"parts": {"realization": 1}}, headers=other | {"If-Match": "*"})
    assert r.status_code == 403
    viewer = bearer(mint("viewer", SATKER))
    r = await api.put(f"{M}/Q2", json={"parts": {"realization": 1}}, headers=viewer | {"If-Match": "*"})
    assert r.status_code == 403


async def test_closed_period_refuses_writes_until_reopened(
    api: httpx.AsyncClient, agreement: str, admin: dict[str, str], mint: Mint
) -> None:
    operator = bearer(mint("satker_operator", SATKER))
    manager = bearer(mint("kanwil_manager", "WBC.16"))
    assert (await api.post(f"{A}/periods/Q3/close", headers=operator)).status_code == 403
    closed = await api.post(f"{A}/periods/Q3/close", headers=manager)
    assert closed.status_code == 200 and closed.json()["closed"] is True
    assert (await api.post(f"{A}/periods/Q3/close", headers=manager)).status_code == 409

    for period in ("Q3", "M08"):  # the quarter and a month inside it
        etag = (await api.get(f"{M}/{period}", headers=operator)).headers["etag"]
        r = await api.put(f"{M}/{period}", json={"parts": {"realization": 0.3}}, headers=operator | {"If-Match": etag})
        assert r.status_code == 409, period
        assert r.json()["errors"][0]["field"] == "period"
    etag = (await api.get(f"{M}/TQ3", headers=operator)).headers["etag"]
    open_tq3 = await api.put(f"{M}/TQ3", json={"parts": {"realization": 0.4}}, headers=operator | {"If-Match": etag})
    assert open_tq3.status_code == 200  # Q3 closed does not lock the cumulative TQ3

    summary = (await api.get(A, headers=operator)).json()
    assert summary["closed_periods"] == ["Q3"]
    assert (await api.get(f"{A}/bundle", headers=operator)).json()["closed_periods"] == ["Q3"]

    assert (await api.post(f"{A}/periods/Q3/reopen", headers=manager)).status_code == 403  # admin only
    reopened = await api.post(f"{A}/periods/Q3/reopen", headers=admin)
    assert reopened.status_code == 200 and reopened.json()["closed"] is False
    etag = (await api.get(f"{M}/Q3", headers=operator)).headers["etag"]
    r = await api.put(f"{M}/Q3", json={"parts": {"realization": 0.3}}, headers=operator | {"If-Match": etag})
    assert r.status_code == 200
    assert (await api.post(f"{A}/periods/Q3/reopen", headers=admin)).status_code == 409


async def test_closing_the_year_locks_every_month(
    api: httpx.AsyncClient, agreement: str, admin: dict[str, str]
) -> None:
    url = f"{A}/indicators/1b-N/measures/M12"
    assert (await api.post(f"{A}/periods/Y/close", headers=admin)).status_code == 200
    r = await api.put(url, json={"parts": {"realization": 1}}, headers=admin | {"If-Match": "*"})
    assert r.status_code == 409
    periods = {p["period"]: p["closed"] for p in (await api.get(f"{A}/periods", headers=admin)).json()["items"]}
    assert periods["Y"] is True and periods["Q1"] is False
    assert (await api.post(f"{A}/periods/Y/reopen", headers=admin)).status_code == 200
