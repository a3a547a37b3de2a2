"""The PDF structure check: a file that starts like a PDF must be a PDF to its end (ADR 0005)."""

from __future__ import annotations

from pathlib import Path

from kernel.errors import UnsupportedMediaType

_EOF = b"%%EOF"
_WHITESPACE = b" \t\r\n\f\0"  # PDF white-space characters (ISO 32000-1 §7.2.2)
#: What may follow a ``%%EOF`` that is not the last one: an incremental update (objects, an xref
#: section or a comment line), and what may follow the header: objects or comments.
_AFTER_EOF = (b"xref", b"trailer", b"startxref", b"%")
_READ = 1024 * 1024


def _after_line(data: bytes) -> bytes:
    """``data`` past its first end of line (CR, LF or CR LF: PDF allows all three)."""
    ends = [i for i in (data.find(b"\r"), data.find(b"\n")) if i >= 0]
    if not ends:
        return b""
    i = min(ends)
    return data[i + (2 if data[i : i + 2] == b"\r\n" else 1) :]


def _next_token(data: bytes, pos: int) -> bytes:
    while pos < len(data) and data[pos] in _WHITESPACE:
        pos += 1
    return data[pos : pos + 16]


def _pdf_syntax(token: bytes, allowed: tuple[bytes, ...]) -> bool:
    """Whether ``token`` can start what PDF syntax puts here (an object number, or ``allowed``)."""
    if token.startswith(b"%PDF-"):  # a second document glued on is not an update of this one
        return False
    return token[:1].isdigit() or token.startswith(allowed)


def check_pdf_structure(path: Path) -> None:
    """Refuse (415) a file that starts like a PDF but carries another file.

    libmagic and ``filetype`` look at the head only: ``%PDF-1.4`` followed by an ELF, or a real PDF
    with a zip appended, passed as PDF. The whole file is read (in 1 MiB blocks, never whole in
    memory) and must keep PDF structure where other files hide:

    * it ends with ``%%EOF``: after the last one only PDF white space (readers ignore anything
      else, so anything else is a payload riding along — an appended zip, executable, script);
    * after every earlier ``%%EOF`` comes an incremental update (an object, ``xref``,
      ``trailer``, ``startxref`` or a comment), not another file's signature;
    * after the header line (and its binary-marker comment) comes an object or a comment.

    Objects themselves are not parsed (their streams may hold any bytes, compressed or not);
    this is a structure check, the malware scan runs after it.
    """
    size = path.stat().st_size
    found: set[int] = set()
    tail = b""
    with path.open("rb") as f:
        head = f.read(_READ)
        offset = 0
        block = head
        while block:
            data = tail + block
            base = offset - len(tail)
            start = 0
            while (i := data.find(_EOF, start)) >= 0:
                found.add(base + i)  # a marker in the carried-over tail is found twice
                start = i + 1
            offset += len(block)
            tail = data[-(len(_EOF) - 1) :]
            block = f.read(_READ)
        eofs = sorted(found)
        body = _after_line(head)  # past the header line
        # and past the binary-marker comment line(s) that follow it
        while body[:1] == b"%" and not body.startswith(b"%PDF-") and not body.startswith(_EOF):
            body = _after_line(body)
        if not _pdf_syntax(_next_token(body, 0), (b"%",)):
            raise UnsupportedMediaType("the file starts with a PDF header but is not PDF after it", field="content")
        if not eofs:
            raise UnsupportedMediaType("the PDF has no end marker (%%EOF): incomplete or not a PDF", field="content")
        for at in eofs[:-1]:
            f.seek(at + len(_EOF))
            if not _pdf_syntax(_next_token(f.read(4096), 0), _AFTER_EOF):
                raise UnsupportedMediaType(
                    f"the PDF carries other data after its end marker at byte {at}", field="content"
                )
        last = eofs[-1] + len(_EOF)
        f.seek(last)
        rest = f.read(min(size - last, _READ))
        if rest.strip(_WHITESPACE) or size - last > _READ:
            raise UnsupportedMediaType(
                f"the PDF carries {size - last} bytes of other data after its end marker", field="content"
            )
