"""The evidence app's routes: every GET reads through the read session (issue 10)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from starlette.routing import BaseRoute

from kernel.db import read_session_dependency, session_dependency
from services.evidence.app import create_app


def _calls(dep: Dependant) -> set[object]:
    found = {dep.call}
    for sub in dep.dependencies:
        found |= _calls(sub)
    return found


def _api_routes(routes: Iterable[BaseRoute]) -> Iterator[APIRoute]:
    """Every APIRoute, also inside included routers (FastAPI keeps those as one entry each)."""
    for r in routes:
        if isinstance(r, APIRoute):
            yield r
        elif (inner := getattr(r, "original_router", None)) is not None:
            yield from _api_routes(inner.routes)


def test_no_get_route_depends_on_the_write_session() -> None:
    routes = [r for r in _api_routes(create_app().routes) if "GET" in r.methods]
    assert len(routes) >= 8  # the walk saw the evidence routes, not an empty app
    writers = [r.path for r in routes if session_dependency in _calls(r.dependant)]
    assert writers == [], f"GET routes on the write session (declare ReadSessionDep): {writers}"
    readers = [r.path for r in routes if read_session_dependency in _calls(r.dependant)]
    assert any(p.endswith("/documents/{document_id}") for p in readers), readers
