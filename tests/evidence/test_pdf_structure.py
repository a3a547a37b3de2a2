"""A file that starts like a PDF must be a PDF to its end: no executable or archive riding along.

libmagic and ``filetype`` read the head only, so ``%PDF-1.4`` + an ELF, or a real PDF with a zip
appended, used to be stored as PDF.
"""

from __future__ import annotations

import hashlib
import io
import zipfile
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.evidence.helpers import meta, upload
from tests.evidence.support import pdf

pytestmark = pytest.mark.anyio

OPERATOR = {"role": "satker_operator", "satker": "KBC.1602", "sub": "ana@KBC.1602"}
ELF = Path("/bin/true").read_bytes()


def _zip() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("payload.sh", "#!/bin/sh\necho hi\n")
    return out.getvalue()


def _update(base: bytes) -> bytes:
    """``base`` with an incremental update (a new object, xref, trailer, %%EOF), as editors write."""
    start = len(base)
    obj = b"5 0 obj\n<< /Producer (kinerja test) >>\nendobj\n"
    xref = start + len(obj)
    return (
        base
        + obj
        + b"xref\n5 1\n%010d 00000 n \ntrailer\n<< /Size 6 /Root 1 0 R /Prev 0 >>\nstartxref\n%d\n%%%%EOF\n"
        % (start, xref)
    )


REFUSED = {
    "header then ELF": b"%PDF-1.4\n" + ELF,
    "header then ELF, faked end": b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n" + ELF + b"\n%%EOF\n",
    "zip appended": pdf() + _zip(),
    "zip appended, faked end": pdf() + _zip() + b"\n%%EOF\n",
    "ELF appended": pdf() + ELF,
    "MZ appended": pdf() + b"MZ\x90\x00" + b"\0" * 64,
    "second PDF glued on": pdf() + pdf(),
    "text after the end": pdf() + b"junk",
    "no end marker": pdf().replace(b"%%EOF", b"%%EOX"),
}
ACCEPTED = {
    "plain": pdf(),
    "incremental update": _update(pdf()),
    "trailing white space": pdf() + b"\r\n\0\0 \n",
    "CR line ends": pdf().replace(b"%PDF-1.4\n", b"%PDF-1.4\r"),
}


async def _rows(app, sql: str) -> list[tuple]:  # type: ignore[no-untyped-def]
    async with app.state.db.engine.connect() as conn:
        return list((await conn.execute(sa.text(sql))).all())


async def test_pdf_carrying_another_file_is_415(evidence, mint) -> None:  # type: ignore[no-untyped-def]
    async with evidence() as (c, app):
        for name, body in REFUSED.items():
            r = await upload(c, mint(**OPERATOR), body, meta())
            assert r.status_code == 415, (name, r.text)
            assert r.headers["content-type"] == "application/problem+json"
            assert r.json()["errors"][0]["field"] == "content", name
        assert await _rows(app, "select count(*) from documents") == [(0,)]
        assert not list(app.state.evidence.spool_dir.iterdir())
        refused = await _rows(app, "select sha256 from audit_events where action = 'refused'")
        assert {r[0] for r in refused} == {hashlib.sha256(b).hexdigest() for b in REFUSED.values()}


async def test_well_formed_pdfs_pass(evidence, mint) -> None:  # type: ignore[no-untyped-def]
    async with evidence() as (c, _):
        for name, body in ACCEPTED.items():
            r = await upload(c, mint(**OPERATOR), body, meta())
            assert r.status_code == 201, (name, r.text)
            assert r.json()["media_type"] == "application/pdf"


async def test_end_marker_split_across_read_blocks(evidence, mint) -> None:  # type: ignore[no-untyped-def]
    """The file is read in 1 MiB blocks: a marker cut by a block border is still found."""
    async with evidence() as (c, _):
        for cut in (1, 2, 4):  # the marker's first `cut` bytes end the first block
            head = pdf()
            filler = 1024 * 1024 - len(head) - cut - 1
            body = head + b"%" + b"x" * (filler - 1) + b"\n" + b"%%EOF\n"
            assert body.index(b"%%EOF", len(head)) == 1024 * 1024 - cut
            r = await upload(c, mint(**OPERATOR), body, meta())
            assert r.status_code == 201, (cut, r.text)
