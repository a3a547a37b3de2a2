"""Who may do what, measured through the gateway: every caller × every /api/v1 endpoint × satker.

The endpoints come from the gateway's merged ``/openapi.json``: a new endpoint without an entry in
:data:`ENDPOINTS` fails :func:`test_every_endpoint_has_a_matrix_entry`, so it cannot ship untested.
Each entry declares the *rule* the endpoint applies (mostly a :class:`kernel.auth.Action` on the
satker the request touches); the expected outcome is derived from :data:`kernel.auth.POLICY` and
the satker tree — not from the code under test.

Callers: admin and service (no satker), kanwil_manager / satker_operator / reviewer / viewer of
the Kanwil WBC.16, and a satker_operator of the KPPBC KBC.1602. Targets: WBC.16 (the Kanwil),
KBC.1602 (its child) and KBC.1701 (under the foreign Kanwil WBC.17). Outcome: 401 without or with
an expired token (at the edge *and* at the service itself), 403 out of scope, neither in scope;
every error is problem+json. Requests in scope really run (they create satker, upload, review...):
the outcome there may be 2xx, 404, 409, 412 or 422, never 401/403 and never 5xx.
"""

from __future__ import annotations

import itertools
import json
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from kernel.auth import POLICY, Action, Role
from tests.conftest import bearer
from tests.evidence.support import pdf
from tests.registry.conftest import mini_document
from tests.system.conftest import (
    CHILD,
    CLIENT_ID,
    CLIENT_SECRET,
    EV,
    FOREIGN,
    FOREIGN_KANWIL,
    IKU,
    KANWIL,
    REG,
    YEAR,
    World,
    WorldFactory,
    metadata_header,
)

pytestmark = pytest.mark.anyio

# --- the satker tree and the policy -----------------------------------------------------------------

#: path root..satker of every target, and the satker under it that have an agreement in YEAR
PATHS = {KANWIL: [KANWIL], CHILD: [KANWIL, CHILD], FOREIGN: [FOREIGN_KANWIL, FOREIGN]}
WITH_AGREEMENT_UNDER = {KANWIL: [KANWIL, CHILD], CHILD: [CHILD], FOREIGN: [FOREIGN]}
TARGETS = {"own": KANWIL, "child": CHILD, "foreign": FOREIGN}

#: scopes of the matrix's service account (the client-credentials client's: read + write); a
#: service token without scopes may do nothing (kernel.auth, tests/kernel/test_tokens.py)
SERVICE_SCOPES = ["read", "write"]

CALLERS: list[tuple[str, str | None]] = [
    ("admin", None),
    ("service", None),
    ("kanwil_manager", KANWIL),
    ("satker_operator", KANWIL),
    ("satker_operator", CHILD),
    ("reviewer", KANWIL),
    ("viewer", KANWIL),
]


def caller_token(world: World, role: str, home: str | None, *, sub: str) -> str:
    scopes = SERVICE_SCOPES if role == Role.SERVICE else []
    return world.mint(role, home, sub=sub, scopes=scopes)


def reaches(role: str, home: str | None, action: Action, path: list[str]) -> bool:
    """kernel.auth.POLICY read literally: "all", "subtree" (home on the path), "own" (home = target)."""
    reach = POLICY[Role(role)].get(action)
    if reach is None:
        return False
    if reach == "all":
        return True
    if not path or home is None:
        return False
    return path[-1] == home if reach == "own" else home in path


#: A rule: (role, home, target satker or None) -> allowed?
Rule = Callable[[str, str | None, str | None], bool]


def on_target(action: Action) -> Rule:
    return lambda role, home, target: reaches(role, home, action, PATHS[target] if target else [])


def on_system(action: Action) -> Rule:
    """An action on no satker (rule sets, maintenance): only an "all" reach suffices."""
    return lambda role, home, target: reaches(role, home, action, [])


def on_subtree(role: str, home: str | None, target: str | None) -> bool:
    """Regional reads (bundles, consolidated): READ on the target and on every satker under it
    with an agreement (a partial region would skew the roll-up, so it is refused)."""
    assert target is not None
    return all(reaches(role, home, Action.READ, PATHS[s]) for s in WITH_AGREEMENT_UNDER[target])


def close_period(role: str, home: str | None, target: str | None) -> bool:
    """Closing a period: MANAGE, or a kanwil_manager with WRITE over the satker (contracts §3)."""
    path = PATHS[target] if target else []
    return reaches(role, home, Action.MANAGE, path) or (
        role == Role.KANWIL_MANAGER and reaches(role, home, Action.WRITE, path)
    )


def authenticated(role: str, home: str | None, target: str | None) -> bool:
    return True


READ, WRITE, REVIEW, MANAGE = (on_target(a) for a in (Action.READ, Action.WRITE, Action.REVIEW, Action.MANAGE))

# --- the endpoints ------------------------------------------------------------------------------------


@dataclass
class Ctx:
    """What a request builder may use: the target satker and the world's ids."""

    world: World
    target: str | None
    n: int = field(default_factory=lambda: next(_counter))

    @property
    def code(self) -> str:
        assert self.target is not None
        return self.target

    @property
    def doc(self) -> str:
        return self.world.documents[self.code]

    @property
    def iku(self) -> str:
        return IKU[self.code]


_counter = itertools.count(1)


@dataclass
class Req:
    path: str
    params: dict[str, Any] = field(default_factory=dict)
    json: Any = None
    content: bytes | None = None
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Entry:
    rule: Rule
    build: Callable[[Ctx], Req]
    scoped: bool = True  # the request touches a target satker
    public: bool = False  # reachable without a bearer token


def agr(c: Ctx, rest: str = "") -> str:
    return f"{REG}/satkers/{c.code}/agreements/{YEAR}{rest}"


def upload_req(c: Ctx, path: str) -> Req:
    return Req(
        path,
        content=pdf(),
        headers={"X-Evidence-Metadata": metadata_header("ND", c.code), "Content-Type": "application/pdf"},
    )


def new_code(c: Ctx) -> str:
    return f"T{c.n}-{uuid.uuid4().hex[:6]}"


def agreement_body(year: int) -> dict[str, Any]:
    doc = mini_document("X", year, f"PK-{uuid.uuid4().hex[:8]}/BC/{year}")["agreement"]
    return {k: v for k, v in doc.items() if k != "satker"}


def scoring(c: Ctx, what: str, **params: Any) -> Req:
    return Req(f"/api/v1/scoring/satkers/{c.code}/{what}", params={"year": YEAR, "period": "Q1"} | params)


def seed_write(c: Ctx, part: str) -> Req:
    """The first of the demo's history/plans/budget writes of that kind, aimed at the target satker:
    a body that validates, so a refusal can only come from the policy."""
    from services.registry.seed import load_history_requests

    path, body = next((p, b) for p, b in load_history_requests() if part in p)
    year = path.rsplit("/", 1)[1]
    return Req(f"{REG}/satkers/{c.code}{part}{year}", json=body)


Q = {"year": YEAR, "period": "Q1"}

ENDPOINTS: dict[tuple[str, str], Entry] = {
    # --- gateway
    ("POST", "/api/v1/gateway/token"): Entry(
        authenticated,
        lambda c: Req(
            "/api/v1/gateway/token",
            json={"grant_type": "client_credentials", "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET},
        ),
        scoped=False,
        public=True,
    ),
    # --- registry: satker tree
    ("GET", "/api/v1/registry/satkers"): Entry(authenticated, lambda c: Req(f"{REG}/satkers"), scoped=False),
    ("POST", "/api/v1/registry/satkers"): Entry(
        MANAGE,
        lambda c: Req(
            f"{REG}/satkers", json={"code": new_code(c), "name": "New office", "kind": "kppbc_tmp_c", "parent": c.code}
        ),
    ),
    ("GET", "/api/v1/registry/satkers/{code}"): Entry(READ, lambda c: Req(f"{REG}/satkers/{c.code}")),
    ("PATCH", "/api/v1/registry/satkers/{code}"): Entry(
        MANAGE, lambda c: Req(f"{REG}/satkers/{c.code}", json={"staff": 40 + c.n % 10})
    ),
    ("GET", "/api/v1/registry/satkers/{code}/path"): Entry(READ, lambda c: Req(f"{REG}/satkers/{c.code}/path")),
    ("GET", "/api/v1/registry/satkers/{code}/children"): Entry(READ, lambda c: Req(f"{REG}/satkers/{c.code}/children")),
    ("GET", "/api/v1/registry/satkers/{code}/subtree"): Entry(READ, lambda c: Req(f"{REG}/satkers/{c.code}/subtree")),
    # --- registry: rule sets (regulations: every authenticated caller reads them)
    ("GET", "/api/v1/registry/rule-sets"): Entry(authenticated, lambda c: Req(f"{REG}/rule-sets"), scoped=False),
    ("GET", "/api/v1/registry/rule-sets/{code}/versions/{version}"): Entry(
        authenticated, lambda c: Req(f"{REG}/rule-sets/KMK-300-2022/versions/1"), scoped=False
    ),
    ("POST", "/api/v1/registry/rule-sets"): Entry(
        on_system(Action.MANAGE), lambda c: Req(f"{REG}/rule-sets", json={"code": "X"}), scoped=False
    ),
    # --- registry: Zona Integritas templates (regulation data: every authenticated caller reads them)
    ("GET", "/api/v1/registry/zi/templates"): Entry(authenticated, lambda c: Req(f"{REG}/zi/templates"), scoped=False),
    ("GET", "/api/v1/registry/zi/templates/{code}/versions/{version}"): Entry(
        authenticated, lambda c: Req(f"{REG}/zi/templates/PermenPANRB-90-2021/versions/1"), scoped=False
    ),
    ("GET", "/api/v1/registry/zi/templates/for-year/{year}"): Entry(
        authenticated, lambda c: Req(f"{REG}/zi/templates/for-year/2024"), scoped=False
    ),
    ("POST", "/api/v1/registry/zi/templates"): Entry(
        on_system(Action.MANAGE), lambda c: Req(f"{REG}/zi/templates", json={"code": "X"}), scoped=False
    ),
    # --- registry: Zona Integritas evaluations (levels by services.registry.service.zi_evaluations.LEVEL_RULES;
    # the matrix writes the unit level (rule WRITE); evaluator levels: tests/scoring/test_zi_evaluations.py)
    ("GET", "/api/v1/registry/satkers/{code}/zi/evaluations"): Entry(
        READ, lambda c: Req(f"{REG}/satkers/{c.code}/zi/evaluations")
    ),
    ("POST", "/api/v1/registry/satkers/{code}/zi/evaluations"): Entry(
        WRITE,
        lambda c: Req(
            f"{REG}/satkers/{c.code}/zi/evaluations",
            json={"year": 2040 + c.n % 50, "template": {"code": "PermenPANRB-90-2021", "version": 1}},
        ),
    ),
    ("GET", "/api/v1/registry/satkers/{code}/zi/evaluations/{year}"): Entry(
        READ, lambda c: Req(f"{REG}/satkers/{c.code}/zi/evaluations/{YEAR}")
    ),
    ("PUT", "/api/v1/registry/satkers/{code}/zi/evaluations/{year}/levels/{level}"): Entry(
        WRITE,
        lambda c: Req(
            f"{REG}/satkers/{c.code}/zi/evaluations/{YEAR}/levels/unit",
            json={"totals": {"pengungkit": "1", "hasil": "1"}},
        ),
    ),
    ("POST", "/api/v1/registry/satkers/{code}/zi/evaluations/{year}/levels/{level}/submit"): Entry(
        WRITE, lambda c: Req(f"{REG}/satkers/{c.code}/zi/evaluations/{YEAR}/levels/unit/submit")
    ),
    ("POST", "/api/v1/registry/satkers/{code}/zi/evaluations/{year}/levels/{level}/reopen"): Entry(
        WRITE,
        lambda c: Req(
            f"{REG}/satkers/{c.code}/zi/evaluations/{YEAR}/levels/unit/reopen",
            json={"reason": "matrix: reopened for a test"},
        ),
    ),
    ("GET", "/api/v1/registry/satkers/{code}/zi/evaluations/{year}/workbook"): Entry(
        READ, lambda c: Req(f"{REG}/satkers/{c.code}/zi/evaluations/{YEAR}/workbook")
    ),
    ("PUT", "/api/v1/registry/satkers/{code}/zi/evaluations/{year}/workbook/{level}"): Entry(
        WRITE,
        lambda c: Req(
            f"{REG}/satkers/{c.code}/zi/evaluations/{YEAR}/workbook/unit",
            content=b"not a workbook",
            headers={"Content-Type": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"},
        ),
    ),
    ("GET", "/api/v1/registry/satkers/{code}/zi/subtree-evaluations"): Entry(
        READ, lambda c: Req(f"{REG}/satkers/{c.code}/zi/subtree-evaluations", params={"year": YEAR})
    ),
    # --- registry: import (MANAGE on the satker the document lands under; a year nobody scores)
    ("POST", "/api/v1/registry/import"): Entry(
        MANAGE,
        lambda c: Req(
            f"{REG}/import", json=mini_document(new_code(c), 2031, f"PK-{uuid.uuid4().hex[:8]}/BC/2031", parent=c.code)
        ),
    ),
    # --- registry: agreements
    ("GET", "/api/v1/registry/satkers/{code}/agreements"): Entry(
        READ, lambda c: Req(f"{REG}/satkers/{c.code}/agreements")
    ),
    ("POST", "/api/v1/registry/satkers/{code}/agreements"): Entry(
        MANAGE, lambda c: Req(f"{REG}/satkers/{c.code}/agreements", json=agreement_body(2040 + c.n % 50))
    ),
    ("GET", "/api/v1/registry/satkers/{code}/agreements/{year}"): Entry(READ, lambda c: Req(agr(c))),
    ("GET", "/api/v1/registry/satkers/{code}/agreements/{year}/documents"): Entry(
        READ, lambda c: Req(agr(c, "/documents"))
    ),
    ("POST", "/api/v1/registry/satkers/{code}/agreements/{year}/addenda"): Entry(
        MANAGE, lambda c: Req(agr(c, "/addenda"), json={"number": f"PK-{c.n}A/BC/{YEAR}", "targets": {}})
    ),
    ("GET", "/api/v1/registry/satkers/{code}/agreements/{year}/bundle"): Entry(READ, lambda c: Req(agr(c, "/bundle"))),
    ("GET", "/api/v1/registry/satkers/{code}/agreements/{year}/bundles"): Entry(
        on_subtree, lambda c: Req(agr(c, "/bundles"))
    ),
    ("GET", "/api/v1/registry/satkers/{code}/agreements/{year}/export"): Entry(READ, lambda c: Req(agr(c, "/export"))),
    ("GET", "/api/v1/registry/satkers/{code}/agreements/{year}/periods"): Entry(
        READ, lambda c: Req(agr(c, "/periods"))
    ),
    ("POST", "/api/v1/registry/satkers/{code}/agreements/{year}/periods/{period}/close"): Entry(
        close_period, lambda c: Req(agr(c, "/periods/Q4/close"))
    ),
    ("POST", "/api/v1/registry/satkers/{code}/agreements/{year}/periods/{period}/reopen"): Entry(
        MANAGE, lambda c: Req(agr(c, "/periods/Q4/reopen"))
    ),
    ("GET", "/api/v1/registry/satkers/{code}/agreements/{year}/indicators/{iku}/targets"): Entry(
        READ, lambda c: Req(agr(c, f"/indicators/{c.iku}/targets"))
    ),
    ("GET", "/api/v1/registry/satkers/{code}/agreements/{year}/indicators/{iku}/targets/history"): Entry(
        READ, lambda c: Req(agr(c, f"/indicators/{c.iku}/targets/history"))
    ),
    ("GET", "/api/v1/registry/satkers/{code}/agreements/{year}/indicators/{iku}/manual"): Entry(
        READ, lambda c: Req(agr(c, f"/indicators/{c.iku}/manual"))
    ),
    ("PUT", "/api/v1/registry/satkers/{code}/agreements/{year}/indicators/{iku}/manual"): Entry(
        MANAGE, lambda c: Req(agr(c, f"/indicators/{c.iku}/manual"), json={"realization": {"op": "nothing"}})
    ),
    ("GET", "/api/v1/registry/satkers/{code}/agreements/{year}/indicators/{iku}/manual/versions"): Entry(
        READ, lambda c: Req(agr(c, f"/indicators/{c.iku}/manual/versions"))
    ),
    # --- registry: measures (a stale If-Match: in scope the answer is 412, nothing is written)
    ("GET", "/api/v1/registry/satkers/{code}/agreements/{year}/indicators/{iku}/measures"): Entry(
        READ, lambda c: Req(agr(c, f"/indicators/{c.iku}/measures"))
    ),
    ("GET", "/api/v1/registry/satkers/{code}/agreements/{year}/indicators/{iku}/measures/{period}"): Entry(
        READ, lambda c: Req(agr(c, f"/indicators/{c.iku}/measures/Q2"))
    ),
    ("PUT", "/api/v1/registry/satkers/{code}/agreements/{year}/indicators/{iku}/measures/{period}"): Entry(
        WRITE,
        lambda c: Req(
            agr(c, f"/indicators/{c.iku}/measures/Q2"), json={"parts": {"realization": 1}}, headers={"If-Match": '"x"'}
        ),
    ),
    ("PATCH", "/api/v1/registry/satkers/{code}/agreements/{year}/indicators/{iku}/measures/{period}"): Entry(
        WRITE,
        lambda c: Req(
            agr(c, f"/indicators/{c.iku}/measures/Q2"), json={"parts": {"realization": 1}}, headers={"If-Match": '"x"'}
        ),
    ),
    ("GET", "/api/v1/registry/satkers/{code}/agreements/{year}/indicators/{iku}/measures/{period}/history"): Entry(
        READ, lambda c: Req(agr(c, f"/indicators/{c.iku}/measures/Q2/history"))
    ),
    # --- registry: the reporting cycle (ADR 0020; kernel.auth SUBMIT, VALIDATE, PUBLISH)
    ("GET", "/api/v1/registry/calendars"): Entry(authenticated, lambda c: Req(f"{REG}/calendars"), scoped=False),
    ("POST", "/api/v1/registry/calendars"): Entry(
        on_system(Action.MANAGE),
        lambda c: Req(f"{REG}/calendars", json={"year": 2031, "level": "kppbc", "document": {}}),
        scoped=False,
    ),
    ("POST", "/api/v1/registry/satkers/{code}/calendars"): Entry(
        on_target(Action.PUBLISH),
        lambda c: Req(f"{REG}/satkers/{c.code}/calendars", json={"year": 2031, "document": {}}),
    ),
    ("GET", "/api/v1/registry/satkers/{code}/calendars/{year}"): Entry(
        READ, lambda c: Req(f"{REG}/satkers/{c.code}/calendars/{YEAR}")
    ),
    ("GET", "/api/v1/registry/satkers/{code}/agreements/{year}/cycle"): Entry(READ, lambda c: Req(agr(c, "/cycle"))),
    ("GET", "/api/v1/registry/satkers/{code}/agreements/{year}/cycle/{period}"): Entry(
        READ, lambda c: Req(agr(c, "/cycle/Q2"))
    ),
    ("GET", "/api/v1/registry/satkers/{code}/agreements/{year}/cycle/{period}/notes"): Entry(
        READ, lambda c: Req(agr(c, "/cycle/Q2/notes"))
    ),
    ("PUT", "/api/v1/registry/satkers/{code}/agreements/{year}/cycle/{period}/notes/{iku}"): Entry(
        WRITE,
        lambda c: Req(
            agr(c, f"/cycle/Q2/notes/{c.iku}"),
            json={"events_causes": "kejadian", "solutions_actions": "solusi", "risks": "risiko"},
        ),
    ),
    ("POST", "/api/v1/registry/satkers/{code}/agreements/{year}/cycle/{period}/submit"): Entry(
        on_target(Action.SUBMIT), lambda c: Req(agr(c, "/cycle/Q2/submit"))
    ),
    ("POST", "/api/v1/registry/satkers/{code}/agreements/{year}/cycle/{period}/validate"): Entry(
        on_target(Action.VALIDATE), lambda c: Req(agr(c, "/cycle/Q3/validate"))
    ),
    ("POST", "/api/v1/registry/satkers/{code}/agreements/{year}/cycle/{period}/return"): Entry(
        on_target(Action.VALIDATE), lambda c: Req(agr(c, "/cycle/Q3/return"), json={"reasons": {c.iku: "alasan"}})
    ),
    ("POST", "/api/v1/registry/satkers/{code}/agreements/{year}/cycle/{period}/reopen"): Entry(
        MANAGE, lambda c: Req(agr(c, "/cycle/Q3/reopen"), json={"reason": "koreksi"})
    ),
    ("POST", "/api/v1/registry/satkers/{code}/agreements/{year}/cycle/{period}/publish"): Entry(
        on_target(Action.PUBLISH), lambda c: Req(agr(c, "/cycle/Q3/publish"), json={"skep_number": f"KEP-{c.n}"})
    ),
    ("GET", "/api/v1/registry/satkers/{code}/agreements/{year}/cycle/{period}/published"): Entry(
        READ, lambda c: Req(agr(c, "/cycle/Q2/published"))
    ),
    ("GET", "/api/v1/registry/satkers/{code}/cycle-overview/{year}"): Entry(
        on_subtree, lambda c: Req(f"{REG}/satkers/{c.code}/cycle-overview/{YEAR}")
    ),
    ("GET", "/api/v1/registry/events"): Entry(on_system(Action.READ), lambda c: Req(f"{REG}/events"), scoped=False),
    ("POST", "/api/v1/registry/notifications/subscribers"): Entry(
        on_system(Action.MANAGE),
        lambda c: Req(f"{REG}/notifications/subscribers", json={"name": "x", "url": "ftp://x"}),
        scoped=False,
    ),
    ("GET", "/api/v1/registry/notifications/subscribers"): Entry(
        on_system(Action.MANAGE), lambda c: Req(f"{REG}/notifications/subscribers"), scoped=False
    ),
    ("DELETE", "/api/v1/registry/notifications/subscribers/{subscriber_id}"): Entry(
        on_system(Action.MANAGE), lambda c: Req(f"{REG}/notifications/subscribers/999999"), scoped=False
    ),
    ("PUT", "/api/v1/registry/notifications/recipients/{code}"): Entry(
        on_system(Action.MANAGE),
        lambda c: Req(f"{REG}/notifications/recipients/{c.code}", json={"email": "operator@example.go.id"}),
    ),
    ("GET", "/api/v1/registry/deliveries"): Entry(
        on_system(Action.MANAGE), lambda c: Req(f"{REG}/deliveries"), scoped=False
    ),
    # --- scoring
    ("POST", "/api/v1/scoring/manuals/validate"): Entry(
        authenticated,
        lambda c: Req("/api/v1/scoring/manuals/validate", json={"realization": {"op": "reported"}}),
        scoped=False,
    ),
    ("POST", "/api/v1/scoring/rule-sets/validate"): Entry(
        authenticated,
        lambda c: Req(
            "/api/v1/scoring/rule-sets/validate",
            json={
                "code": "T-1",
                "version": 1,
                "polarity": {"max": {"formula": "ratio"}, "min": {"formula": "two_minus_ratio"}},
                "perspectives": [{"code": "stakeholder", "weight": 1}],
                "predicates": [{"name": "Baik"}],
                "status_bands": [{"status": "green"}],
            },
        ),
        scoped=False,
    ),
    # ZI results: regulation data (template) and the caller's own numbers, no satker data read
    ("POST", "/api/v1/scoring/zi/results"): Entry(
        authenticated,
        lambda c: Req(
            "/api/v1/scoring/zi/results",
            json={"template": {"year": 2024}, "level": {"pengungkit": "41.14", "hasil": "36.44"}},
        ),
        scoped=False,
    ),
    ("POST", "/api/v1/scoring/zi/gap"): Entry(
        authenticated,
        lambda c: Req("/api/v1/scoring/zi/gap", json={"template": {"year": 2024}, "unit": {}, "evaluator": {}}),
        scoped=False,
    ),
    ("GET", "/api/v1/scoring/satkers/{code}/zi/{year}/results"): Entry(
        READ, lambda c: Req(f"/api/v1/scoring/satkers/{c.code}/zi/{YEAR}/results")
    ),
    ("GET", "/api/v1/scoring/satkers/{code}/zi/{year}/gap"): Entry(
        READ, lambda c: Req(f"/api/v1/scoring/satkers/{c.code}/zi/{YEAR}/gap")
    ),
    ("GET", "/api/v1/scoring/satkers/{code}/zi/{year}/prefill"): Entry(
        READ, lambda c: Req(f"/api/v1/scoring/satkers/{c.code}/zi/{YEAR}/prefill")
    ),
    ("GET", "/api/v1/scoring/satkers/{code}/zi/readiness"): Entry(
        READ, lambda c: Req(f"/api/v1/scoring/satkers/{c.code}/zi/readiness", params={"year": YEAR})
    ),
    # --- LAKIN report (issue 12): reads of a satker-year, history/plans/budget writes by admins ---
    ("GET", "/api/v1/scoring/satkers/{code}/scores/periods"): Entry(
        READ, lambda c: Req(f"/api/v1/scoring/satkers/{c.code}/scores/periods", params={"year": YEAR})
    ),
    ("GET", "/api/v1/scoring/satkers/{code}/report"): Entry(
        READ, lambda c: Req(f"/api/v1/scoring/satkers/{c.code}/report", params={"year": YEAR})
    ),
    ("GET", "/api/v1/scoring/satkers/{code}/report/consolidated"): Entry(
        on_subtree, lambda c: Req(f"/api/v1/scoring/satkers/{c.code}/report/consolidated", params={"year": YEAR})
    ),
    ("GET", "/api/v1/registry/satkers/{code}/history"): Entry(READ, lambda c: Req(f"{REG}/satkers/{c.code}/history")),
    ("GET", "/api/v1/registry/satkers/{code}/plans"): Entry(READ, lambda c: Req(f"{REG}/satkers/{c.code}/plans")),
    ("GET", "/api/v1/registry/satkers/{code}/lakin/{year}"): Entry(
        READ, lambda c: Req(f"{REG}/satkers/{c.code}/lakin/{YEAR}")
    ),
    ("GET", "/api/v1/registry/satkers/{code}/budget/{year}"): Entry(
        READ, lambda c: Req(f"{REG}/satkers/{c.code}/budget/{YEAR}")
    ),
    ("PUT", "/api/v1/registry/satkers/{code}/history/{year}"): Entry(MANAGE, lambda c: seed_write(c, "/history/")),
    ("PUT", "/api/v1/registry/satkers/{code}/plans/{year}"): Entry(MANAGE, lambda c: seed_write(c, "/plans/")),
    ("PUT", "/api/v1/registry/satkers/{code}/budget/{year}"): Entry(MANAGE, lambda c: seed_write(c, "/budget/")),
    ("GET", "/api/v1/scoring/satkers/{code}/scores"): Entry(READ, lambda c: scoring(c, "scores")),
    ("GET", "/api/v1/scoring/satkers/{code}/consolidated"): Entry(on_subtree, lambda c: scoring(c, "consolidated")),
    ("GET", "/api/v1/scoring/satkers/{code}/explain"): Entry(READ, lambda c: scoring(c, "explain", indicator=c.iku)),
    ("POST", "/api/v1/scoring/satkers/{code}/report-check"): Entry(
        READ, lambda c: Req(f"/api/v1/scoring/satkers/{c.code}/report-check", params={"year": YEAR}, json={})
    ),
    ("GET", "/api/v1/scoring/satkers/{code}/frozen-scorecards"): Entry(
        on_subtree,
        lambda c: Req(
            f"/api/v1/scoring/satkers/{c.code}/frozen-scorecards", params=Q | {"as_of": "2026-01-01T00:00:00Z"}
        ),
    ),
    ("GET", "/api/v1/scoring/satkers/{code}/what-it-takes"): Entry(
        READ, lambda c: scoring(c, "what-it-takes", indicator=c.iku, target_index=100)
    ),
    # --- evidence
    ("GET", "/api/v1/evidence/kinds"): Entry(authenticated, lambda c: Req(f"{EV}/kinds"), scoped=False),
    ("POST", "/api/v1/evidence/maintenance/sweep"): Entry(
        on_system(Action.MANAGE), lambda c: Req(f"{EV}/maintenance/sweep"), scoped=False
    ),
    ("POST", "/api/v1/evidence/satkers/{code}/documents"): Entry(
        WRITE, lambda c: upload_req(c, f"{EV}/satkers/{c.code}/documents")
    ),
    ("GET", "/api/v1/evidence/satkers/{code}/documents"): Entry(
        READ, lambda c: Req(f"{EV}/satkers/{c.code}/documents")
    ),
    ("GET", "/api/v1/evidence/satkers/{code}/audit"): Entry(READ, lambda c: Req(f"{EV}/satkers/{c.code}/audit")),
    ("GET", "/api/v1/evidence/satkers/{code}/aggregates"): Entry(
        READ, lambda c: Req(f"{EV}/satkers/{c.code}/aggregates", params=Q | {"indicator": c.iku})
    ),
    ("GET", "/api/v1/evidence/satkers/{code}/packs"): Entry(
        READ, lambda c: Req(f"{EV}/satkers/{c.code}/packs", params=Q | {"indicator": c.iku})
    ),
    ("GET", "/api/v1/evidence/documents/{document_id}"): Entry(READ, lambda c: Req(f"{EV}/documents/{c.doc}")),
    ("GET", "/api/v1/evidence/documents/{document_id}/audit"): Entry(
        READ, lambda c: Req(f"{EV}/documents/{c.doc}/audit")
    ),
    ("GET", "/api/v1/evidence/documents/{document_id}/content"): Entry(
        READ, lambda c: Req(f"{EV}/documents/{c.doc}/content")
    ),
    ("GET", "/api/v1/evidence/documents/{document_id}/revisions"): Entry(
        READ, lambda c: Req(f"{EV}/documents/{c.doc}/revisions")
    ),
    ("POST", "/api/v1/evidence/documents/{document_id}/revisions"): Entry(
        WRITE, lambda c: upload_req(c, f"{EV}/documents/{c.doc}/revisions")
    ),
    ("POST", "/api/v1/evidence/documents/{document_id}/submit"): Entry(
        WRITE, lambda c: Req(f"{EV}/documents/{c.doc}/submit")
    ),
    ("POST", "/api/v1/evidence/documents/{document_id}/review"): Entry(
        REVIEW, lambda c: Req(f"{EV}/documents/{c.doc}/review", json={"decision": "verify"})
    ),
}


# --- the world --------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
async def world(world_factory: WorldFactory) -> AsyncIterator[World]:
    async with world_factory("matrix") as w:
        yield w


def api_operations(world: World) -> set[tuple[str, str]]:
    return {
        (method.upper(), path)
        for path, item in world.openapi()["paths"].items()
        if path.startswith("/api/v1/")
        for method, op in item.items()
        if isinstance(op, dict) and "operationId" in op
    }


async def send(client: httpx.AsyncClient, method: str, req: Req, headers: dict[str, str]) -> httpx.Response:
    return await client.request(
        method,
        req.path,
        params=req.params or None,
        json=req.json,
        content=req.content,
        headers=req.headers | headers,
    )


def is_problem(r: httpx.Response) -> bool:
    return r.headers.get("content-type", "").startswith("application/problem+json")


# --- the tests ----------------------------------------------------------------------------------------


async def test_every_endpoint_has_a_matrix_entry(world: World) -> None:
    ops = api_operations(world)
    missing = sorted(ops - set(ENDPOINTS))
    stale = sorted(set(ENDPOINTS) - ops)
    assert not missing, f"endpoints without an authorisation-matrix entry: {missing}"
    assert not stale, f"matrix entries for endpoints that no longer exist: {stale}"


async def test_no_token_or_expired_token_is_401_at_the_edge_and_at_the_service(world: World) -> None:
    expired = world.mint("admin", ttl_seconds=-3600)
    forged = world.mint("admin")[:-4] + "AAAA"
    system_apps = world.app.state.system.apps
    checked = 0
    for (method, template), entry in sorted(ENDPOINTS.items()):
        if entry.public:
            continue
        ctx = Ctx(world, KANWIL if entry.scoped else None)
        req = entry.build(ctx)
        for headers in ({}, bearer(expired), bearer(forged)):
            r = await send(world.client, method, req, headers)
            assert r.status_code == 401, (method, template, headers, r.status_code, r.text[:300])
            assert is_problem(r) and r.headers["www-authenticate"].startswith("Bearer"), (method, template)
            checked += 1
        # defence in depth: the service itself refuses too, had the edge been bypassed
        service = template.split("/")[3]
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=system_apps[service]), base_url="http://s") as c:
            r = await send(c, method, req, {})
        assert r.status_code == 401 and is_problem(r), (service, method, template, r.status_code, r.text[:300])
        checked += 1
    print(f"\n401 checks: {checked}")


async def test_public_token_endpoint_checks_its_client_credentials(world: World) -> None:
    body = {"grant_type": "client_credentials", "client_id": CLIENT_ID, "client_secret": "wrong-secret"}
    r = await world.client.post("/api/v1/gateway/token", json=body)
    assert r.status_code == 401 and is_problem(r)
    r = await world.client.post("/api/v1/gateway/token", json=body | {"client_secret": CLIENT_SECRET})
    assert r.status_code == 200, r.text
    # the service token it hands out is the `service` role of the matrix (read + write, no manage)
    token = r.json()["access_token"]
    assert (await world.client.get(f"{REG}/satkers/{FOREIGN}", headers=bearer(token))).status_code == 200
    r = await world.client.post(f"{EV}/maintenance/sweep", headers=bearer(token))
    assert r.status_code == 403 and is_problem(r)


async def test_authorisation_matrix(world: World) -> None:
    failures: list[str] = []
    counted = 0
    outcomes: Counter[str] = Counter()
    for (method, template), entry in sorted(ENDPOINTS.items()):
        targets = list(TARGETS.items()) if entry.scoped else [("-", None)]
        for (role, home), (relation, target) in itertools.product(CALLERS, targets):
            ctx = Ctx(world, target)
            req = entry.build(ctx)
            token = caller_token(world, role, home, sub=f"{role}@{home or 'all'}")
            r = await send(world.client, method, req, bearer(token))
            counted += 1
            allowed = entry.rule(role, home, target)
            outcomes[f"{'allowed' if allowed else 'refused'} {r.status_code}"] += 1
            where = f"{method} {template} as {role}@{home or '-'} on {relation} {target or ''}: {r.status_code}"
            if r.status_code >= 500:
                failures.append(f"{where} (server error) {r.text[:200]}")
            elif r.status_code >= 400 and not is_problem(r):
                failures.append(f"{where} not problem+json ({r.headers.get('content-type')})")
            elif allowed and r.status_code in (401, 403):
                failures.append(f"{where} expected in scope: {r.text[:200]}")
            elif not allowed and r.status_code != 403:
                failures.append(f"{where} expected 403: {r.text[:200]}")
            elif not allowed and ("items" in r.json() or target and target in json.dumps(r.json().get("errors", []))):
                failures.append(f"{where} the refusal carries data: {r.text[:200]}")
    print(f"\nauthorisation matrix: {counted} requests, {len(CALLERS)} callers x {len(ENDPOINTS)} endpoints")
    print("outcomes:", dict(sorted(outcomes.items())))
    assert not failures, f"{len(failures)} of {counted} requests wrong:\n" + "\n".join(failures)


async def readable(world: World, role: str, home: str | None) -> set[str]:
    """Every satker of the registry whose path the POLICY lets this caller read (computed from admin's view)."""
    r = await world.client.get(f"{REG}/satkers", params={"limit": 500}, headers=bearer(world.mint("admin")))
    assert r.status_code == 200, r.text
    return {s["code"] for s in r.json()["items"] if reaches(role, home, Action.READ, s["path"])}


@pytest.mark.parametrize(("role", "home"), CALLERS)
async def test_lists_show_only_what_the_caller_may_read(world: World, role: str, home: str | None) -> None:
    h = bearer(caller_token(world, role, home, sub=f"lists-{role}@{home}"))
    may = await readable(world, role, home)
    r = await world.client.get(f"{REG}/satkers", params={"limit": 500}, headers=h)
    assert r.status_code == 200, r.text
    listed = {s["code"] for s in r.json()["items"]}
    assert listed == may and r.json()["total"] == len(may), (role, home, listed ^ may)
    for code in (KANWIL, CHILD, FOREIGN_KANWIL):
        for what in ("children", "subtree"):
            r = await world.client.get(f"{REG}/satkers/{code}/{what}", headers=h)
            if code in may:
                assert r.status_code == 200, r.text
                assert {s["code"] for s in r.json()["items"]} <= may, (role, home, what, code)
            else:
                assert r.status_code == 403, (role, home, what, code, r.status_code)
    # evidence lists and audit trails stay on the satker asked for
    for code in (KANWIL, CHILD, FOREIGN):
        for what in ("documents", "audit"):
            r = await world.client.get(f"{EV}/satkers/{code}/{what}", params={"limit": 500}, headers=h)
            if code in may:
                assert r.status_code == 200, r.text
                assert {i["satker"] for i in r.json()["items"]} <= {code}, (role, what, code)
            else:
                assert r.status_code == 403 and is_problem(r), (role, home, what, code, r.status_code)
    # the consolidated view lists only satker the caller may read (or is refused as a whole)
    r = await world.client.get(f"/api/v1/scoring/satkers/{KANWIL}/consolidated", params={"year": YEAR}, headers=h)
    if r.status_code == 200:
        assert {s["code"] for s in r.json()["satkers"]} <= may
    else:
        assert r.status_code == 403, r.text


async def test_out_of_scope_measure_write_is_403_even_without_if_match(world: World) -> None:
    """Authorisation comes before request preconditions: a stranger learns nothing (not even 428)."""
    h = bearer(world.mint("satker_operator", CHILD))
    path = f"{REG}/satkers/{FOREIGN}/agreements/{YEAR}/indicators/1a-N/measures/Q1"
    for method in ("PUT", "PATCH"):
        r = await world.client.request(method, path, json={"parts": {"realization": 1}}, headers=h)
        assert r.status_code == 403 and is_problem(r), (method, r.status_code, r.text)
