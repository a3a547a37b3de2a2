"""The suite runs on any clone: nothing in the repository names a path of one machine."""

from __future__ import annotations

import json
import re
import subprocess

import pytest

from tests.paths import ROOT, in_checkout
from tests.scoring.reference import REPORT_CHECK, printed_values

#: an absolute path into a machine's folders (a home, a workspace, a mount), not a URL path:
#: preceded by a quote, a space, ``=``, ``(`` or a line start, as a path written into a file is.
MACHINE_PATH = re.compile(r"""(?:^|[\s"'=(])(?:/(?:work|home|Users|mnt|srv|root)/|[A-Za-z]:\\\\)""", re.M)
#: a path that walks out of the checkout to a folder beside it
OUTSIDE = re.compile(r"\.\./(?:\.\./)*shared\b")


def tracked_files() -> list[str]:
    out = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=False)
    if out.returncode != 0:  # an export without git: every file except the usual local folders
        skip = (".venv", ".git", "data", ".mypy_cache", ".ruff_cache", ".pytest_cache")
        return [
            str(p.relative_to(ROOT)) for p in ROOT.rglob("*") if p.is_file() and p.parts[len(ROOT.parts)] not in skip
        ]
    return [f for f in out.stdout.decode().split("\0") if f]


def test_no_tracked_file_names_a_machine_path() -> None:
    found = []
    for name in tracked_files():
        try:
            text = (ROOT / name).read_text(encoding="utf-8")
        except (UnicodeDecodeError, FileNotFoundError):
            continue  # binary files, or deleted in the working tree
        for pattern in (MACHINE_PATH, OUTSIDE):
            found += [f"{name}: {m.group(0).strip()}" for m in pattern.finditer(text)]
    assert not found, found


@pytest.mark.parametrize("path", ["/etc/passwd", "../outside.json", "tests/../../outside.json"])
def test_tests_refuse_paths_outside_the_checkout(path: str) -> None:
    with pytest.raises(ValueError):
        in_checkout(path)


def test_the_shipped_report_check_body_is_the_reference() -> None:
    """``report-check-2024.json`` (the README's one-command demo) holds what the LAKIN prints."""
    assert json.loads(REPORT_CHECK.read_text(encoding="utf-8")) == {"period": "Y", **printed_values()}
