"""Real helpers for the evidence tests: clamd on an EICAR-only signature folder, SeaweedFS, a registry stub.

clamd and SeaweedFS are started as real processes (runner.devservers, the same helpers a
developer's ``kinerja run-distributed`` uses) in a temporary folder (free ports, unix socket)
and stopped afterwards. Signatures cannot be downloaded here, so clamd loads one ``.hdb`` line:
the MD5, size and name of the EICAR test file — enough to prove the refuse-and-quarantine path.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fastapi import FastAPI, HTTPException

from runner import devservers
from runner.devservers import S3Server, free_ports
from tests.support.clamd import run_clamd as run_clamd_on

__all__ = ["EICAR", "S3Server", "free_ports", "run_clamd", "run_seaweedfs", "RegistryStub", "pdf"]

REPO = Path(__file__).resolve().parents[2]

#: The EICAR test string (harmless by design; every scanner detects it). Built in two halves so
#: that this source file itself is not flagged by scanners that read the repository.
EICAR = b"X5O!P%@AP[4\\PZX54(P^)7CC)7}$" + b"EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*"


@contextlib.contextmanager
def run_clamd(folder: Path) -> Iterator[Path]:
    """clamd (tests/support/clamd.py) on a signature folder that knows only the EICAR test file."""
    db = folder / "db"
    db.mkdir(parents=True, exist_ok=True)
    (db / "eicar.hdb").write_text(f"{hashlib.md5(EICAR).hexdigest()}:{len(EICAR)}:Eicar-Test-Signature\n")
    with run_clamd_on(folder, db) as sock:
        yield sock


@contextlib.contextmanager
def run_seaweedfs(folder: Path) -> Iterator[S3Server]:
    """SeaweedFS (runner.devservers) with fixed test credentials."""
    with devservers.run_seaweedfs(folder, access_key="kinerja-test", secret_key="kinerja-test-secret") as server:
        yield server


# --- the registry, as far as evidence needs it (contracts §6, "Other registry reads") --------------

TREE: dict[str, list[str]] = {
    "WBC.16": ["WBC.16"],
    "KBC.1602": ["WBC.16", "KBC.1602"],
    "KBC.1603": ["WBC.16", "KBC.1603"],
    "WBC.17": ["WBC.17"],
    "KBC.1701": ["WBC.17", "KBC.1701"],
}
INDICATORS = ["1a-N", "3a-CP", "8a-N", "8b-N"]


@dataclass
class RegistryStub:
    closed: dict[tuple[str, int], list[str]] = field(default_factory=dict)
    years: tuple[int, ...] = (2024, 2025)
    #: (satker, year) → {quarter: state} of the reporting cycle (default: not started)
    cycle: dict[tuple[str, int], dict[str, str]] = field(default_factory=dict)

    def app(self) -> FastAPI:
        app = FastAPI()

        @app.get("/api/v1/registry/satkers/{code}")
        async def satker(code: str) -> dict[str, Any]:
            if code not in TREE:
                raise HTTPException(404, f"satker {code} not found")
            path = TREE[code]
            return {
                "code": code,
                "name": code,
                "kind": "kppbc" if len(path) > 1 else "kanwil",
                "parent": path[-2] if len(path) > 1 else None,
                "path": path,
                "staff": 10,
            }

        @app.get("/api/v1/registry/satkers/{code}/subtree")
        async def subtree(code: str, limit: int = 100, offset: int = 0) -> dict[str, Any]:
            if code not in TREE:
                raise HTTPException(404, f"satker {code} not found")
            items = [{"code": c, "path": p} for c, p in TREE.items() if code in p]  # the registry's Page shape
            return {"items": items[offset : offset + limit], "total": len(items), "limit": limit, "offset": offset}

        @app.get("/api/v1/registry/satkers/{code}/agreements/{year}")
        async def agreement(code: str, year: int) -> dict[str, Any]:
            if code not in TREE or year not in self.years:
                raise HTTPException(404, "no agreement")
            return {
                "number": f"PK-1/{code}/{year}",
                "year": year,
                "indicators": [{"code": c, "name": c} for c in INDICATORS],
                "closed_periods": self.closed.get((code, year), []),
            }

        @app.get("/api/v1/registry/satkers/{code}/agreements/{year}/cycle")
        async def cycle(code: str, year: int) -> dict[str, Any]:
            if code not in TREE or year not in self.years:
                raise HTTPException(404, "no agreement")
            states = self.cycle.get((code, year), {})
            periods = [{"period": q, "state": states.get(q, "not_started")} for q in ("Q1", "Q2", "Q3", "Q4")]
            return {"satker": code, "year": year, "periods": periods}

        return app


def pdf(text: str | None = None, *, pad: int = 0) -> bytes:
    """A small valid PDF with unique content (so its sha256 is new)."""
    text = text or uuid.uuid4().hex
    stream = f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET".encode()
    objs = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
    ]
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for i, o in enumerate(objs, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % i + o + b"\nendobj\n"
    if pad:
        out += b"%" + os.urandom(pad // 2).hex().encode()[: pad - 2] + b"\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1)
    for off in offsets:
        out += b"%010d 00000 n \n" % off
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objs) + 1, xref)
    return bytes(out)
