"""What a file really is, from its first bytes: libmagic, with ``filetype`` as a second opinion.

The client's Content-Type and file name are recorded but never trusted. The type in force is
libmagic's; ``filetype`` (pure signature matching) must not contradict it with a type outside the
kind's allowlist — that catches polyglots libmagic reads generously.
"""

from __future__ import annotations

import filetype
import magic

from kernel.errors import UnsupportedMediaType

HEAD_BYTES = 8192


def sniff(head: bytes) -> tuple[str, str | None]:
    """(libmagic type, filetype guess or None) of the first bytes of a file."""
    primary = magic.from_buffer(head, mime=True) if head else "application/x-empty"
    guess = filetype.guess(head)
    return primary, (guess.mime if guess else None)


def check_type(head: bytes, allowed: frozenset[str], kind: str) -> str:
    primary, second = sniff(head)
    if primary not in allowed:
        raise UnsupportedMediaType(
            f"a {kind} must be one of {', '.join(sorted(allowed))}; the file is {primary}", field="content"
        )
    if second is not None and second != primary and second not in allowed:
        raise UnsupportedMediaType(f"file type is ambiguous ({primary} / {second}); refused", field="content")
    return primary
