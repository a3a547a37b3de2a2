"""One story through the gateway, every step by the person who does it in real life.

1. The Kanwil manager of WBC.16 looks at the consolidated scores (Q1 2024).
2. The operator of the KPPBC KBC.1602 uploads an LPT (patrol), its SBP, the BA Tegah under it and
   a follow-up (P-21) for IKU 3a-CP, whose manual scores from the evidence (contracts §8).
3. A reviewer of the Kanwil verifies them (the operator cannot: nobody reviews their own upload).
4. The scores change: KBC.1602's 3a-CP is now computed from the verified evidence, and the
   manager's consolidated view shows the new NKO of KBC.1602.
5. The auditor (a viewer of the Kanwil) downloads the evidence pack: every verified file with its
   hash and review trail.
"""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from collections.abc import AsyncIterator
from typing import Any

import pytest

from tests.conftest import bearer
from tests.evidence.support import pdf
from tests.system.conftest import CHILD, EV, KANWIL, YEAR, World, WorldFactory

pytestmark = pytest.mark.anyio

Q1 = {"year": YEAR, "period": "Q1"}
#: the scores as they stand once Q1 is submitted: the evidence path applies only from the
#: submission (ADR 0020; tests/registry/test_cycle.py runs the cycle itself), so these stories,
#: which are about evidence moving the scores, read them that way
SUBMITTED = {"as_submitted": "true"}


@pytest.fixture(scope="module")
async def world(world_factory: WorldFactory) -> AsyncIterator[World]:
    async with world_factory("story") as w:
        yield w


def iku(card: dict[str, Any], code: str) -> dict[str, Any]:
    found = [i for i in card["indicators"] if i["code"] == code]
    assert found, [i["code"] for i in card["indicators"]]
    return found[0]


def row(consolidated: dict[str, Any], code: str) -> dict[str, Any]:
    return next(s for s in consolidated["satkers"] if s["code"] == code)


async def test_story_evidence_changes_the_scores_and_ends_in_the_pack(world: World) -> None:
    c = world.client
    manager = bearer(world.mint("kanwil_manager", KANWIL, sub="maya@WBC.16"))
    operator = bearer(world.mint("satker_operator", CHILD, sub="ana@KBC.1602"))
    reviewer = bearer(world.mint("reviewer", KANWIL, sub="rudi@WBC.16"))
    auditor = bearer(world.mint("viewer", KANWIL, sub="itjen@WBC.16"))

    # 1. the manager's consolidated view: the Kanwil and its KPPBC with an agreement
    r = await c.get(f"/api/v1/scoring/satkers/{KANWIL}/consolidated", params=Q1 | SUBMITTED, headers=manager)
    assert r.status_code == 200, r.text
    before = r.json()
    assert {s["code"] for s in before["satkers"]} == {KANWIL, CHILD}
    r = await c.get(f"/api/v1/scoring/satkers/{CHILD}/scores", params=Q1 | SUBMITTED, headers=manager)
    assert r.status_code == 200, r.text
    child_before = iku(r.json(), "3a-CP")

    # 2. the operator uploads the chain LPT -> SBP -> BA Tegah -> P-21 (the operator's own satker only)
    uploaded: dict[str, dict[str, Any]] = {}
    bodies: dict[str, bytes] = {}
    chain = [
        ("LPT", None, {"activity": "patrol"}),
        ("SBP", "LPT", {}),
        ("BA Tegah", "SBP", {"special_criteria": False}),
        ("P-21", "BA Tegah", {"follow_up_type": "p21"}),
    ]
    for n, (kind, parent, fields) in enumerate(chain, start=1):
        prefix = "BA" if kind == "BA Tegah" else kind
        meta = {
            "kind": kind,
            "number": f"{prefix}-{n}/{CHILD}/{YEAR}",
            "document_date": "2024-02-03",
            "indicator": "3a-CP",
            "period": "Q1",
            "fields": fields,
        }
        if parent:
            meta["parent_id"] = uploaded[parent]["id"]
        bodies[kind] = pdf(f"{kind} of the story")
        r = await c.post(
            f"{EV}/satkers/{CHILD}/documents",
            content=bodies[kind],
            headers=operator | {"X-Evidence-Metadata": json.dumps(meta), "Content-Type": "application/pdf"},
        )
        assert r.status_code == 201, r.text
        uploaded[kind] = r.json()
        assert uploaded[kind]["status"] == "in_review", uploaded[kind]

    # uploaded is not verified: the scores do not move yet
    r = await c.get(f"/api/v1/scoring/satkers/{CHILD}/scores", params=Q1 | SUBMITTED, headers=manager)
    assert iku(r.json(), "3a-CP") == child_before

    # 3. the operator may not verify; the Kanwil's reviewer does
    r = await c.post(f"{EV}/documents/{uploaded['LPT']['id']}/review", json={"decision": "verify"}, headers=operator)
    assert r.status_code == 403
    for doc in uploaded.values():
        r = await c.post(f"{EV}/documents/{doc['id']}/review", json={"decision": "verify"}, headers=reviewer)
        assert r.status_code == 200, r.text
        assert r.json()["status"] == "verified"

    r = await c.get(f"{EV}/satkers/{CHILD}/aggregates", params=Q1 | {"indicator": "3a-CP"}, headers=manager)
    assert r.status_code == 200, r.text
    agg = r.json()
    assert agg["lpt"]["count"] == 1 and agg["lpt"]["items"][0]["best_outcome"] == "ba_tegah"
    assert [f["type"] for f in agg["ba_tegah"]["items"][0]["follow_ups"]] == ["p21"]

    # 4. the scores change: 3a-CP of KBC.1602 now comes from the evidence, and so does the roll-up
    r = await c.get(f"/api/v1/scoring/satkers/{CHILD}/scores", params=Q1 | SUBMITTED, headers=manager)
    assert r.status_code == 200, r.text
    child_after = iku(r.json(), "3a-CP")
    assert child_after != child_before, child_after
    r = await c.get(f"/api/v1/scoring/satkers/{KANWIL}/consolidated", params=Q1 | SUBMITTED, headers=manager)
    assert r.status_code == 200, r.text
    after = r.json()
    assert row(after, CHILD)["nko"] != row(before, CHILD)["nko"], (row(before, CHILD), row(after, CHILD))
    assert row(after, KANWIL)["nko"] == row(before, KANWIL)["nko"]  # evidence of KBC.1602 only
    print(
        f"\nKBC.1602 3a-CP Q1: {child_before.get('index')} -> {child_after.get('index')}; "
        f"NKO {row(before, CHILD)['nko']} -> {row(after, CHILD)['nko']}"
    )

    # 5. the auditor downloads the evidence pack: the four verified files, their hashes, the trail
    r = await c.get(f"{EV}/satkers/{CHILD}/packs", params=Q1 | {"indicator": "3a-CP"}, headers=auditor)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "application/zip"
    zf = zipfile.ZipFile(io.BytesIO(r.content))
    manifest = json.loads(zf.read("manifest.json"))
    assert (manifest["satker"], manifest["indicator"], manifest["basis"]) == (CHILD, "3a-CP", "verified")
    listed = {d["document_id"]: d for d in manifest["documents"]}
    assert set(listed) >= {d["id"] for d in uploaded.values()}
    for kind, doc in uploaded.items():
        assert listed[doc["id"]]["sha256"] == hashlib.sha256(bodies[kind]).hexdigest()
    blobs = {hashlib.sha256(zf.read(n)).hexdigest() for n in zf.namelist() if n != "manifest.json"}
    assert {hashlib.sha256(b).hexdigest() for b in bodies.values()} <= blobs

    # the download is itself on the audit trail, under the auditor's name
    r = await c.get(f"{EV}/satkers/{CHILD}/audit", params={"action": "pack_downloaded"}, headers=manager)
    assert r.status_code == 200, r.text
    assert any(e["actor"] == "itjen@WBC.16" for e in r.json()["items"])
    # and an operator of another satker cannot take it
    other = bearer(world.mint("satker_operator", "KBC.1601", sub="budi@KBC.1601"))
    r = await c.get(f"{EV}/satkers/{CHILD}/packs", params=Q1 | {"indicator": "3a-CP"}, headers=other)
    assert r.status_code == 403


async def test_verification_moves_the_score_and_a_rejected_correction_moves_it_back(world: World) -> None:
    """Scoring counts only verified, current evidence: verify → the score moves; a correction of
    that document goes back to review and, once rejected, the score is back where it was."""
    c = world.client
    manager = bearer(world.mint("kanwil_manager", KANWIL, sub="maya@WBC.16"))
    operator = bearer(world.mint("satker_operator", CHILD, sub="ana@KBC.1602"))
    reviewer = bearer(world.mint("reviewer", KANWIL, sub="rudi@WBC.16"))

    async def realisation() -> Any:
        r = await c.get(f"/api/v1/scoring/satkers/{CHILD}/scores", params=Q1 | SUBMITTED, headers=manager)
        assert r.status_code == 200, r.text
        return iku(r.json(), "3a-CP")["realization"]

    async def upload(kind: str, number: str, parent: str | None, fields: dict[str, Any], url: str) -> dict[str, Any]:
        meta: dict[str, Any] = {"kind": kind, "number": number, "document_date": "2024-03-11",
                                "indicator": "3a-CP", "period": "Q1", "fields": fields}  # fmt: skip
        if parent:
            meta["parent_id"] = parent
        r = await c.post(url, content=pdf(), headers=operator | {
            "X-Evidence-Metadata": json.dumps(meta), "Content-Type": "application/pdf"})  # fmt: skip
        assert r.status_code == 201, r.text
        return r.json()  # type: ignore[no-any-return]

    async def review(doc: dict[str, Any], decision: str, reason: str | None = None) -> None:
        r = await c.post(f"{EV}/documents/{doc['id']}/review", json={"decision": decision, "reason": reason},
                         headers=reviewer)  # fmt: skip
        assert r.status_code == 200, r.text

    # a second patrol whose only outcome so far is an SBP
    lpt = await upload("LPT", f"LPT-21/{CHILD}/{YEAR}", None, {"activity": "patrol"}, f"{EV}/satkers/{CHILD}/documents")
    sbp = await upload("SBP", f"SBP-22/{CHILD}/{YEAR}", lpt["id"], {}, f"{EV}/satkers/{CHILD}/documents")
    await review(lpt, "verify")
    await review(sbp, "verify")
    with_sbp_only = await realisation()

    # its BA Tegah, verified: the LPT's best outcome rises, and the realisation with it
    ba = await upload("BA Tegah", f"BA-23/{CHILD}/{YEAR}", sbp["id"], {"special_criteria": False},
                      f"{EV}/satkers/{CHILD}/documents")  # fmt: skip
    assert await realisation() == with_sbp_only  # in review: not counted
    await review(ba, "verify")
    with_ba = await realisation()
    assert with_ba != with_sbp_only

    # a correction of the BA Tegah is a new revision, back in review: the verified one no longer counts
    correction = await upload("BA Tegah", f"BA-23/{CHILD}/{YEAR}", sbp["id"], {"special_criteria": False},
                              f"{EV}/documents/{ba['id']}/revisions")  # fmt: skip
    assert correction["revision"] == 2 and correction["status"] == "in_review"
    assert await realisation() == with_sbp_only
    # rejected: the score stays back where it was before the BA Tegah was verified
    await review(correction, "reject", "illegible scan")
    assert await realisation() == with_sbp_only
