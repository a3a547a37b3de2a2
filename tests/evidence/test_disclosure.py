"""What a caller learns about other satker: nothing it may not read, and no squatting of numbers.

* A document or satker outside the caller's reach answers exactly as one that does not exist.
* A duplicate file refused across satker does not name the other satker's document.
* The issuer of a number is the satker, a unit of it, a satker of its tree (as the registry knows
  it) or the head office; a number is unique per satker, so nobody blocks another's uploads.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest

from tests.conftest import bearer
from tests.evidence.helpers import BASE, meta, upload
from tests.evidence.support import pdf

pytestmark = pytest.mark.anyio

OP_1602 = {"role": "satker_operator", "satker": "KBC.1602", "sub": "ana@KBC.1602"}
OP_1603 = {"role": "satker_operator", "satker": "KBC.1603", "sub": "eko@KBC.1603"}
KANWIL = {"role": "kanwil_manager", "satker": "WBC.16", "sub": "sari@WBC.16"}


def _same(a: Any, b: Any, secret: str, stand_in: str) -> None:
    """Two refusals are the same answer once the id the caller itself sent is set aside."""
    assert a.status_code == b.status_code, (a.text, b.text)
    assert a.headers["content-type"] == b.headers["content-type"] == "application/problem+json"
    assert a.text.replace(secret, "ID") == b.text.replace(stand_in, "ID")


async def test_foreign_documents_answer_as_missing_ones(evidence, mint) -> None:  # type: ignore[no-untyped-def]
    async with evidence() as (c, _):
        doc = await upload(c, mint(**OP_1603), pdf(), meta(satker="KBC.1603"), satker="KBC.1603")
        assert doc.status_code == 201, doc.text
        foreign, missing = doc.json()["id"], str(uuid.uuid4())
        for who in (OP_1602, {"role": "reviewer", "satker": "WBC.17", "sub": "far@WBC.17"}):
            h = bearer(mint(**who))
            for method, tail, kw in [
                ("GET", "", {}),
                ("GET", "/content", {}),
                ("GET", "/audit", {}),
                ("GET", "/revisions", {}),
                ("POST", "/submit", {}),
                ("POST", "/review", {"json": {"decision": "verify"}}),
            ]:
                a = await c.request(method, f"{BASE}/documents/{foreign}{tail}", headers=h, **kw)
                b = await c.request(method, f"{BASE}/documents/{missing}{tail}", headers=h, **kw)
                assert a.status_code == 403, (method, tail, a.text)
                _same(a, b, foreign, missing)
                assert "KBC.1603" not in a.text  # not even whose it is
            rev_a = await c.post(f"{BASE}/documents/{foreign}/revisions", headers=h | _meta_header(), content=pdf())
            rev_b = await c.post(f"{BASE}/documents/{missing}/revisions", headers=h | _meta_header(), content=pdf())
            _same(rev_a, rev_b, foreign, missing)
        # whoever reads everything gets a plain 404 for what is not there
        admin = bearer(mint(role="admin"))
        assert (await c.get(f"{BASE}/documents/{missing}", headers=admin)).status_code == 404
        assert (await c.get(f"{BASE}/documents/{foreign}", headers=admin)).status_code == 200


async def test_foreign_satker_answer_as_missing_ones(evidence, mint) -> None:  # type: ignore[no-untyped-def]
    async with evidence() as (c, _):
        h = bearer(mint(**OP_1602))
        for tail, params in [
            ("/documents", {}),
            ("/audit", {}),
            ("/aggregates", {"year": 2024, "period": "Q1", "indicator": "3a-CP"}),
            ("/packs", {"year": 2024, "period": "Q1", "indicator": "3a-CP"}),
        ]:
            a = await c.get(f"{BASE}/satkers/KBC.1701{tail}", params=params, headers=h)
            b = await c.get(f"{BASE}/satkers/KBC.1799{tail}", params=params, headers=h)
            assert a.status_code == 403, a.text
            _same(a, b, "KBC.1701", "KBC.1799")
        a = await upload(c, mint(**OP_1602), pdf(), meta(satker="KBC.1701"), satker="KBC.1701")
        b = await upload(c, mint(**OP_1602), pdf(), meta(satker="KBC.1799"), satker="KBC.1799")
        _same(a, b, "KBC.1701", "KBC.1799")
        admin = bearer(mint(role="admin"))
        assert (await c.get(f"{BASE}/satkers/KBC.1799/documents", headers=admin)).status_code == 404


def _meta_header() -> dict[str, str]:
    return {"X-Evidence-Metadata": json.dumps(meta()), "Content-Type": "application/pdf"}


async def test_duplicate_across_satker_does_not_name_the_other_document(evidence, mint) -> None:  # type: ignore[no-untyped-def]
    body = pdf()
    async with evidence() as (c, _):
        theirs = await upload(c, mint(**OP_1603), body, meta(satker="KBC.1603"), satker="KBC.1603")
        assert theirs.status_code == 201, theirs.text
        t = theirs.json()
        r = await upload(c, mint(**OP_1602), body, meta())
        assert r.status_code == 409, r.text
        assert r.json()["errors"][0]["field"] == "content"
        for secret in (t["id"], t["number"], t["lineage_id"], "KBC.1603"):
            assert secret not in r.text
        assert "existing_id" not in r.json()
        # who may read the other satker is told which document it is
        r = await upload(c, mint(**KANWIL), body, meta(satker="WBC.16"), satker="WBC.16")
        assert r.status_code == 409 and r.json()["existing_id"] == t["id"]
        # a duplicate number inside one's own satker names the document to correct
        m = meta()
        first = (await upload(c, mint(**OP_1602), pdf(), m)).json()
        r = await upload(c, mint(**OP_1602), pdf(), m)
        assert r.status_code == 409 and r.json()["existing_id"] == first["id"]


async def test_issuer_must_be_in_the_satkers_tree(evidence, mint) -> None:  # type: ignore[no-untyped-def]
    async with evidence() as (c, _):
        op02, op03, kanwil = mint(**OP_1602), mint(**OP_1603), mint(**KANWIL)
        lpt = {"fields": {"activity": "patrol"}, "indicator": "8a-N"}
        # KBC.1603 may not record KBC.1602's numbers (before: it could, and KBC.1602 was blocked)
        squat = meta("LPT", "LPT-12/KBC.1602/2024", satker="KBC.1603", **lpt)
        for m in (squat, squat | {"issuer": "KBC.1602"}):
            r = await upload(c, op03, pdf(), m, satker="KBC.1603")
            assert (r.status_code, r.json()["errors"][0]["field"]) == (422, "number"), r.text
        r = await upload(
            c, op03, pdf(), meta("LPT", "LPT-12/KBC.1603/2024", issuer="KBC.1602", **lpt), satker="KBC.1603"
        )
        assert (r.status_code, r.json()["errors"][0]["field"]) == (422, "issuer")
        for number in ("ND-1/WBC.17/2024", "ND-2/KBC.1701/2024", "ND-3/XYZ.99/2024", "ND-4/BC/KBC.1603/2024"):
            r = await upload(c, op02, pdf(), meta("ND", number))
            assert (r.status_code, r.json()["errors"][0]["field"]) == (422, "number"), (number, r.text)
        ok = await upload(c, op02, pdf(), meta("LPT", "LPT-12/KBC.1602/2024", **lpt))
        assert ok.status_code == 201 and ok.json()["issuer"] == "KBC.1602"

        # the seed's numbers: a memo of the Kanwil, a report of its division, a head-office warrant
        async def issuer(token: str, satker: str, kind: str, number: str, **kw: Any) -> str:
            r = await upload(c, token, pdf(), meta(kind, number, satker=satker, **kw), satker=satker)
            assert r.status_code == 201, (number, r.text)
            return str(r.json()["issuer"])

        assert await issuer(op02, "KBC.1602", "ND", "ND-273/WBC.16/2024") == "WBC.16"
        assert await issuer(kanwil, "WBC.16", "ND", "ND-273/WBC.16/2024") == "WBC.16"  # its own, not blocked
        assert await issuer(kanwil, "WBC.16", "LAP", "LAP-02/WBC.165/2024") == "WBC.16"
        assert await issuer(op02, "KBC.1602", "LAP", "LAP-02/WBC.165/2024", issuer="WBC.165") == "WBC.16"
        assert await issuer(op02, "KBC.1602", "ST", "ST-61/BC/WBC.16/2024") == "WBC.16"
        prin = {"fields": {"ship_class": "V", "patrol_days": 4}, "indicator": "8b-N", "date": "2024-10-18"}
        prin |= {"period": "Q4"}
        assert await issuer(op02, "KBC.1602", "PRIN", "PRIN-222/BC/BC.10/2024", **prin) == "BC.10"
        # the same joint-patrol warrant proves Bontang's patrol too
        assert await issuer(op03, "KBC.1603", "PRIN", "PRIN-222/BC/BC.10/2024", **prin) == "BC.10"
        # the Kanwil may record a KPPBC's document as its own evidence; the KPPBC stays free to
        assert await issuer(kanwil, "WBC.16", "LPT", "LPT-5/KBC.1603/2024", **lpt) == "KBC.1603"
        assert await issuer(op03, "KBC.1603", "LPT", "LPT-5/KBC.1603/2024", **lpt) == "KBC.1603"
        r = await upload(
            c, op03, pdf(), meta("LPT", "LPT-5/KBC.1603/2024", satker="KBC.1603", **lpt), satker="KBC.1603"
        )
        assert r.status_code == 409  # but once per satker
