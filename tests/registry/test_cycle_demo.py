"""The demo of ``make run`` shows a real cycle (issue 11, ADR 0024): the six illustrative KPPBC
agreements cascaded from the Kanwil's, Q1-Q3 published, Q4 in several states, and the Kanwil's
documented NKO 118.30 Istimewa unchanged. The embedded system exactly as ``make run`` builds it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from kernel.settings import AuthSettings, CommonSettings
from runner.embedded import create_embedded_app, seed_demo_data
from services.registry.seed import load_seed_document
from services.registry.seed.cycle_demo import illustrative
from tests.conftest import TEST_SECRET, Mint, asgi_client, bearer

pytestmark = pytest.mark.anyio

API = "/api/v1"


@pytest.fixture(scope="module")
async def demo(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[httpx.AsyncClient]:
    common = CommonSettings(environment="test", data_dir=tmp_path_factory.mktemp("demo") / "data")
    app = create_embedded_app(common=common, auth=AuthSettings(secret=TEST_SECRET), seed=False)
    async with asgi_client(app) as client:
        assert await seed_demo_data(app.state.system) == "demo data loaded into the registry"
        yield client


async def _get(c: httpx.AsyncClient, path: str, token: str, **params: Any) -> Any:
    r = await c.get(API + path, params=params, headers=bearer(token))
    assert r.status_code == 200, r.text
    return r.json()


async def test_seven_agreements_the_six_kppbc_marked_illustrative(demo: httpx.AsyncClient, mint: Mint) -> None:
    admin = mint("admin")
    data = illustrative()
    kanwil = load_seed_document()["agreement"]
    assert data["illustrative"] is True and "ILUSTRATIF" in data["note"]
    for code in data["offices"]:
        pk = await _get(demo, f"/registry/satkers/{code}/agreements/2024", admin)
        assert "ILUSTRATIF" in pk["number"]
        # cascaded: the Kanwil's IKU with the Kanwil's targets
        assert [i["code"] for i in pk["indicators"]] == [i["code"] for i in kanwil["indicators"]]
    scores = await _get(demo, "/scoring/satkers/KBC.1603/scores", admin, year=2024, period="Y")
    assert scores["nko"] is not None and scores["predicate"]


async def test_the_periods_stand_in_several_states(demo: httpx.AsyncClient, mint: Mint) -> None:
    admin = mint("admin")
    data = illustrative()
    q4 = {code: ("overdue" if s == "not_started" else s) for code, s in data["cycle"]["Q4"].items()}
    assert {"validated", "submitted", "returned", "overdue"} <= set(q4.values())
    for code, expected in q4.items():
        view = await _get(demo, f"/registry/satkers/{code}/agreements/2024/cycle", admin)
        states = {p["period"]: p["state"] for p in view["periods"]}
        assert states == {"Q1": "published", "Q2": "published", "Q3": "published", "Q4": expected}, code
    published = await _get(demo, "/registry/satkers/KBC.1606/agreements/2024/cycle/Q2/published", admin)
    [card] = published["items"]
    assert card["publication"]["skep_number"] == data["cycle"]["published"]["Q2"]
    assert card["publication"]["published_by"] == data["users"]["manager"]
    assert len(card["inputs_sha256"]) == 64
    # every red or yellow IKU of a submitted quarter carries its analysis note
    notes = await _get(demo, "/registry/satkers/WBC.16/agreements/2024/cycle/Q1/notes", admin)
    assert "2a-CP" in {n["indicator"] for n in notes["items"]}


async def test_the_kanwil_nko_of_the_year_is_unchanged(demo: httpx.AsyncClient, mint: Mint) -> None:
    y = await _get(demo, "/scoring/satkers/WBC.16/scores", mint("admin"), year=2024, period="Y")
    assert (y["nko_display"], y["predicate"]) == ("118.30", "Istimewa")
    # every quarter of the Kanwil's year is declared (Q4 submitted): the evidence path applies
    assert y["evidence_path"]["applies"] is True


async def test_the_overdue_office_has_real_work(demo: httpx.AsyncClient, mint: Mint) -> None:
    """What the README's quarter walkthrough starts from: KBC.1606's Q4 has a red IKU without a note."""
    op = mint("satker_operator", "KBC.1606", sub="operator@KBC.1606")
    r = await demo.post(f"{API}/registry/satkers/KBC.1606/agreements/2024/cycle/Q4/submit", headers=bearer(op))
    assert r.status_code == 422, r.text
    assert [e["field"] for e in r.json()["errors"]] == ["indicators.2a-CP.analysis_note"]


async def test_the_kanwils_view_of_the_cycle(demo: httpx.AsyncClient, mint: Mint) -> None:
    """Seven rows; per quarter the state, the NKO and predicate, what was published, and the red
    IKU with their notes."""
    manager = mint("kanwil_manager", "WBC.16", sub="m@WBC.16")
    view = await _get(demo, "/registry/satkers/WBC.16/cycle-overview/2024", manager)
    rows = {r["code"]: r for r in view["satkers"]}
    assert list(rows)[0] == "WBC.16" and len(rows) == 7
    data = illustrative()
    for code, row in rows.items():
        by_q = {p["period"]: p for p in row["periods"]}
        q4 = data["cycle"]["Q4"][code]
        assert by_q["Q4"]["state"] == ("overdue" if q4 == "not_started" else q4)
        assert by_q["Q1"]["state"] == "published" and by_q["Q1"]["state_label"] == "dipublikasikan"
        pub = by_q["Q1"]["published"]
        assert pub["skep_number"] == data["cycle"]["published"]["Q1"] and pub["predicate"]
        assert by_q["Q1"]["nko"] is not None and by_q["Q1"]["predicate"]
        for p in row["periods"]:
            if p["state"] == "published":  # submitted: every red IKU was explained
                assert all(r["note"] is not None for r in p["red_indicators"]), (code, p["period"])
    kanwil_q1 = {r["indicator"]: r for r in rows["WBC.16"]["periods"][0]["red_indicators"]}
    assert kanwil_q1["2a-CP"]["note"]["events_causes"]
    # KBC.1606's Q4: red 2a-CP, not submitted, no note yet
    q4 = rows["KBC.1606"]["periods"][3]
    assert q4["red_indicators"] == [{"indicator": "2a-CP", "note": None}] and q4["published"] is None
    # a KPPBC operator may not see the Kanwil's tree
    r = await demo.get(
        f"{API}/registry/satkers/WBC.16/cycle-overview/2024",
        headers=bearer(mint("satker_operator", "KBC.1601")),
    )
    assert r.status_code == 403


async def test_as_of_the_years_end_shows_what_was_known_then(demo: httpx.AsyncClient, mint: Mint) -> None:
    """The demo's measures carry the time they were reported (an admin import may record a past
    time): at 2024-12-31 the third-quarter figures were known, Q4 and the year's were not yet."""
    admin = mint("admin")
    end = "2024-12-31T23:59:59+08:00"
    for code in ("WBC.16", "KBC.1603"):
        now = await _get(demo, f"/scoring/satkers/{code}/scores", admin, year=2024, period="TQ3")
        then = await _get(demo, f"/scoring/satkers/{code}/scores", admin, year=2024, period="TQ3", as_of=end)
        assert then["nko"] is not None and then["nko_display"] == now["nko_display"], code
        q4 = await _get(demo, f"/scoring/satkers/{code}/scores", admin, year=2024, period="Q4", as_of=end)
        assert all(i["realization"] is None for i in q4["indicators"]), code
    before = await _get(
        demo, "/scoring/satkers/WBC.16/scores", admin, year=2024, period="Q1", as_of="2024-03-31T00:00Z"
    )
    assert all(i["realization"] is None for i in before["indicators"])


async def test_an_import_records_a_past_reporting_time_and_says_so(demo: httpx.AsyncClient, mint: Mint) -> None:
    from tests.registry.conftest import mini_document

    admin = bearer(mint("admin"))

    def doc(code: str, **recorded: str) -> dict[str, Any]:
        d = mini_document(code, 2024, f"PK-{code}/2024")
        d["agreement"]["recorded_at"] = "2024-01-26T00:00:00+08:00"
        d["agreement"]["measures"] = {"1a-N": {"Q1": {"realization": 0.5}}, "1b-N": {"Q1": {"realization": 7}}}
        d["agreement"]["measures_recorded_at"] = recorded
        return d

    for recorded, reason in (
        ({"Q1": "2099-01-01T00:00:00+00:00"}, "future"),
        ({"Q1": "2023-12-01T00:00:00+00:00"}, "before their agreement"),
        ({"Q2": "2024-07-05T00:00:00+00:00"}, "no measures of Q2"),
        ({"Q1": "2024-04-05T00:00:00"}, "time zone"),
    ):
        r = await demo.post(f"{API}/registry/import", json=doc("KBC.1698", **recorded), headers=admin)
        assert r.status_code == 422, r.text
        assert r.json()["errors"][0]["field"].startswith("$.agreement.measures_recorded_at."), r.text
        assert reason in r.json()["errors"][0]["reason"]
        assert (await demo.get(f"{API}/registry/satkers/KBC.1698", headers=admin)).status_code == 404  # nothing written
    r = await demo.post(f"{API}/registry/import", json=doc("KBC.1698", Q1="2024-04-05T15:00:00+08:00"), headers=admin)
    assert r.status_code == 201, r.text
    assert list(r.json()["measures_recorded_at"]) == ["Q1"]
    history = await _get(demo, "/registry/satkers/KBC.1698/agreements/2024/indicators/1b-N/measures/Q1/history", mint())
    rows = history["items"] if isinstance(history, dict) else history
    assert rows[0]["recorded_at"].startswith("2024-04-05T07:00:00")
