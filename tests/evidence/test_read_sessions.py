"""Every GET route of the evidence service reads through ``ReadSessionDep``, never the write
session (ADR 0009, 0017, 0022); the same walk as the registry's."""

from __future__ import annotations

from kernel.db import read_session_dependency, session_dependency
from services.evidence.app import create_app
from tests.registry.test_read_sessions import _calls, _routes


def test_no_get_route_depends_on_the_write_session() -> None:
    routes = [(p, r) for p, r in _routes(list(create_app().routes)) if "GET" in r.methods]
    data = [(p, r) for p, r in routes if p.startswith(("/api/v1/evidence/satkers", "/api/v1/evidence/documents"))]
    assert len(data) >= 6  # the walk reaches the evidence routes that read the database
    writers = sorted(p for p, r in routes if session_dependency in _calls(r.dependant))
    assert writers == []
    assert all(read_session_dependency in _calls(r.dependant) for _, r in data)
    # and the write routes do take the write session (the walk can see it when it is there)
    posts = [r for _, r in _routes(list(create_app().routes)) if "POST" in r.methods and "/review" in r.path]
    assert posts and all(session_dependency in _calls(r.dependant) for r in posts)
