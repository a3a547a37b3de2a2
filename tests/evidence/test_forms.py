"""Uploads as the web sends them: multipart forms, UTF-8 metadata, file names with their extension.

A browser form or ``curl -F metadata=... -F file=@laporan.pdf`` sends ``multipart/form-data``; the
raw-body form with ``X-Evidence-Metadata`` stays. Indonesian titles carry dashes and accents:
they must arrive as written (or be refused naming the header), never as mojibake.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import quote

import pytest
import sqlalchemy as sa

from tests.conftest import bearer
from tests.evidence.helpers import BASE, meta
from tests.evidence.support import pdf

pytestmark = pytest.mark.anyio

OPERATOR = {"role": "satker_operator", "satker": "KBC.1602", "sub": "ana@KBC.1602"}
TITLE = "Patroli laut – Selat Makassar, Tanjung Sélor"
URL = f"{BASE}/satkers/KBC.1602/documents"


async def _count(app: Any, table: str) -> int:
    async with app.state.db.engine.connect() as conn:
        return int((await conn.execute(sa.text(f"select count(*) from {table}"))).scalar_one())


def _spool(app: Any) -> list[str]:
    return [p.name for p in app.state.evidence.spool_dir.iterdir()]


def _form(metadata: dict[str, Any]) -> dict[str, str]:
    return {"metadata": json.dumps(metadata, ensure_ascii=False)}


async def test_multipart_form_with_non_ascii_metadata(evidence, mint) -> None:  # type: ignore[no-untyped-def]
    body = pdf(pad=200_000)
    m = meta("LPT", "LPT-12/KBC.1602/2024", indicator="8a-N", title=TITLE, fields={"activity": "sea_patrol"})
    async with evidence() as (c, app):
        h = bearer(mint(**OPERATOR))
        r = await c.post(
            URL, headers=h, data=_form(m), files={"file": ("laporan – patroli.pdf", body, "application/pdf")}
        )
        assert r.status_code == 201, r.text
        doc = r.json()
        assert doc["title"] == TITLE
        assert doc["filename"] == "laporan – patroli.pdf"
        assert doc["size"] == len(body) and doc["media_type"] == "application/pdf"
        got = await c.get(f"{BASE}/documents/{doc['id']}/content", headers=h)
        assert got.content == body
        assert got.headers["content-disposition"] == f"attachment; filename*=UTF-8''{quote('laporan – patroli.pdf')}"
        trail = (await c.get(f"{BASE}/documents/{doc['id']}/audit", headers=h)).json()["items"]
        assert trail[0]["detail"]["declared_type"] == "application/pdf"  # the file part's own type
        assert _spool(app) == []


async def test_download_name_gets_the_extension_of_the_sniffed_type(evidence, mint) -> None:  # type: ignore[no-untyped-def]
    async with evidence() as (c, _):
        h = bearer(mint(**OPERATOR))
        m = meta("LPT", "LPT-12/KBC.1602/2024", indicator="8a-N", fields={"activity": "patrol"})
        r = await c.post(URL, headers=h | {"X-Evidence-Metadata": json.dumps(m)}, content=pdf())
        assert r.status_code == 201, r.text
        assert r.json()["filename"] == "LPT-12_KBC.1602_2024.pdf"
        got = await c.get(f"{BASE}/documents/{r.json()['id']}/content", headers=h)
        assert got.headers["content-disposition"] == "attachment; filename*=UTF-8''LPT-12_KBC.1602_2024.pdf"
        # a name the client chose keeps its extension only when the contents agree
        m = meta(filename="scan.jpeg")
        r = await c.post(URL, headers=h | {"X-Evidence-Metadata": json.dumps(m)}, content=pdf())
        assert r.json()["filename"] == "scan.jpeg.pdf"
        m = meta(filename="Laporan.PDF")
        r = await c.post(URL, headers=h | {"X-Evidence-Metadata": json.dumps(m)}, content=pdf())
        assert r.json()["filename"] == "Laporan.PDF"


@pytest.mark.parametrize("form", ["raw-utf8", "rfc8187"])
async def test_metadata_header_in_utf8_is_stored_as_written(evidence, mint, form: str) -> None:  # type: ignore[no-untyped-def]
    text = json.dumps(meta(title=TITLE), ensure_ascii=False)
    value = text.encode() if form == "raw-utf8" else ("UTF-8''" + quote(text, safe="")).encode()
    async with evidence() as (c, _):
        r = await c.post(URL, headers=bearer(mint(**OPERATOR)) | {"X-Evidence-Metadata": value}, content=pdf())  # type: ignore[operator]
        assert r.status_code == 201, r.text
        assert r.json()["title"] == TITLE
        assert "\\x" not in r.text and "â€" not in r.json()["title"]


async def test_metadata_header_that_is_not_utf8_is_refused_naming_the_header(evidence, mint) -> None:  # type: ignore[no-untyped-def]
    value = json.dumps(meta(title=TITLE), ensure_ascii=False).encode("cp1252")  # – as 0x96: not UTF-8
    async with evidence() as (c, app):
        r = await c.post(URL, headers=bearer(mint(**OPERATOR)) | {"X-Evidence-Metadata": value}, content=pdf())  # type: ignore[operator]
        assert r.status_code == 422, r.text
        assert r.headers["content-type"] == "application/problem+json"
        assert r.json()["errors"][0]["field"] == "X-Evidence-Metadata"
        r = await c.post(
            URL, headers=bearer(mint(**OPERATOR)) | {"X-Evidence-Metadata": "UTF-8''%7B%96%7D"}, content=pdf()
        )
        assert (r.status_code, r.json()["errors"][0]["field"]) == (422, "X-Evidence-Metadata")
        r = await c.post(URL, headers=bearer(mint(**OPERATOR)), content=pdf())  # neither header nor form
        assert (r.status_code, r.json()["errors"][0]["field"]) == (422, "X-Evidence-Metadata")
        assert await _count(app, "documents") == 0


def _part(boundary: str, name: str, data: bytes, *, filename: str | None = None, ctype: str | None = None) -> bytes:
    disposition = f'form-data; name="{name}"' + (f'; filename="{filename}"' if filename else "")
    head = f"--{boundary}\r\nContent-Disposition: {disposition}\r\n"
    if ctype:
        head += f"Content-Type: {ctype}\r\n"
    return head.encode() + b"\r\n" + data + b"\r\n"


async def test_multipart_size_cap_stops_reading_while_streaming(evidence, mint) -> None:  # type: ignore[no-untyped-def]
    limit = 1024 * 1024
    boundary = uuid.uuid4().hex
    pulled = 0
    head = _part(boundary, "metadata", json.dumps(meta(title=TITLE), ensure_ascii=False).encode())
    head += f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="besar.pdf"\r\n\r\n'.encode()

    async def endless() -> AsyncIterator[bytes]:  # no Content-Length: only the streamed count can stop it
        nonlocal pulled
        yield head
        chunk = pdf()[:16] + b"\0" * (64 * 1024 - 16)
        for _ in range(10_000):  # 640 MB if anybody read it all
            pulled += len(chunk)
            yield chunk

    async with evidence(max_upload_bytes=limit) as (c, app):
        r = await c.post(
            URL,
            headers=bearer(mint(**OPERATOR)) | {"Content-Type": f"multipart/form-data; boundary={boundary}"},
            content=endless(),
        )
        assert r.status_code == 413, r.text
        assert r.json()["errors"][0]["field"] == "content"
        assert pulled <= limit + 2 * 64 * 1024  # stopped at the cap, never buffered the rest
        assert await _count(app, "documents") == 0 and _spool(app) == []
        # Content-Length far beyond the cap: refused before the body is read
        big = 3 * limit
        r = await c.post(
            URL, headers=bearer(mint(**OPERATOR)), data=_form(meta()), files={"file": ("a.pdf", b"%PDF" + b"0" * big)}
        )
        assert r.status_code == 413
        # a file exactly at the cap passes
        body = pdf()
        body += b"%" * (limit - len(body) - 7) + b"\n%%EOF\n"
        assert len(body) == limit
        r = await c.post(URL, headers=bearer(mint(**OPERATOR)), data=_form(meta()), files={"file": ("a.pdf", body)})
        assert r.status_code == 201, r.text


async def test_malformed_forms_are_refused_naming_the_field(evidence, mint) -> None:  # type: ignore[no-untyped-def]
    b = uuid.uuid4().hex
    ctype = {"Content-Type": f"multipart/form-data; boundary={b}"}
    md = json.dumps(meta()).encode()
    end = f"--{b}--\r\n".encode()
    async with evidence() as (c, app):
        h = bearer(mint(**OPERATOR)) | ctype

        async def post(body: bytes) -> tuple[int, str]:
            r = await c.post(URL, headers=h, content=body)
            return r.status_code, r.json()["errors"][0]["field"]

        file_part = _part(b, "file", pdf(), filename="a.pdf", ctype="application/pdf")
        assert await post(file_part + _part(b, "metadata", md) + end) == (422, "metadata")  # file first
        assert await post(_part(b, "metadata", md) + end) == (422, "file")
        assert await post(file_part + end) == (422, "metadata")
        assert await post(_part(b, "metadata", md) + _part(b, "catatan", b"x") + file_part + end) == (422, "catatan")
        assert await post(_part(b, "metadata", b'{"kind": "ND\x96"}') + file_part + end) == (422, "metadata")
        assert await post(_part(b, "metadata", md) + file_part + file_part + end) == (422, "file")
        truncated = _part(b, "metadata", md) + file_part[:-200]
        assert await post(truncated) == (422, "file")  # a cut-off body is never stored
        bad = json.dumps(meta(period="Q9")).encode()
        assert await post(_part(b, "metadata", bad) + file_part + end) == (422, "period")
        r = await c.post(URL, headers=bearer(mint(**OPERATOR)) | {"Content-Type": "multipart/form-data"}, content=b"x")
        assert r.status_code == 415 and r.json()["errors"][0]["field"] == "Content-Type"
        assert await _count(app, "documents") == 0 and _spool(app) == []
        ok = await c.post(URL, headers=h, content=_part(b, "metadata", md) + file_part + end)  # the same, well-formed
        assert ok.status_code == 201, ok.text
