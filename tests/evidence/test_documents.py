"""Upload → scan → store → review → download, on PostgreSQL, real clamd, local files and SeaweedFS."""

from __future__ import annotations

import hashlib
import logging
import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.conftest import bearer
from tests.evidence.helpers import BASE, headers, meta, upload
from tests.evidence.support import EICAR, pdf

pytestmark = pytest.mark.anyio
EXE = Path("/bin/true").read_bytes()  # a real ELF executable, offered as laporan.pdf

OPERATOR = {"role": "satker_operator", "satker": "KBC.1602", "sub": "ana@KBC.1602"}
REVIEWER = {"role": "reviewer", "satker": "WBC.16", "sub": "rudi@WBC.16"}


def tok(mint, who: dict[str, str]) -> str:  # type: ignore[no-untyped-def]
    return mint(**who)


async def _rows(app, sql: str) -> list[tuple]:  # type: ignore[no-untyped-def]
    async with app.state.db.engine.connect() as conn:
        return list((await conn.execute(sa.text(sql))).all())


async def _keys(app) -> list[str]:  # type: ignore[no-untyped-def]
    return list(await app.state.evidence.storage.list_all())


@pytest.mark.parametrize("storage", ["local", "s3"])
async def test_pdf_roundtrip_is_byte_identical_and_audited(evidence, mint, storage: str) -> None:  # type: ignore[no-untyped-def]
    body = pdf(pad=300_000)
    async with evidence(storage=storage) as (c, app):
        r = await upload(c, tok(mint, OPERATOR), body, meta("ND", "ND-273/WBC.16/2024", issuer="WBC.16"))
        assert r.status_code == 201, r.text
        doc = r.json()
        assert doc["status"] == "in_review"
        assert doc["scan_status"] == "clean" and doc["scanner"] == "clamd"
        assert doc["sha256"] == hashlib.sha256(body).hexdigest() and doc["size"] == len(body)
        assert doc["media_type"] == "application/pdf"
        assert await _keys(app) == [f"sha256/{doc['sha256'][:2]}/{doc['sha256']}"]  # promoted, nothing staged
        assert not list(app.state.evidence.spool_dir.iterdir())

        d = await c.get(f"{BASE}/documents/{doc['id']}/content", headers=bearer(tok(mint, REVIEWER)))
        assert d.status_code == 200
        assert d.content == body
        assert d.headers["etag"] == f'"{doc["sha256"]}"'
        assert d.headers["accept-ranges"] == "bytes"

        trail = (await c.get(f"{BASE}/documents/{doc['id']}/audit", headers=bearer(tok(mint, OPERATOR)))).json()[
            "items"
        ]
        assert [e["action"] for e in trail] == ["uploaded", "scanned", "submitted", "downloaded"]
        assert trail[-1]["actor"] == "rudi@WBC.16" and trail[-1]["client_ip"]


@pytest.mark.parametrize("storage", ["local", "s3"])
async def test_range_downloads(evidence, mint, storage: str) -> None:  # type: ignore[no-untyped-def]
    body = pdf(pad=100_000)
    size = len(body)
    async with evidence(storage=storage) as (c, _):
        doc = (await upload(c, tok(mint, OPERATOR), body, meta())).json()
        url = f"{BASE}/documents/{doc['id']}/content"
        h = bearer(tok(mint, OPERATOR))
        r = await c.get(url, headers=h | {"Range": "bytes=10-99"})
        assert r.status_code == 206
        assert r.content == body[10:100]
        assert r.headers["content-range"] == f"bytes 10-99/{size}"
        assert r.headers["content-length"] == "90"
        r = await c.get(url, headers=h | {"Range": "bytes=-16"})
        assert (r.status_code, r.content) == (206, body[-16:])
        r = await c.get(url, headers=h | {"Range": f"bytes={size - 5}-"})
        assert (r.status_code, r.content) == (206, body[-5:])
        r = await c.get(url, headers=h | {"Range": f"bytes=0-{size + 1000}"})  # clamped to the end
        assert (r.status_code, r.content) == (206, body)
        r = await c.get(url, headers=h | {"Range": f"bytes={size}-"})
        assert r.status_code == 416
        assert r.headers["content-range"] == f"bytes */{size}"
        assert r.headers["content-type"] == "application/problem+json"
        r = await c.get(url, headers=h | {"Range": "bytes=0-1,5-9"})  # several ranges: whole file
        assert (r.status_code, r.content) == (200, body)
        audit = (await c.get(f"{BASE}/satkers/KBC.1602/audit", params={"action": "downloaded"}, headers=h)).json()
        assert [e["detail"]["range"] for e in audit["items"]][:4] == [
            "10-99",
            f"{size - 16}-{size - 1}",
            f"{size - 5}-{size - 1}",
            f"0-{size - 1}",
        ]


async def test_executable_renamed_pdf_is_415(evidence, mint) -> None:  # type: ignore[no-untyped-def]
    exe = EXE
    async with evidence() as (c, app):
        r = await upload(c, tok(mint, OPERATOR), exe, meta(filename="laporan.pdf"))
        assert r.status_code == 415, r.text
        assert r.headers["content-type"] == "application/problem+json"
        assert "application/x-" in r.json()["detail"]
        assert await _rows(app, "select count(*) from documents") == [(0,)]
        assert await _keys(app) == []
        assert not list(app.state.evidence.spool_dir.iterdir())
        refused = await _rows(app, "select action, sha256 from audit_events")
        assert refused == [("refused", hashlib.sha256(exe).hexdigest())]


async def test_oversized_upload_is_413_without_reading_it_all(evidence, mint) -> None:  # type: ignore[no-untyped-def]
    limit = 1024 * 1024
    pulled = 0

    async def endless() -> AsyncIterator[bytes]:
        nonlocal pulled
        chunk = pdf()[:16] + b"\0" * (64 * 1024 - 16)
        for _ in range(10_000):  # 640 MB if anybody read it all
            pulled += len(chunk)
            yield chunk

    async with evidence(max_upload_bytes=limit) as (c, app):
        # chunked, no Content-Length: refused once the cap is crossed while streaming
        r = await upload(c, tok(mint, OPERATOR), endless(), meta())
        assert r.status_code == 413, r.text
        assert pulled <= limit + 2 * 64 * 1024
        # an honest Content-Length above the cap: refused before a single byte is read
        pulled = 0
        h = headers(tok(mint, OPERATOR), meta()) | {"Content-Length": str(limit + 1)}
        r = await c.post(f"{BASE}/satkers/KBC.1602/documents", content=endless(), headers=h)
        assert r.status_code == 413
        assert pulled <= 64 * 1024  # at most the transport's first chunk
        assert await _rows(app, "select count(*) from documents") == [(0,)]
        assert not list(app.state.evidence.spool_dir.iterdir())


async def test_eicar_is_refused_and_quarantined(evidence, mint) -> None:  # type: ignore[no-untyped-def]
    async with evidence() as (c, app):
        # EICAR is plain text: let the kind allow it, so the scanner (not the type check) must catch it
        from services.evidence.service import kinds

        spec = kinds.KINDS["ND"]
        object.__setattr__(spec, "media_types", spec.media_types | {"text/plain"})
        try:
            r = await upload(c, tok(mint, OPERATOR), EICAR, meta(), content_type="application/pdf")
        finally:
            object.__setattr__(spec, "media_types", spec.media_types - {"text/plain"})
        assert r.status_code == 422, r.text
        assert r.json()["type"] == "/problems/malware-detected"
        assert "Eicar" in r.json()["detail"]
        quarantined = list(app.state.evidence.quarantine_dir.iterdir())
        assert len(quarantined) == 1 and quarantined[0].read_bytes() == EICAR
        assert await _rows(app, "select count(*) from documents") == [(0,)]
        assert await _keys(app) == []
        events = await _rows(app, "select action, detail from audit_events")
        assert events[0][0] == "quarantined" and "Eicar" in events[0][1]["signature"]


async def test_duplicates_are_409(evidence, mint) -> None:  # type: ignore[no-untyped-def]
    body = pdf()
    async with evidence() as (c, app):
        first = await upload(c, tok(mint, OPERATOR), body, meta("ND", "ND-1/KBC.1602/2024"))
        assert first.status_code == 201
        same_file = await upload(c, tok(mint, OPERATOR), body, meta("ND", "ND-2/KBC.1602/2024"))
        assert same_file.status_code == 409
        assert same_file.json()["existing_id"] == first.json()["id"]
        same_number = await upload(c, tok(mint, OPERATOR), pdf(), meta("ND", "ND-1/KBC.1602/2024"))
        assert same_number.status_code == 409
        assert same_number.json()["errors"][0]["field"] == "number"
        assert await _rows(app, "select count(*) from documents") == [(1,)]
        assert len(await _keys(app)) == 1


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"number": "ND 273/WBC.16/2024"}, "number"),
        ({"number": "LPT-5/KBC.1602/2024"}, "number"),  # an LPT number on a memo
        ({"number": "ND-5/KBC.1602/2023"}, "number"),  # number year differs from the date
        ({"document_date": "2024-05-02"}, "document_date"),  # outside Q1
        ({"indicator": "99z-N"}, "indicator"),
        ({"period": "Q5"}, "period"),
        ({"kind": "XYZ"}, "kind"),
    ],
)
async def test_bad_metadata_is_422(evidence, mint, change: dict[str, str], field: str) -> None:  # type: ignore[no-untyped-def]
    async with evidence() as (c, _):
        r = await upload(c, tok(mint, OPERATOR), pdf(), meta("ND") | change)
        assert r.status_code == 422, r.text
        assert r.json()["errors"][0]["field"] == field


async def test_kind_specific_fields_and_links(evidence, mint) -> None:  # type: ignore[no-untyped-def]
    t = tok(mint, OPERATOR)
    async with evidence() as (c, _):
        r = await upload(c, t, pdf(), meta("LPT", fields={"activity": "picnic"}))
        assert (r.status_code, r.json()["errors"][0]["field"]) == (422, "fields.activity")
        lpt = (await upload(c, t, pdf(), meta("LPT", fields={"activity": "patrol"}))).json()
        r = await upload(c, t, pdf(), meta("BA Tegah", parent_id=lpt["id"], fields={"special_criteria": False}))
        assert (r.status_code, r.json()["errors"][0]["field"]) == (422, "parent_id")  # BA Tegah hangs under an SBP
        sbp = (await upload(c, t, pdf(), meta("SBP", parent_id=lpt["id"]))).json()
        r = await upload(c, t, pdf(), meta("BA Tegah", parent_id=sbp["id"]))
        assert (r.status_code, r.json()["errors"][0]["field"]) == (422, "fields.special_criteria")
        ba = await upload(c, t, pdf(), meta("BA Tegah", parent_id=sbp["id"], fields={"special_criteria": True}))
        assert ba.status_code == 201
        r = await upload(c, t, pdf(), meta("P-21", parent_id=ba.json()["id"]))
        assert (r.status_code, r.json()["errors"][0]["field"]) == (422, "fields.follow_up_type")
        r = await upload(c, t, pdf(), meta("P-21", parent_id=ba.json()["id"], fields={"follow_up_type": "sptp_tppu"}))
        assert r.status_code == 422  # an SPTP TPPU is not proven by a P-21
        r = await upload(c, t, pdf(), meta("P-21", parent_id=ba.json()["id"], fields={"follow_up_type": "p21"}))
        assert r.status_code == 201, r.text
        r = await upload(c, t, pdf(), meta("PRIN", "PRIN-222/BC/BC.10/2024", fields={"ship_class": "V"}))
        assert r.status_code == 422  # ship class without days
        r = await upload(c, t, pdf(), meta("ST", "ST-61/BC/WBC.16/2024", issuer="WBC.16"))
        assert r.status_code == 201


async def test_closed_period_is_refused(evidence, mint, registry) -> None:  # type: ignore[no-untyped-def]
    registry.closed[("KBC.1602", 2024)] = ["S1"]
    async with evidence() as (c, _):
        r = await upload(c, tok(mint, OPERATOR), pdf(), meta(date="2024-02-10", period="Q1"))
        assert r.status_code == 409
        assert r.json()["type"] == "/problems/period-closed"
        r = await upload(c, tok(mint, OPERATOR), pdf(), meta(date="2024-08-10", period="Q3"))
        assert r.status_code == 201


async def test_other_satker_is_403(evidence, mint) -> None:  # type: ignore[no-untyped-def]
    async with evidence() as (c, app):
        r = await upload(c, tok(mint, OPERATOR), pdf(), meta(satker="KBC.1603"), satker="KBC.1603")
        assert r.status_code == 403
        doc = (await upload(c, tok(mint, OPERATOR), pdf(), meta())).json()
        other = mint(role="satker_operator", satker="KBC.1603")
        assert (await c.get(f"{BASE}/documents/{doc['id']}/content", headers=bearer(other))).status_code == 403
        far = mint(role="reviewer", satker="WBC.17")
        assert (await c.get(f"{BASE}/documents/{doc['id']}", headers=bearer(far))).status_code == 403
        assert (await c.get(f"{BASE}/documents/{doc['id']}")).status_code == 401
        kanwil = mint(role="kanwil_manager", satker="WBC.16")
        r = await upload(c, kanwil, pdf(), meta(satker="KBC.1603"), satker="KBC.1603")  # subtree write
        assert r.status_code == 201


async def test_review_workflow(evidence, mint) -> None:  # type: ignore[no-untyped-def]
    op = tok(mint, OPERATOR)
    rev = tok(mint, REVIEWER)
    async with evidence() as (c, app):
        doc = (await upload(c, op, pdf(), meta("ND", "ND-7/KBC.1602/2024"), submit=False)).json()
        assert doc["status"] == "scanned"
        url = f"{BASE}/documents/{doc['id']}"
        assert (await c.post(f"{url}/review", json={"decision": "verify"}, headers=bearer(rev))).status_code == 409
        assert (await c.post(f"{url}/submit", headers=bearer(op))).json()["status"] == "in_review"
        # nobody reviews their own upload, even with the right role
        self_reviewer = mint(role="reviewer", satker="WBC.16", sub=OPERATOR["sub"])
        r = await c.post(f"{url}/review", json={"decision": "verify"}, headers=bearer(self_reviewer))
        assert r.status_code == 403 and "own upload" in r.json()["detail"]
        assert (await c.post(f"{url}/review", json={"decision": "verify"}, headers=bearer(op))).status_code == 403
        far = mint(role="reviewer", satker="WBC.17")
        assert (await c.post(f"{url}/review", json={"decision": "verify"}, headers=bearer(far))).status_code == 403
        r = await c.post(f"{url}/review", json={"decision": "reject"}, headers=bearer(rev))
        assert (r.status_code, r.json()["errors"][0]["field"]) == (422, "reason")
        r = await c.post(f"{url}/review", json={"decision": "reject", "reason": "unsigned scan"}, headers=bearer(rev))
        assert r.json()["status"] == "rejected" and r.json()["review_reason"] == "unsigned scan"
        assert (await c.post(f"{url}/review", json={"decision": "verify"}, headers=bearer(rev))).status_code == 409

        # the correction: a new immutable revision, same number, back in review
        body2 = pdf()
        r = await c.post(f"{url}/revisions", content=body2, headers=headers(op, meta("ND", "ND-7/KBC.1602/2024")))
        assert r.status_code == 201, r.text
        new = r.json()
        assert (new["revision"], new["lineage_id"], new["status"]) == (2, doc["lineage_id"], "in_review")
        assert new["supersedes_id"] == doc["id"]
        old = (await c.get(url, headers=bearer(op))).json()
        assert (old["is_current"], old["status"], old["sha256"]) == (False, "rejected", doc["sha256"])  # unchanged
        r = await c.post(f"{url}/revisions", content=pdf(), headers=headers(op, meta("ND", "ND-7/KBC.1602/2024")))
        assert r.status_code == 409  # only the current revision can be corrected
        r = await c.post(f"{BASE}/documents/{new['id']}/review", json={"decision": "verify"}, headers=bearer(rev))
        assert r.json()["status"] == "verified" and r.json()["reviewed_by"] == REVIEWER["sub"]
        revs = (await c.get(f"{url}/revisions", headers=bearer(op))).json()["items"]
        assert [(x["revision"], x["status"], x["is_current"]) for x in revs] == [
            (1, "rejected", False),
            (2, "verified", True),
        ]
        trail = (await c.get(f"{url}/audit", headers=bearer(op))).json()["items"]
        assert [(e["action"], e["actor"]) for e in trail] == [
            ("uploaded", OPERATOR["sub"]),
            ("scanned", OPERATOR["sub"]),
            ("submitted", OPERATOR["sub"]),
            ("rejected", REVIEWER["sub"]),
            ("uploaded", OPERATOR["sub"]),
            ("scanned", OPERATOR["sub"]),
            ("submitted", OPERATOR["sub"]),
            ("verified", REVIEWER["sub"]),
        ]
        assert trail[3]["detail"]["reason"] == "unsigned scan"


async def test_audit_log_is_append_only(evidence, mint) -> None:  # type: ignore[no-untyped-def]
    async with evidence() as (c, app):
        await upload(c, tok(mint, OPERATOR), pdf(), meta())
        with pytest.raises(sa.exc.DBAPIError, match="append-only"):
            async with app.state.db.engine.begin() as conn:
                await conn.execute(sa.text("update audit_events set actor = 'mallory'"))
        with pytest.raises(sa.exc.DBAPIError, match="append-only"):
            async with app.state.db.engine.begin() as conn:
                await conn.execute(sa.text("delete from audit_events"))


async def test_disabled_scanner_is_explicit_and_recorded(evidence, mint, caplog) -> None:  # type: ignore[no-untyped-def]
    caplog.set_level(logging.WARNING, logger="kinerja.evidence")
    async with evidence(scanner=False) as (c, _):
        assert any("scanning is DISABLED" in m for m in caplog.messages)
        doc = (await upload(c, tok(mint, OPERATOR), pdf(), meta())).json()
        assert (doc["scan_status"], doc["scanner"]) == ("not_scanned", "disabled")


async def test_readiness_reports_a_dead_scanner(evidence, tmp_path) -> None:  # type: ignore[no-untyped-def]
    async with evidence() as (c, app):
        assert (await c.get("/readyz")).status_code == 200
        app.state.evidence.scanner._socket = str(tmp_path / "nothing.sock")
        r = await c.get("/readyz")
        assert r.status_code == 503 and "scanner" in r.json()["detail"]


async def test_scanner_down_fails_closed(evidence, mint, tmp_path) -> None:  # type: ignore[no-untyped-def]
    async with evidence() as (c, app):
        app.state.evidence.scanner._socket = str(tmp_path / "nothing.sock")
        r = await upload(c, tok(mint, OPERATOR), pdf(), meta())
        assert r.status_code == 503
        assert await _rows(app, "select count(*) from documents") == [(0,)]
        assert await _keys(app) == [] and not os.listdir(app.state.evidence.spool_dir)
