"""Every GET route of the registry reads through ``ReadSessionDep``, never the write session (ADR 0009, 0017)."""

from __future__ import annotations

from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute

from kernel.db import read_session_dependency, session_dependency
from services.registry.app import create_app


def _calls(dependant: Dependant) -> set[object]:
    found: set[object] = set()
    for sub in dependant.dependencies:
        found.add(sub.call)
        found |= _calls(sub)
    return found


def _routes(routes: list[object], prefix: str = "") -> list[tuple[str, APIRoute]]:
    """Every ``APIRoute`` with its full path, through included routers (FastAPI keeps them nested)."""
    found: list[tuple[str, APIRoute]] = []
    for route in routes:
        if isinstance(route, APIRoute):
            found.append((prefix + route.path, route))
        elif (inner := getattr(route, "original_router", None)) is not None:
            found += _routes(list(inner.routes), prefix + route.include_context.prefix)  # type: ignore[attr-defined]
    return found


def test_no_get_route_depends_on_the_write_session() -> None:
    routes = [(p, r) for p, r in _routes(list(create_app().routes)) if "GET" in r.methods]
    api = [(p, r) for p, r in routes if p.startswith("/api/v1/registry/satkers")]
    assert len(api) > 15  # the walk reaches the registry's routes
    writers = sorted(p for p, r in routes if session_dependency in _calls(r.dependant))
    assert writers == []
    # and the data routes do read through the read session (the walk sees their dependencies)
    assert all(read_session_dependency in _calls(r.dependant) for _, r in api)
