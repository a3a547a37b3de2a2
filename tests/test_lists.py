"""Every list answers ``{items, total, limit, offset}`` (README), checked on the published contract."""

from __future__ import annotations

import json
from typing import Any

from tests.paths import in_checkout


def _schema(doc: dict[str, Any], ref_or_schema: dict[str, Any]) -> dict[str, Any]:
    ref = ref_or_schema.get("$ref")
    if ref is None:
        return ref_or_schema
    found: dict[str, Any] = doc
    for part in ref.removeprefix("#/").split("/"):
        found = found[part]
    return found


def test_no_list_route_answers_a_bare_array() -> None:
    doc = json.loads(in_checkout("docs/openapi.json").read_text(encoding="utf-8"))
    bare, paged = [], []
    for path, ops in doc["paths"].items():
        ok = (ops.get("get") or {}).get("responses", {}).get("200", {})
        schema = ok.get("content", {}).get("application/json", {}).get("schema")
        if not schema:
            continue
        schema = _schema(doc, schema)
        if schema.get("type") == "array":
            bare.append(path)
        if set(schema.get("properties", {})) == {"items", "total", "limit", "offset"}:
            paged.append(path)
    assert not bare, bare
    for path in (
        "/api/v1/registry/satkers/{code}/children",
        "/api/v1/registry/satkers/{code}/subtree",
        "/api/v1/registry/satkers/{code}/agreements",
        "/api/v1/registry/satkers/{code}/agreements/{year}/indicators/{iku}/targets/history",
        "/api/v1/registry/satkers/{code}/agreements/{year}/indicators/{iku}/measures/{period}/history",
        "/api/v1/registry/satkers/{code}/agreements/{year}/periods",
        "/api/v1/evidence/documents/{document_id}/audit",
        "/api/v1/evidence/documents/{document_id}/revisions",
        "/api/v1/evidence/kinds",
    ):
        assert path in paged, path
