"""One OpenAPI document for the whole API, checked in: an accidental API change fails the build."""

from __future__ import annotations

import difflib
import json
from typing import Any

import pytest
from pydantic import TypeAdapter

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


#: the main reads and writes a newcomer meets first (README), and those other programs call: described,
#: with an example each (of the answer or of the request body)
MAIN_OPERATIONS = [
    ("get", "/api/v1/registry/satkers"),
    ("get", "/api/v1/registry/satkers/{code}"),
    ("post", "/api/v1/registry/import"),
    ("get", "/api/v1/registry/satkers/{code}/agreements/{year}/bundle"),
    ("put", "/api/v1/registry/satkers/{code}/agreements/{year}/indicators/{iku}/measures/{period}"),
    ("get", "/api/v1/scoring/satkers/{code}/scores"),
    ("get", "/api/v1/scoring/satkers/{code}/consolidated"),
    ("post", "/api/v1/scoring/satkers/{code}/report-check"),
    ("get", "/api/v1/scoring/satkers/{code}/what-it-takes"),
    ("post", "/api/v1/evidence/satkers/{code}/documents"),
    ("get", "/api/v1/evidence/satkers/{code}/aggregates"),
    ("post", "/api/v1/gateway/token"),
    ("get", "/readyz"),
]

#: operations without a description yet, each owned by the helper whose lane holds its router; the
#: lead empties the list at merge (a new undescribed operation fails, and so does a listed one that
#: got its description, so the list only shrinks)
#: operations without a description (none left: keep it empty)
NOT_YET_DESCRIBED: set[str] = set()


def _operations(doc: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {f"{m.upper()} {path}": op for path, ops in doc["paths"].items() for m, op in ops.items()}


def undescribed(doc: dict[str, Any]) -> set[str]:
    """Operations whose ``description`` is missing or blank (a summary alone says too little)."""
    return {name for name, op in _operations(doc).items() if not str(op.get("description") or "").strip()}


def test_every_operation_has_a_description() -> None:
    found = undescribed(json.loads(CHECKED_IN.read_text()))
    assert found - NOT_YET_DESCRIBED == set(), "operations without a description: write one (short, useful)"
    assert NOT_YET_DESCRIBED - found == set(), "described now: remove them from NOT_YET_DESCRIBED"


def test_the_description_check_sees_a_missing_one() -> None:
    doc = {
        "paths": {"/x": {"get": {"summary": "X"}, "put": {"description": "  "}}, "/y": {"get": {"description": "Y"}}}
    }
    assert undescribed(doc) == {"GET /x", "PUT /x"}


def has_example(node: Any, schemas: dict[str, Any], seen: frozenset[str] = frozenset()) -> bool:
    """An ``example``/``examples`` in the operation, or in a schema it refers to."""
    if isinstance(node, dict):
        if "example" in node or "examples" in node:
            return True
        ref = node.get("$ref")
        if isinstance(ref, str) and ref not in seen:
            name = ref.rsplit("/", 1)[-1]
            if has_example(schemas.get(name, {}), schemas, seen | {ref}):
                return True
        return any(has_example(v, schemas, seen) for k, v in node.items() if k != "$ref")
    if isinstance(node, list):
        return any(has_example(v, schemas, seen) for v in node)
    return False


def test_main_operations_have_a_description_and_an_example() -> None:
    doc = json.loads(CHECKED_IN.read_text())
    schemas = doc.get("components", {}).get("schemas", {})
    for method, path in MAIN_OPERATIONS:
        op = doc["paths"][path][method]
        assert op.get("description"), (method, path)
        answer = {k: v for k, v in op.get("responses", {}).items() if k.startswith("2")}
        assert has_example([answer, op.get("requestBody", {}), op.get("parameters", [])], schemas), (method, path)


def test_the_example_check_follows_references() -> None:
    schemas = {"A": {"type": "object", "examples": [{}]}, "B": {"$ref": "#/c/A"}, "C": {"type": "object"}}
    assert has_example({"schema": {"$ref": "#/c/B"}}, schemas)
    assert not has_example({"schema": {"$ref": "#/c/C"}, "responses": {}}, schemas)


def test_the_contract_examples_meet_their_contracts() -> None:
    """The examples OpenAPI shows of the contracts and typed answers are real instances of them."""
    from contracts.bundle import BUNDLE
    from contracts.bundle import EXAMPLE as BUNDLE_EXAMPLE
    from contracts.evidence import EXAMPLE as FACTS_EXAMPLE
    from contracts.evidence import ONE
    from services.scoring.api.scores import WHAT_IT_TAKES_EXAMPLE
    from services.scoring.schemas.scores import WhatItTakesOut

    BUNDLE.validate_python(BUNDLE_EXAMPLE)
    ONE.validate_python(FACTS_EXAMPLE)
    TypeAdapter(WhatItTakesOut).validate_python(WHAT_IT_TAKES_EXAMPLE)


#: display texts without their value beside them, owned by the helper of that answer (shrink only)
DISPLAY_WITHOUT_VALUE = {
    "scoring.AnalysisNote.index_display: no index beside it",  # i12 LAKIN (scoring schemas, report.py)
}


def display_pairs_broken(doc: dict[str, Any]) -> list[str]:
    """ADR 0023, one shape for "value + display text": every ``<x>_display`` property is text (or
    null) and sits beside its value ``<x>`` in the same object."""
    broken = []
    for name, schema in doc.get("components", {}).get("schemas", {}).items():
        props = schema.get("properties", {})
        for key, prop in props.items():
            if not key.endswith("_display"):
                continue
            if key.removesuffix("_display") not in props:
                broken.append(f"{name}.{key}: no {key.removesuffix('_display')} beside it")
            types = {s.get("type") for s in prop.get("anyOf", [prop])}
            if not types <= {"string", "null"}:
                broken.append(f"{name}.{key}: not text")
    return broken


def test_every_display_text_sits_beside_its_value() -> None:
    assert set(display_pairs_broken(json.loads(CHECKED_IN.read_text()))) == DISPLAY_WITHOUT_VALUE
    bad = {"components": {"schemas": {"A": {"properties": {"nko_display": {"type": "number"}}}}}}
    assert display_pairs_broken(bad) == ["A.nko_display: no nko beside it", "A.nko_display: not text"]
