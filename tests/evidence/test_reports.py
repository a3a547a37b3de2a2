"""Aggregates for scoring (contracts §8), the evidence pack, and the migrations."""

from __future__ import annotations

import hashlib
import io
import json
import zipfile

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.config import Config

from kernel.db import MIGRATIONS_INI, sync_url
from tests.conftest import bearer
from tests.evidence.helpers import BASE, meta, upload
from tests.evidence.support import pdf

pytestmark = pytest.mark.anyio

OP = {"role": "satker_operator", "satker": "KBC.1602", "sub": "ana@KBC.1602"}
REV = {"role": "reviewer", "satker": "WBC.16", "sub": "rudi@WBC.16"}


class Chain:
    def __init__(self, c, op: str, rev: str) -> None:  # type: ignore[no-untyped-def]
        self.c, self.op, self.rev = c, op, rev
        self.bodies: dict[str, bytes] = {}

    async def add(self, kind: str, parent: dict | None = None, verify: bool = True, **kw) -> dict:  # type: ignore[no-untyped-def,type-arg]
        body = pdf()
        m = meta(kind, parent_id=parent["id"] if parent else None, **kw)
        r = await upload(self.c, self.op, body, m)
        assert r.status_code == 201, r.text
        doc = r.json()
        self.bodies[doc["id"]] = body
        if verify:
            v = await self.c.post(
                f"{BASE}/documents/{doc['id']}/review", json={"decision": "verify"}, headers=bearer(self.rev)
            )
            assert v.status_code == 200, v.text
        return doc  # type: ignore[no-any-return]


async def test_aggregates_3a_cp(evidence, mint) -> None:  # type: ignore[no-untyped-def]
    async with evidence() as (c, _):
        ch = Chain(c, mint(**OP), mint(**REV))
        lpt1 = await ch.add("LPT", fields={"activity": "patrol"}, date="2024-02-01")
        sbp1 = await ch.add("SBP", lpt1, date="2024-02-01")
        ba1 = await ch.add("BA Tegah", sbp1, fields={"special_criteria": True}, date="2024-02-02")
        p21 = await ch.add("P-21", ba1, fields={"follow_up_type": "p21"}, date="2024-06-02", period="Q2")
        await ch.add("STCK-1", ba1, fields={"follow_up_type": "stck_1"}, date="2024-03-02")
        await ch.add("SPTP", ba1, fields={"follow_up_type": "sptp_tppu"}, date="2024-03-05", verify=False)
        lpt2 = await ch.add("LPT", fields={"activity": "operation"}, date="2024-03-01")
        await ch.add("SBP", lpt2, date="2024-03-01")
        await ch.add("LPT", fields={"activity": "patrol"}, date="2024-03-09")  # nothing found
        await ch.add("LPT", fields={"activity": "patrol"}, date="2024-03-10", verify=False)  # not verified
        await ch.add("LPT", fields={"activity": "patrol"}, date="2024-04-10", period="Q2")  # outside Q1
        await ch.add("LPT", fields={"activity": "patrol"}, date="2024-03-11", indicator="8a-N")  # another IKU

        r = await c.get(
            f"{BASE}/satkers/KBC.1602/aggregates",
            params={"year": 2024, "period": "Q1", "indicator": "3a-CP"},
            headers=bearer(mint(role="service", scopes=["read"])),
        )
        assert r.status_code == 200, r.text
        agg = r.json()
        assert agg["window"] == {"from": "2024-01-01", "to": "2024-03-31"} and agg["basis"] == "verified"
        lpt = agg["lpt"]
        assert lpt["count"] == 3
        assert lpt["by_activity"] == {"patrol": 2, "operation": 1, "sea_patrol": 0}
        assert lpt["by_best_outcome"]["patrol"] == {
            "ba_tegah_special": 1,
            "ba_tegah": 0,
            "ba_segel": 0,
            "sbp": 0,
            "none": 1,
        }
        assert lpt["by_best_outcome"]["operation"]["sbp"] == 1
        first = next(i for i in lpt["items"] if i["document_id"] == lpt1["id"])
        assert first["outcomes"] == {"ba_tegah_special": 1, "ba_tegah": 0, "ba_segel": 0, "sbp": 1}
        assert first["best_outcome"] == "ba_tegah_special"
        # the BA Tegah is tagged 3a-CP and dated in Q1: it is counted with its VERIFIED follow-ups
        assert agg["ba_tegah"]["count"] == 1
        ba = agg["ba_tegah"]["items"][0]
        assert (ba["document_id"], ba["special_criteria"], ba["lpt_id"]) == (ba1["id"], True, lpt1["id"])
        assert sorted(f["type"] for f in ba["follow_ups"]) == ["p21", "stck_1"]  # the SPTP is not verified
        assert any(f["document_id"] == p21["id"] for f in ba["follow_ups"])
        assert agg["documents"] == {"BA Tegah": 1, "LPT": 3, "P-21": 1, "SBP": 2, "STCK-1": 1}
        # several IKU in one request (repeated or comma list): each exactly the one-IKU answer
        q = {"year": 2024, "period": "Q1"}
        one_8a = (
            await c.get(
                f"{BASE}/satkers/KBC.1602/aggregates", params={**q, "indicator": "8a-N"}, headers=bearer(mint(**OP))
            )
        ).json()
        for indicator in (["3a-CP", "8a-N", "8b-N"], "3a-CP,8a-N,8b-N", "3a-CP, 8a-N,8b-N,3a-CP"):
            r = await c.get(
                f"{BASE}/satkers/KBC.1602/aggregates", params={**q, "indicator": indicator}, headers=bearer(mint(**OP))
            )
            assert r.status_code == 200, r.text
            many = r.json()
            assert list(many["indicators"]) == ["3a-CP", "8a-N", "8b-N"]
            assert (many["satker"], many["period"], many["window"]) == ("KBC.1602", "Q1", agg["window"])
            strip = lambda a: {k: v for k, v in a.items() if k != "as_of"}  # noqa: E731
            assert strip(many["indicators"]["3a-CP"]) == strip(agg)
            assert strip(many["indicators"]["8a-N"]) == strip(one_8a) and one_8a["lpt"]["count"] == 1
            assert many["indicators"]["8b-N"]["lpt"]["count"] == 0
        for bad in ("3a-CP,", "3a CP", ",".join(f"I{i}" for i in range(33))):
            r = await c.get(
                f"{BASE}/satkers/KBC.1602/aggregates", params={**q, "indicator": bad}, headers=bearer(mint(**OP))
            )
            assert r.status_code == 422, (bad, r.text)
        # as_of before the verifications: nothing yet
        r = await c.get(
            f"{BASE}/satkers/KBC.1602/aggregates",
            params={"year": 2024, "period": "Q1", "indicator": "3a-CP", "as_of": "2024-01-01T00:00:00Z"},
            headers=bearer(mint(**OP)),
        )
        assert r.json()["lpt"]["count"] == 0
        # another satker's operator cannot read them
        other = mint(role="satker_operator", satker="KBC.1603")
        r = await c.get(
            f"{BASE}/satkers/KBC.1602/aggregates",
            params={"year": 2024, "period": "Q1", "indicator": "3a-CP"},
            headers=bearer(other),
        )
        assert r.status_code == 403
        r = await c.get(
            f"{BASE}/satkers/KBC.1602/aggregates",
            params={"year": 2024, "period": "Q1", "indicator": ["3a-CP", "8a-N"]},
            headers=bearer(other),
        )
        assert r.status_code == 403


async def test_aggregates_late_seizure_and_sea_patrol(evidence, mint) -> None:  # type: ignore[no-untyped-def]
    async with evidence() as (c, _):
        ch = Chain(c, mint(**OP), mint(**REV))
        lpt = await ch.add("LPT", fields={"activity": "patrol"}, date="2024-12-20", period="Q4")
        sbp = await ch.add("SBP", lpt, date="2024-12-20", period="Q4")
        await ch.add("BA Tegah", sbp, fields={"special_criteria": False}, date="2024-12-20", period="Q4")
        agg = (
            await c.get(
                f"{BASE}/satkers/KBC.1602/aggregates",
                params={"year": 2024, "period": "Y", "indicator": "3a-CP"},
                headers=bearer(mint(**OP)),
            )
        ).json()
        assert agg["ba_tegah"]["items"][0]["follow_ups"] == [
            {"type": "seizure_after_dec_15", "document_id": None, "kind": None, "number": None}
        ]

        prin = await ch.add(
            "PRIN",
            number="PRIN-222/BC/BC.10/2024",
            issuer="BC.10",
            indicator="8b-N",
            date="2024-05-01",
            period="Q2",
            fields={"ship_class": "V", "patrol_days": 4},
        )
        await ch.add("NHI", prin, indicator="8b-N", date="2024-04-28", period="Q2")
        sea = await ch.add(
            "LPT", prin, fields={"activity": "sea_patrol"}, indicator="8b-N", date="2024-05-05", period="Q2"
        )
        sbp = await ch.add("SBP", sea, indicator="8b-N", date="2024-05-03", period="Q2")
        await ch.add("BA Riksa", sbp, indicator="8b-N", date="2024-05-03", period="Q2")
        await ch.add("BA Riksa", sea, indicator="8b-N", date="2024-05-04", period="Q2")
        await ch.add(
            "BA Tegah", sbp, fields={"special_criteria": False}, indicator="8b-N", date="2024-05-03", period="Q2"
        )
        await ch.add("BA Segel", sea, fields={"findings": True}, indicator="8b-N", date="2024-05-04", period="Q2")
        agg = (
            await c.get(
                f"{BASE}/satkers/KBC.1602/aggregates",
                params={"year": 2024, "period": "Q2", "indicator": "8b-N"},
                headers=bearer(mint(**OP)),
            )
        ).json()
        assert agg["sea_patrols"]["count"] == 1
        item = agg["sea_patrols"]["items"][0]
        assert {
            k: item[k]
            for k in (
                "ship_class",
                "patrol_days",
                "inspections",
                "seizures",
                "targeted_seizures",
                "sealings",
                "sealings_with_findings",
            )
        } == {
            "ship_class": "V",
            "patrol_days": 4,
            "inspections": 2,
            "seizures": 1,
            "targeted_seizures": 1,
            "sealings": 1,
            "sealings_with_findings": 1,
        }
        assert agg["lpt"]["by_activity"]["sea_patrol"] == 1
        assert agg["lpt"]["items"][0]["best_outcome"] == "ba_tegah"


async def test_evidence_pack_is_a_streamed_zip_with_manifest(evidence, mint) -> None:  # type: ignore[no-untyped-def]
    async with evidence(storage="s3") as (c, _):
        ch = Chain(c, mint(**OP), mint(**REV))
        lpt = await ch.add("LPT", fields={"activity": "patrol"}, date="2024-02-01")
        sbp = await ch.add("SBP", lpt, date="2024-02-03")
        await ch.add("ND", date="2024-02-04", verify=False)
        r = await c.get(
            f"{BASE}/satkers/KBC.1602/packs",
            params={"year": 2024, "period": "Q1", "indicator": "3a-CP"},
            headers=bearer(mint(**REV)),
        )
        assert r.status_code == 200, r.text
        assert r.headers["content-type"] == "application/zip"
        assert "content-length" not in r.headers  # streamed
        zf = zipfile.ZipFile(io.BytesIO(r.content))
        assert zf.testzip() is None
        manifest = json.loads(zf.read("manifest.json"))
        assert (manifest["satker"], manifest["indicator"], manifest["basis"]) == ("KBC.1602", "3a-CP", "verified")
        docs = {d["document_id"]: d for d in manifest["documents"]}
        assert set(docs) == {lpt["id"], sbp["id"]}  # the unverified memo stays out
        for doc_id, entry in docs.items():
            data = zf.read(entry["file"])
            assert data == ch.bodies[doc_id]
            assert hashlib.sha256(data).hexdigest() == entry["sha256"]
            assert [t["action"] for t in entry["review_trail"]] == ["uploaded", "scanned", "submitted", "verified"]
            assert entry["review_trail"][-1]["actor"] == REV["sub"]
        audit = (
            await c.get(
                f"{BASE}/satkers/KBC.1602/audit", params={"action": "pack_downloaded"}, headers=bearer(mint(**OP))
            )
        ).json()
        assert audit["total"] == 1 and audit["items"][0]["detail"]["documents"] == 2


async def test_sweep_endpoint_is_admin_only(evidence, mint) -> None:  # type: ignore[no-untyped-def]
    async with evidence() as (c, _):
        assert (await c.post(f"{BASE}/maintenance/sweep", headers=bearer(mint(**OP)))).status_code == 403
        r = await c.post(f"{BASE}/maintenance/sweep", headers=bearer(mint(role="admin")))
        assert r.json() == {"spool_removed": 0, "staging_removed": 0, "promoted": 0}


def test_migrations_up_check_down_on_postgresql(pg_url: str, schema: str) -> None:
    cfg = Config(str(MIGRATIONS_INI), ini_section="evidence")
    cfg.attributes["database_url"] = sync_url(pg_url)
    cfg.attributes["schema"] = schema
    command.upgrade(cfg, "head")
    command.check(cfg)  # the models and the migrations agree
    engine = sa.create_engine(sync_url(pg_url))
    try:
        with engine.connect() as conn:
            tables = set(sa.inspect(conn).get_table_names(schema=schema))
            assert {"documents", "audit_events", "alembic_version"} <= tables
        command.downgrade(cfg, "base")
        with engine.connect() as conn:
            assert set(sa.inspect(conn).get_table_names(schema=schema)) == {"alembic_version"}
        command.upgrade(cfg, "head")
    finally:
        engine.dispose()
