"""Every timestamp in every evidence answer is UTC with an explicit offset, on PostgreSQL and SQLite.

SQLite has no time zone type: values read back from it came without an offset (``uploaded_at``
without ``Z`` in the review answer, the audit list and the pack manifest) while the upload answer,
built from the object in memory, had one.
"""

from __future__ import annotations

import io
import json
import zipfile
from datetime import datetime, timedelta

import pytest

from tests.conftest import bearer
from tests.evidence.helpers import BASE, meta, upload
from tests.evidence.support import pdf

pytestmark = pytest.mark.anyio

OPERATOR = {"role": "satker_operator", "satker": "KBC.1602", "sub": "ana@KBC.1602"}
REVIEWER = {"role": "reviewer", "satker": "WBC.16", "sub": "rudi@WBC.16"}


def _utc(value: str) -> None:
    moment = datetime.fromisoformat(value)
    assert moment.utcoffset() == timedelta(0), f"{value} carries no UTC offset"


@pytest.mark.parametrize("database", ["postgresql", "sqlite"])
async def test_timestamps_keep_their_utc_offset_after_a_read_back(evidence, mint, database: str) -> None:  # type: ignore[no-untyped-def]
    async with evidence(database=database) as (c, _):
        op, rev = bearer(mint(**OPERATOR)), bearer(mint(**REVIEWER))
        up = await upload(c, mint(**OPERATOR), pdf(), meta("LPT", indicator="8a-N", fields={"activity": "patrol"}))
        assert up.status_code == 201, up.text
        doc = up.json()
        _utc(doc["uploaded_at"])

        reviewed = await c.post(f"{BASE}/documents/{doc['id']}/review", json={"decision": "verify"}, headers=rev)
        assert reviewed.status_code == 200, reviewed.text
        for name in ("uploaded_at", "submitted_at", "reviewed_at"):
            _utc(reviewed.json()[name])
        read = (await c.get(f"{BASE}/documents/{doc['id']}", headers=op)).json()
        for name in ("uploaded_at", "submitted_at", "reviewed_at"):
            _utc(read[name])
        assert read["uploaded_at"] == doc["uploaded_at"]  # the same moment, the same spelling

        listed = (await c.get(f"{BASE}/satkers/KBC.1602/documents", headers=op)).json()["items"]
        _utc(listed[0]["uploaded_at"])
        audit = (await c.get(f"{BASE}/satkers/KBC.1602/audit", headers=op)).json()["items"]
        assert audit and all(_utc(e["at"]) is None for e in audit)
        trail = (await c.get(f"{BASE}/documents/{doc['id']}/audit", headers=op)).json()["items"]
        assert trail and all(_utc(e["at"]) is None for e in trail)

        packed = await c.get(
            f"{BASE}/satkers/KBC.1602/packs", params={"year": 2024, "period": "Q1", "indicator": "8a-N"}, headers=rev
        )
        assert packed.status_code == 200, packed.text
        manifest = json.loads(zipfile.ZipFile(io.BytesIO(packed.content)).read("manifest.json"))
        _utc(manifest["generated_at"])
        steps = manifest["documents"][0]["review_trail"]
        assert [s["action"] for s in steps] == ["uploaded", "scanned", "submitted", "verified"]
        for step in steps:
            _utc(step["at"])
