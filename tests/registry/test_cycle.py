"""The reporting cycle through the registry's API (issue 11, ADR 0020), on PostgreSQL and SQLite.

One small Kanwil with one KPPBC per backend: the operator submits (refused first for a red IKU
without an analysis note), the Kanwil's reviewer returns then validates, the Kanwil's own report
is validated by its internal-compliance reviewer, the manager publishes with the SKEP, an admin
reopens with a reason, the period is republished and the first publication is superseded. Every
refusal of the issue's "Bad input" list, the outbox under a failing change, the calendar and
the measured timeliness the bundle carries.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest

from kernel.settings import AuthSettings, CommonSettings
from kernel.testing import libpq_url, sibling_database
from runner.composition import System, build_system, running
from services.registry.settings import RegistrySettings
from tests.conftest import Mint, bearer
from tests.registry.conftest import mini_document

pytestmark = pytest.mark.anyio

REG = "/api/v1/registry"
YEAR = 2024
KANWIL, CHILD = "WBC.91", "KBC.9101"


def documents() -> list[dict[str, Any]]:
    kanwil = mini_document(KANWIL, YEAR, f"PK-{KANWIL}/{YEAR}", parent=None)
    kanwil["satkers"][0]["kind"] = "kanwil"
    child = mini_document(CHILD, YEAR, f"PK-{CHILD}/{YEAR}", parent=KANWIL)
    for doc in (kanwil, child):
        # 1a-N (min, target 0.75): 0.5 is green; 1b-N (max, target 6): 3 is red (index 50)
        doc["agreement"]["measures"] = {"1a-N": {"Q1": {"realization": 0.5}}, "1b-N": {"Q1": {"realization": 3}}}
    return [kanwil, child]


@pytest.fixture(scope="module", params=["postgresql", "sqlite"])
def registry_db(request: pytest.FixtureRequest, pg_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path_factory.mktemp('cycle-sqlite') / 'registry.db'}"
        return
    with sibling_database(pg_url, "cycle") as url:
        yield url


@pytest.fixture(scope="module")
async def world(
    registry_db: str, auth: AuthSettings, mint: Mint, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[tuple[httpx.AsyncClient, System]]:
    common = CommonSettings(environment="test", data_dir=Path(tmp_path_factory.mktemp("cycle-data")))
    built = build_system(
        common=common,
        auth=auth,
        settings={"registry": RegistrySettings(database_url=registry_db)},
        services=("registry", "scoring"),
    )
    async with running(built):
        transport = httpx.ASGITransport(app=built.apps["registry"])
        async with httpx.AsyncClient(transport=transport, base_url="http://registry.test") as client:
            for doc in documents():
                r = await client.post(f"{REG}/import", json=doc, headers=bearer(mint("admin")))
                assert r.status_code == 201, r.text
            yield client, built


def cycle(code: str, rest: str = "") -> str:
    return f"{REG}/satkers/{code}/agreements/{YEAR}/cycle{rest}"


async def events(c: httpx.AsyncClient, admin: dict[str, str], after: int = 0) -> list[dict[str, Any]]:
    r = await c.get(f"{REG}/events", params={"after": after, "limit": 500}, headers=admin)
    assert r.status_code == 200, r.text
    return r.json()["items"]  # type: ignore[no-any-return]


NOTE = {
    "events_causes": "Kegiatan asistensi UMKM tertunda karena rotasi pegawai",
    "solutions_actions": "Menjadwalkan ulang asistensi pada triwulan II",
    "risks": "Target tahunan tidak tercapai",
}


async def test_a_quarter_from_submission_to_republication(world: tuple[httpx.AsyncClient, System], mint: Mint) -> None:
    c, _ = world
    admin = bearer(mint("admin", sub="admin@pusat"))
    op_child = bearer(mint("satker_operator", CHILD, sub="ana@KBC.9101"))
    op_kanwil = bearer(mint("satker_operator", KANWIL, sub="dewi@WBC.91"))
    reviewer = bearer(mint("reviewer", KANWIL, sub="budi@WBC.91"))
    child_reviewer = bearer(mint("reviewer", CHILD, sub="eko@KBC.9101"))
    manager = bearer(mint("kanwil_manager", KANWIL, sub="maya@WBC.91"))
    start = len(await events(c, admin))

    # not started and overdue: the preset calendar's Q1 2024 deadline (7 April for a KPPBC) has passed
    r = await c.get(cycle(CHILD, "/Q1"), headers=op_child)
    assert r.status_code == 200, r.text
    assert r.json()["state"] == "overdue" and r.json()["deadlines"]["source"] == "preset"
    assert r.json()["deadlines"]["realisations_due"].startswith("2024-04-07T23:59:59")

    # 1. refused at once: 1b-N is red (index 50) and has no analysis note; nothing written
    r = await c.post(cycle(CHILD, "/Q1/submit"), headers=op_child)
    assert r.status_code == 422, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert [e["field"] for e in r.json()["errors"]] == ["indicators.1b-N.analysis_note"]
    assert "merah" in r.json()["errors"][0]["reason"]
    assert len(await events(c, admin)) == start
    assert (await c.get(cycle(CHILD, "/Q1"), headers=op_child)).json()["revisions"] == []

    # 2. the note, then the submission (late against the preset: measured, not typed in)
    r = await c.put(cycle(CHILD, "/Q1/notes/1b-N"), json=NOTE, headers=op_child)
    assert r.status_code == 200, r.text
    r = await c.post(cycle(CHILD, "/Q1/submit"), headers=op_child)
    assert r.status_code == 200, r.text
    assert r.json()["state"] == "submitted"
    assert r.json()["revisions"][0]["rounds"][0]["on_time"] is False
    r = await c.post(cycle(CHILD, "/Q1/submit"), headers=op_child)
    assert r.status_code == 409  # already submitted
    r = await c.put(cycle(CHILD, "/Q1/notes/1b-N"), json=NOTE, headers=op_child)
    assert r.status_code == 409  # a submitted report's notes are frozen

    # 3. a reviewer of the KPPBC itself may not decide on its own unit; the Kanwil's reviewer returns
    r = await c.post(cycle(CHILD, "/Q1/validate"), headers=child_reviewer)
    assert r.status_code == 403, r.text
    r = await c.post(cycle(CHILD, "/Q1/return"), json={"reasons": {"9z-X": "?"}}, headers=reviewer)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "reasons.9z-X"
    r = await c.post(
        cycle(CHILD, "/Q1/return"),
        json={"reasons": {"1b-N": "Lampirkan daftar UMKM yang diasistensi"}},
        headers=reviewer,
    )
    assert r.status_code == 200, r.text
    assert r.json()["state"] == "returned"

    # 4. corrected and submitted again (round 2), validated; every round kept
    r = await c.put(cycle(CHILD, "/Q1/notes/1b-N"), json=NOTE | {"risks": "Risiko: target tahunan"}, headers=op_child)
    assert r.status_code == 200, r.text
    assert (await c.post(cycle(CHILD, "/Q1/submit"), headers=op_child)).status_code == 200
    r = await c.post(cycle(CHILD, "/Q1/validate"), json={"remark": "Lengkap"}, headers=reviewer)
    assert r.status_code == 200, r.text
    rounds = r.json()["revisions"][0]["rounds"]
    assert [(x["round"], x["decision"]) for x in rounds] == [(1, "returned"), (2, "validated")]
    assert rounds[0]["reasons"] == {"1b-N": "Lampirkan daftar UMKM yang diasistensi"}

    # 5. publication needs every report of the tree validated: the Kanwil's own is not
    skep = f"KEP-{uuid.uuid4().hex[:6]}/WBC.91/2024"
    r = await c.post(cycle(KANWIL, "/Q1/publish"), json={"skep_number": skep}, headers=manager)
    assert r.status_code == 409, r.text
    assert [e["field"] for e in r.json()["errors"]][1:] == [f"satkers.{KANWIL}"]
    assert (await c.put(cycle(KANWIL, "/Q1/notes/1b-N"), json=NOTE, headers=op_kanwil)).status_code == 200
    assert (await c.post(cycle(KANWIL, "/Q1/submit"), headers=op_kanwil)).status_code == 200
    # the Kanwil heads the tree: its own report is validated inside it (K3), never by its submitter
    r = await c.post(cycle(KANWIL, "/Q1/validate"), headers=bearer(mint("reviewer", KANWIL, sub="dewi@WBC.91")))
    assert r.status_code == 403
    assert (await c.post(cycle(KANWIL, "/Q1/validate"), headers=reviewer)).status_code == 200

    # 6. published: the NKO of the Kanwil and of its KPPBC, frozen with the hashes of the inputs
    r = await c.post(cycle(KANWIL, "/Q1/publish"), json={"skep_number": skep}, headers=manager)
    assert r.status_code == 200, r.text
    cards = {s["satker"]: s for s in r.json()["scorecards"]}
    assert set(cards) == {KANWIL, CHILD}
    first = cards[CHILD]
    assert first["status"] == "current" and len(first["inputs_sha256"]) == 64
    assert first["scorecard"]["nko"] == first["nko"] and first["predicate"]
    # anyone of the tree recomputes with the published as_of: the same inputs, the same scorecard
    scoring = httpx.ASGITransport(app=world[1].apps["scoring"])
    async with httpx.AsyncClient(transport=scoring, base_url="http://scoring.test") as sc:
        r = await sc.get(
            f"/api/v1/scoring/satkers/{KANWIL}/frozen-scorecards",
            params={"year": YEAR, "period": "Q1", "as_of": first["as_of"]},
            headers=manager,
        )
    assert r.status_code == 200, r.text
    again = {i["satker"]: i for i in r.json()["items"]}
    assert again[CHILD]["inputs_sha256"] == first["inputs_sha256"]
    assert again[CHILD]["scorecard"] == first["scorecard"]
    r = await c.post(cycle(KANWIL, "/Q1/publish"), json={"skep_number": skep + "b"}, headers=manager)
    assert r.status_code == 409  # already published: a reopen comes first

    # 7. reopen: a reason is required; a new revision, the old one and the publication stay readable
    r = await c.post(cycle(CHILD, "/Q1/reopen"), json={"reason": "  "}, headers=admin)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "reason"
    r = await c.post(cycle(CHILD, "/Q1/reopen"), json={"reason": "Koreksi realisasi 1b-N"}, headers=manager)
    assert r.status_code == 403
    r = await c.post(cycle(CHILD, "/Q1/reopen"), json={"reason": "Koreksi realisasi 1b-N"}, headers=admin)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["revision"] == 2 and [x["state"] for x in body["revisions"]] == ["superseded", "open"]
    r = await c.get(cycle(CHILD, "/Q1/published"), headers=op_child)
    assert [i["status"] for i in r.json()["items"]] == ["current"]

    # 8. submitted, validated and republished: the first publication is superseded, still readable
    assert (await c.post(cycle(CHILD, "/Q1/submit"), headers=op_child)).status_code == 200
    assert (await c.post(cycle(CHILD, "/Q1/validate"), headers=reviewer)).status_code == 200
    r = await c.post(cycle(KANWIL, "/Q1/publish"), json={"skep_number": skep + "-R1"}, headers=manager)
    assert r.status_code == 200, r.text
    assert r.json()["supersedes"] == skep
    r = await c.get(cycle(CHILD, "/Q1/published"), headers=op_child)
    items = r.json()["items"]
    assert [(i["publication"]["skep_number"], i["status"]) for i in items] == [
        (skep + "-R1", "current"),
        (skep, "superseded"),
    ]
    assert items[1]["scorecard"] == first["scorecard"]

    # every change announced once, in order, in the outbox
    types = [e["type"] for e in (await events(c, admin))[start:]]
    assert types == [
        "cycle.note_recorded",
        "cycle.submitted",
        "cycle.returned",
        "cycle.note_recorded",
        "cycle.submitted",
        "cycle.validated",
        "cycle.note_recorded",
        "cycle.submitted",
        "cycle.validated",
        "cycle.published",
        "cycle.reopened",
        "cycle.submitted",
        "cycle.validated",
        "cycle.publication_superseded",
        "cycle.published",
    ]
    feed = await events(c, admin)
    ids = [e["id"] for e in feed]
    assert ids == sorted(ids) and len(set(ids)) == len(ids)
    r = await c.get(f"{REG}/events", params={"after": ids[-2]}, headers=admin)
    assert [e["id"] for e in r.json()["items"]] == [ids[-1]] and r.json()["next_after"] == ids[-1]

    # the bundle carries the cycle (state, measured timeliness) for scoring
    r = await c.get(f"{REG}/satkers/{CHILD}/agreements/{YEAR}/bundle", headers=admin)
    q1 = r.json()["cycle"]["Q1"]
    assert (q1["state"], q1["revision"], q1["on_time"]) == ("published", 2, False)


async def test_refusals_name_the_fault_and_write_nothing(world: tuple[httpx.AsyncClient, System], mint: Mint) -> None:
    c, _ = world
    admin = bearer(mint("admin", sub="admin2@pusat"))
    start = len(await events(c, admin))
    # submitting someone else's satker
    r = await c.post(cycle(CHILD, "/Q2/submit"), headers=bearer(mint("satker_operator", KANWIL, sub="x@WBC.91")))
    assert r.status_code == 403
    # a note on an IKU that is not in the agreement
    r = await c.put(cycle(CHILD, "/Q2/notes/9z-X"), json=NOTE, headers=bearer(mint("satker_operator", CHILD)))
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "indicator"
    # an incomplete note
    r = await c.put(cycle(CHILD, "/Q2/notes/1b-N"), json={"risks": "x"}, headers=bearer(mint("satker_operator", CHILD)))
    assert r.status_code == 422
    # validating one's own submission (admin may submit and validate, never both for one report)
    assert (await c.post(cycle(CHILD, "/Q2/submit"), headers=admin)).status_code == 200
    r = await c.post(cycle(CHILD, "/Q2/validate"), headers=admin)
    assert r.status_code == 403
    # publishing outside one's tree, and publishing an unvalidated period
    r = await c.post(
        cycle(KANWIL, "/Q2/publish"),
        json={"skep_number": "KEP-X"},
        headers=bearer(mint("kanwil_manager", "WBC.16", sub="m@WBC.16")),
    )
    assert r.status_code == 403
    r = await c.post(
        cycle(KANWIL, "/Q2/publish"), json={"skep_number": "KEP-Y"}, headers=bearer(mint("kanwil_manager", KANWIL))
    )
    assert r.status_code == 409
    # reopening what was never submitted; validating what is not submitted
    r = await c.post(cycle(KANWIL, "/Q3/reopen"), json={"reason": "x"}, headers=admin)
    assert r.status_code == 409
    r = await c.post(cycle(KANWIL, "/Q3/validate"), headers=bearer(mint("reviewer", KANWIL)))
    assert r.status_code == 409
    # Q2 of 2024 before its window: not here (2024 is past), but a period not in the cycle is a 422
    assert (await c.post(cycle(CHILD, "/Y/submit"), headers=admin)).status_code == 422
    assert [e["type"] for e in (await events(c, admin))[start:]] == ["cycle.submitted"]


async def test_a_change_that_fails_leaves_no_event(
    world: tuple[httpx.AsyncClient, System], mint: Mint, registry_db: str
) -> None:
    """The outbox: the event is written (flushed) before the round; when the database then refuses
    the round, the transaction rolls back and the event is gone with it."""
    if not registry_db.startswith("postgresql"):
        pytest.skip("the refusing constraint is added with PostgreSQL's NOT VALID")
    c, _ = world
    admin = bearer(mint("admin", sub="admin3@pusat"))
    start = len(await events(c, admin))
    with psycopg.connect(libpq_url(registry_db), autocommit=True) as conn:
        conn.execute(
            "ALTER TABLE registry.cycle_round ADD CONSTRAINT ck_test_refuse "
            "CHECK (submitted_by <> 'crash@KBC.9101') NOT VALID"
        )
    try:
        crash = bearer(mint("satker_operator", CHILD, sub="crash@KBC.9101"))
        r = await c.post(cycle(CHILD, "/Q3/submit"), headers=crash)
        assert r.status_code == 409, r.text
    finally:
        with psycopg.connect(libpq_url(registry_db), autocommit=True) as conn:
            conn.execute("ALTER TABLE registry.cycle_round DROP CONSTRAINT ck_test_refuse")
    assert len(await events(c, admin)) == start
    r = await c.get(cycle(CHILD, "/Q3"), headers=admin)
    assert r.json()["revisions"] == [] and r.json()["state"] in ("overdue", "not_started")
    # the same submission without the refusal goes through, with its one event
    assert (await c.post(cycle(CHILD, "/Q3/submit"), headers=crash)).status_code == 200
    assert [e["type"] for e in (await events(c, admin))[start:]] == ["cycle.submitted"]


async def test_calendars_preset_and_the_kanwils_own_dates(world: tuple[httpx.AsyncClient, System], mint: Mint) -> None:
    c, _ = world
    manager = bearer(mint("kanwil_manager", KANWIL, sub="maya@WBC.91"))
    r = await c.get(f"{REG}/calendars", params={"year": YEAR}, headers=manager)
    presets = [x for x in r.json()["items"] if x["owner"] is None]
    assert {(x["level"], x["version"]) for x in presets} == {("kanwil", 1), ("kppbc", 1)}
    kppbc = next(x for x in presets if x["level"] == "kppbc")["document"]
    assert kppbc["periods"]["Q1"]["realisations_due"] == "2024-04-07"
    assert "seed" in kppbc["sources"]["realisations_due"]
    # the Kanwil's own dates for the satker under it: Q4 due far later
    own = {**kppbc, "periods": {**kppbc["periods"], "Q4": {**kppbc["periods"]["Q4"]}}}
    own["periods"]["Q4"].update(realisations_due="2099-01-07", evidence_due="2099-01-07", review_due="2099-01-14",
                                validation_due="2099-01-21", publication_due="2099-01-31")  # fmt: skip
    bad = {**own, "periods": {**own["periods"], "Q4": {**own["periods"]["Q4"], "validation_due": "2099-01-01"}}}
    r = await c.post(f"{REG}/satkers/{KANWIL}/calendars", json={"year": YEAR, "document": bad}, headers=manager)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "document.periods.Q4.validation_due"
    r = await c.post(f"{REG}/satkers/{CHILD}/calendars", json={"year": YEAR, "document": own}, headers=manager)
    assert r.status_code == 422  # only a Kanwil sets dates
    r = await c.post(f"{REG}/calendars", json={"year": YEAR, "level": "kppbc", "document": own}, headers=manager)
    assert r.status_code == 403  # the preset is the admin's
    r = await c.post(f"{REG}/satkers/{KANWIL}/calendars", json={"year": YEAR, "document": own}, headers=manager)
    assert r.status_code == 201, r.text
    r = await c.get(f"{REG}/satkers/{CHILD}/calendars/{YEAR}", headers=manager)
    assert r.json()["source"] == f"kanwil:{KANWIL}" and r.json()["version"] == 1
    # submitted now, before the Kanwil's Q4 deadline: on time, measured
    assert (
        await c.put(cycle(CHILD, "/Q4/notes/1b-N"), json=NOTE, headers=bearer(mint("satker_operator", CHILD)))
    ).status_code == 200
    r = await c.post(cycle(CHILD, "/Q4/submit"), headers=bearer(mint("satker_operator", CHILD, sub="ana@KBC.9101")))
    assert r.status_code == 200, r.text
    assert r.json()["deadlines"]["source"] == f"kanwil:{KANWIL}"
    assert r.json()["revisions"][0]["rounds"][0]["on_time"] is True
    r = await c.get(f"{REG}/satkers/{CHILD}/agreements/{YEAR}/bundle", headers=manager)
    assert r.json()["cycle"]["Q4"]["on_time"] is True and r.json()["cycle"]["Q4"]["due"].startswith("2099-01-07")
