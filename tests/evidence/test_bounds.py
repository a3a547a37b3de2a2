"""Client input that used to be a 500 on evidence routes, long subjects, self-review, audit origin."""

from __future__ import annotations

import ipaddress

import pytest
import sqlalchemy as sa

from tests.conftest import bearer
from tests.evidence.helpers import BASE, meta, upload
from tests.evidence.support import pdf

pytestmark = pytest.mark.anyio

OPERATOR = {"role": "satker_operator", "satker": "KBC.1602", "sub": "ana@KBC.1602"}
REVIEWER = {"role": "reviewer", "satker": "WBC.16", "sub": "rudi@WBC.16"}


async def test_non_ascii_request_id_is_not_a_500(evidence, mint) -> None:  # type: ignore[no-untyped-def]
    async with evidence(scanner=False) as (c, _):
        h = bearer(mint(**OPERATOR))
        for rid in ("ñandú".encode(), b"\xe2\x80\x94", b"a b"):
            # the listing asks the registry for the satker path: the id travels on in a header
            r = await c.get(f"{BASE}/satkers/KBC.1602/documents", headers=[*h.items(), ("X-Request-ID", rid)])
            assert r.status_code == 200, (rid, r.status_code, r.text)
            assert r.headers["x-request-id"].isascii()


async def test_range_with_thousands_of_digits_is_answered_by_the_rfc(evidence, mint) -> None:  # type: ignore[no-untyped-def]
    body = pdf()
    huge = "9" * 5000
    async with evidence(scanner=False) as (c, _):
        r = await upload(c, mint(**OPERATOR), body, meta("ND", "ND-5/WBC.16/2024", issuer="WBC.16"))
        assert r.status_code == 201, r.text
        url = f"{BASE}/documents/{r.json()['id']}/content"
        h = bearer(mint(**REVIEWER))
        r = await c.get(url, headers=h | {"Range": f"bytes={huge}-"})
        assert r.status_code == 416 and r.headers["content-range"] == f"bytes */{len(body)}"
        r = await c.get(url, headers=h | {"Range": f"bytes=0-{huge}"})
        assert r.status_code == 206 and r.content == body
        r = await c.get(url, headers=h | {"Range": f"bytes=-{huge}"})
        assert r.status_code == 206 and r.content == body
        r = await c.get(url, headers=h | {"Range": f"bytes={'0' * 30}1-{'0' * 30}2"})  # leading zeros
        assert r.status_code == 206 and r.content == body[1:3]


async def test_nul_in_metadata_or_review_reason_is_422(evidence, mint) -> None:  # type: ignore[no-untyped-def]
    async with evidence(scanner=False) as (c, app):
        op = mint(**OPERATOR)
        for extra, field in (({"title": "a\x00b"}, "title"), ({"fields": {"activity": "pat\x00rol"}}, "fields")):
            r = await upload(c, op, pdf(), meta("ND", issuer="WBC.16", **extra))
            assert r.status_code == 422, r.text
            assert r.json()["errors"][0]["field"] == field
        r = await upload(c, op, pdf(), meta("ND", "ND-6/WBC.16/2024", issuer="WBC.16"))
        assert r.status_code == 201, r.text
        review = f"{BASE}/documents/{r.json()['id']}/review"
        r = await c.post(review, json={"decision": "reject", "reason": "x\x00"}, headers=bearer(mint(**REVIEWER)))
        assert r.status_code == 422 and r.json()["errors"][0]["field"] == "reason"
        async with app.state.db.engine.connect() as conn:
            status = (await conn.execute(sa.text("select status from documents"))).scalars().all()
        assert status == ["in_review"]  # nothing half-written


async def test_long_subjects_upload_and_are_audited(evidence, mint) -> None:  # type: ignore[no-untyped-def]
    subject = "oidc|" + "u" * 245  # 250 characters: the columns held 128
    async with evidence(scanner=False) as (c, _):
        token = mint(role="satker_operator", satker="KBC.1602", sub=subject)
        r = await upload(c, token, pdf(), meta("ND", "ND-7/WBC.16/2024", issuer="WBC.16"))
        assert r.status_code == 201, r.text
        assert r.json()["uploaded_by"] == subject
        trail = (await c.get(f"{BASE}/documents/{r.json()['id']}/audit", headers=bearer(token))).json()["items"]
        assert {e["actor"] for e in trail} == {subject}


async def test_self_review_is_refused_whatever_the_case_of_the_subject(evidence, mint) -> None:  # type: ignore[no-untyped-def]
    async with evidence(scanner=False) as (c, _):
        r = await upload(c, mint(**OPERATOR), pdf(), meta("ND", "ND-8/WBC.16/2024", issuer="WBC.16"))
        assert r.status_code == 201, r.text
        same_person = mint(role="reviewer", satker="WBC.16", sub="ANA@kbc.1602")
        r = await c.post(
            f"{BASE}/documents/{r.json()['id']}/review", json={"decision": "verify"}, headers=bearer(same_person)
        )
        assert r.status_code == 403, r.text


async def test_audit_origin_believes_forwarded_for_only_from_trusted_proxies(evidence, mint) -> None:  # type: ignore[no-untyped-def]
    forged = {"X-Forwarded-For": "6.6.6.6"}
    async with evidence(scanner=False) as (c, app):
        op = mint(**OPERATOR)
        r = await upload(c, op, pdf(), meta("ND", "ND-9/WBC.16/2024", issuer="WBC.16"))
        assert r.status_code == 201, r.text
        url = f"{BASE}/documents/{r.json()['id']}"
        h = bearer(mint(**REVIEWER))
        # the caller talks to the service directly (its peer is 127.0.0.1, no trusted proxy)
        assert (await c.get(f"{url}/content", headers=h | forged)).status_code == 200
        # now the peer is the gateway: it appended the address it saw after the caller's own header
        app.state.common = app.state.common.model_copy(
            update={"trusted_proxies": [ipaddress.ip_network("127.0.0.1/32")]}
        )
        seen = {"X-Forwarded-For": "6.6.6.6, 198.51.100.7"}
        assert (await c.get(f"{url}/content", headers=h | seen)).status_code == 200
        trail = (await c.get(f"{url}/audit", headers=bearer(op))).json()["items"]
    downloads = [e for e in trail if e["action"] == "downloaded"]
    assert [(e["client_ip"], e["detail"].get("via")) for e in downloads] == [
        ("127.0.0.1", None),
        ("198.51.100.7", ["127.0.0.1"]),
    ]
    assert all("6.6.6.6" not in str(e) for e in trail)
