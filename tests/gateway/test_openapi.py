"""One OpenAPI document for the whole API, checked in: an accidental API change fails the build."""

from __future__ import annotations

import difflib
import json
from typing import Any

import pytest

from gateway.app import create_app
from gateway.openapi import CHECKED_IN, build_document, merge, render, service_apps_for_docs
from gateway.settings import GatewaySettings
from kernel.settings import AuthSettings, CommonSettings
from runner.composition import SERVICES


def _generated() -> dict[str, Any]:
    gw = create_app(
        GatewaySettings(),
        common=CommonSettings(environment="test"),
        auth=AuthSettings(secret="openapi-generation-only-not-a-real-secret-0123456789"),
    )
    return build_document(gw, service_apps_for_docs(list(SERVICES)))


def test_checked_in_document_matches_the_code() -> None:
    generated = render(_generated())
    current = CHECKED_IN.read_text() if CHECKED_IN.exists() else ""
    if generated != current:
        diff = "".join(
            list(difflib.unified_diff(current.splitlines(True), generated.splitlines(True), "checked-in", "code"))[:80]
        )
        pytest.fail(
            f"the API changed; if on purpose run `kinerja openapi --write` and commit docs/openapi.json\n{diff}"
        )


def test_merged_document_is_namespaced_and_consistent() -> None:
    doc = _generated()
    ops = [op["operationId"] for item in doc["paths"].values() for op in item.values() if isinstance(op, dict)]
    assert len(ops) == len(set(ops))
    assert "/healthz" in doc["paths"] and "/api/v1/gateway/token" in doc["paths"]
    for path in doc["paths"]:
        assert path in ("/healthz", "/readyz") or path.startswith("/api/v1/"), path
    schemas = set(doc.get("components", {}).get("schemas", {}))
    refs = {r.rsplit("/", 1)[-1] for r in _refs(doc)}
    assert refs <= schemas, refs - schemas  # every reference resolves


THING = "#/components/schemas/Thing"


def test_same_schema_name_in_two_services_does_not_collide() -> None:
    def svc(op: str) -> dict[str, Any]:
        return {
            "openapi": "3.1.0",
            "paths": {
                f"/api/v1/{op}/x": {
                    "get": {
                        "operationId": "things_get",
                        "tags": ["things"],
                        "responses": {
                            "200": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Thing"}}}}
                        },
                    }
                },
                "/healthz": {"get": {"operationId": "health_healthz"}},
            },
            "components": {"schemas": {"Thing": {"type": "object", "title": op}}},
        }

    doc = merge({"openapi": "3.1.0", "paths": {}}, {"a": svc("a"), "b": svc("b")}, version="1")
    assert set(doc["components"]["schemas"]) == {"a.Thing", "b.Thing"}
    assert doc["paths"]["/api/v1/a/x"]["get"]["operationId"] == "a_things_get"
    ref = doc["paths"]["/api/v1/b/x"]["get"]["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
    assert ref == "#/components/schemas/b.Thing"
    assert "/healthz" not in doc["paths"]


def _refs(node: Any) -> list[str]:
    if isinstance(node, dict):
        return [v for k, v in node.items() if k == "$ref"] + [r for v in node.values() for r in _refs(v)]
    if isinstance(node, list):
        return [r for v in node for r in _refs(v)]
    return []


def test_document_is_valid_json_for_tools() -> None:
    assert json.loads(render(_generated()))["openapi"].startswith("3.")


#: the main reads and writes a newcomer meets first (README): described, with an example each
MAIN_OPERATIONS = [
    ("get", "/api/v1/registry/satkers"),
    ("get", "/api/v1/registry/satkers/{code}"),
    ("post", "/api/v1/registry/import"),
    ("get", "/api/v1/scoring/satkers/{code}/scores"),
    ("get", "/api/v1/scoring/satkers/{code}/consolidated"),
    ("post", "/api/v1/evidence/satkers/{code}/documents"),
    ("post", "/api/v1/gateway/token"),
    ("get", "/readyz"),
]


def test_main_operations_have_a_description_and_an_example() -> None:
    doc = json.loads(CHECKED_IN.read_text())
    for method, path in MAIN_OPERATIONS:
        op = doc["paths"][path][method]
        assert op.get("description"), (method, path)
        assert '"example' in json.dumps(op) or "e.g." in op["description"], (method, path)
