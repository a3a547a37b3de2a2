"""Every path parameter of the registry and the evidence service is validated by a type (ADR 0017,
0022): a string has the kernel's identifier pattern (``OrgCodePath``, ``IkuCodePath``,
``DocumentCodePath``), an enumeration or a UUID format, so a bad one is a 422 naming the parameter,
never a lookup of garbage."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.dependencies.models import Dependant

from services.evidence.app import create_app as evidence_app
from services.registry.app import create_app as registry_app
from tests.registry.test_read_sessions import _routes


def _untyped(app: FastAPI) -> tuple[int, list[str]]:
    seen, bare = 0, []
    for path, ops in app.openapi()["paths"].items():
        for method, op in ops.items():
            for p in op.get("parameters", []):
                if p["in"] != "path":
                    continue
                seen += 1
                schema: dict[str, Any] = p.get("schema", {})
                if schema.get("type") == "string" and not (
                    "pattern" in schema or "enum" in schema or schema.get("format") == "uuid"
                ):
                    bare.append(f"{method.upper()} {path} {{{p['name']}}}")
    return seen, bare


@pytest.mark.parametrize("make", [registry_app, evidence_app], ids=["registry", "evidence"])
def test_no_path_parameter_is_a_bare_string(make: Any) -> None:
    seen, bare = _untyped(make())
    assert seen > 10  # the walk reaches the routes' path parameters
    assert bare == []


def _param_names(dependant: Dependant, found: list[str]) -> list[str]:
    for kind, params in (("path", dependant.path_params), ("query", dependant.query_params)):
        found += [f"{kind} {p.name}" for p in params]
    found += [f"header {p.name}" for p in dependant.header_params]
    for sub in dependant.dependencies:
        _param_names(sub, found)
    return found


@pytest.mark.parametrize("make", [registry_app, evidence_app], ids=["registry", "evidence"])
def test_no_route_validates_a_parameter_twice(make: Any) -> None:
    """FastAPI reports a bad parameter once per dependency that declares it (a cached dependency
    that failed is solved again), so a route and its typed dependencies declare each one once:
    a malformed ``{code}`` or ``?as_of`` is one field error, not two."""
    twice = {}
    for path, route in _routes(list(make().routes)):
        counts = Counter(_param_names(route.dependant, []))
        if doubled := {name: n for name, n in counts.items() if n > 1}:
            twice[f"{sorted(route.methods)} {path}"] = doubled
    assert twice == {}
