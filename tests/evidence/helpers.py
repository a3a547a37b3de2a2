"""Small helpers shared by the evidence test modules."""

from __future__ import annotations

import json
import random
from typing import Any

import httpx

from tests.conftest import bearer

BASE = "/api/v1/evidence"


def meta(
    kind: str = "ND",
    number: str | None = None,
    *,
    date: str = "2024-02-10",
    period: str = "Q1",
    indicator: str = "3a-CP",
    satker: str = "KBC.1602",
    **kw: Any,
) -> dict[str, Any]:
    prefix = {"BA Tegah": "BA", "BA Segel": "BA", "BA Riksa": "BA", "BA Titip": "BA"}.get(kind, kind)
    number = number or f"{prefix}-{random.randint(1, 10**7)}/{satker}/{date[:4]}"
    return {"kind": kind, "number": number, "document_date": date, "period": period, "indicator": indicator} | kw


def headers(token: str, metadata: dict[str, Any], content_type: str = "application/pdf") -> dict[str, str]:
    return bearer(token) | {"X-Evidence-Metadata": json.dumps(metadata), "Content-Type": content_type}


async def upload(
    c: httpx.AsyncClient,
    token: str,
    content: Any,
    metadata: dict[str, Any],
    *,
    satker: str = "KBC.1602",
    submit: bool = True,
    content_type: str = "application/pdf",
) -> httpx.Response:
    return await c.post(
        f"{BASE}/satkers/{satker}/documents",
        params={"submit": str(submit).lower()},
        content=content,
        headers=headers(token, metadata, content_type),
    )
