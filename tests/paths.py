"""Files the tests read, always inside the checkout.

The suite must run on any clone: a test that reads a file beside or above the repository passes
on one machine and fails everywhere else. :func:`in_checkout` is the one way tests name data
files; it refuses absolute paths and anything that resolves outside the repository.
"""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def in_checkout(relative: str) -> Path:
    """``relative`` (to the repository root) as a path, refused when it leaves the checkout."""
    given = Path(relative)
    if given.is_absolute():
        raise ValueError(f"tests read files of the checkout only, by a relative path: {relative}")
    path = (ROOT / given).resolve()
    if not path.is_relative_to(ROOT):
        raise ValueError(f"{relative} resolves outside the checkout")
    return path
