"""Every JSON answer of the merged OpenAPI has a typed schema (issue 10).

An answer whose 2xx ``application/json`` schema is a bare object (``additionalProperties: true``
and no ``properties``) or an empty schema tells clients nothing. :data:`NOT_YET_TYPED` lists the
answers still untyped on this branch; each line is owned by the helper who types that service's
answers, and the lead empties the list at merge. A new untyped answer fails here, and so does a
listed one that became typed (so the list only shrinks).
"""

from __future__ import annotations

import json
from typing import Any

from tests.paths import in_checkout

#: answers still without a response model (none left: keep it empty, the test fails on a new one)
NOT_YET_TYPED: set[str] = set()


def _untyped(schema: Any, schemas: dict[str, Any]) -> bool:
    while isinstance(schema, dict) and "$ref" in schema:
        schema = schemas[schema["$ref"].rsplit("/", 1)[-1]]
    if not isinstance(schema, dict):
        return False
    if schema == {}:
        return True
    if schema.get("type") == "object" and schema.get("additionalProperties") is True and not schema.get("properties"):
        return True
    return any(_untyped(s, schemas) for key in ("anyOf", "oneOf", "allOf") for s in schema.get(key, []))


def untyped_answers(doc: dict[str, Any]) -> set[str]:
    schemas = doc.get("components", {}).get("schemas", {})
    found = set()
    for path, operations in doc["paths"].items():
        for method, op in operations.items():
            for status, response in op.get("responses", {}).items():
                body = response.get("content", {}).get("application/json")
                if status.startswith("2") and body is not None and _untyped(body.get("schema", {}), schemas):
                    found.add(f"{method.upper()} {path}")
    return found


def test_every_json_answer_is_typed() -> None:
    doc = json.loads(in_checkout("docs/openapi.json").read_text())
    found = untyped_answers(doc)
    assert found - NOT_YET_TYPED == set(), "untyped JSON answers (give them a response model)"
    assert NOT_YET_TYPED - found == set(), "typed now: remove them from NOT_YET_TYPED"


def test_the_check_sees_a_bare_object() -> None:
    doc = {
        "paths": {
            "/x": {"get": {"responses": {"200": {"content": {"application/json": {"schema": {"$ref": "#/c/s/A"}}}}}}},
            "/y": {"get": {"responses": {"200": {"content": {"application/json": {"schema": {"type": "string"}}}}}}},
        },
        "components": {"schemas": {"A": {"type": "object", "additionalProperties": True}}},
    }
    assert untyped_answers(doc) == {"GET /x"}
