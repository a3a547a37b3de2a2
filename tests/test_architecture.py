"""Who may import whom (ADR 0001, 0016): services never import each other; ``contracts`` imports only
the standard library, pydantic (with typing_extensions) and the kernel; the kernel imports neither
contracts nor a service."""

from __future__ import annotations

import ast
import sys

import pytest

from tests.paths import ROOT

SERVICES = ("registry", "evidence", "scoring")


def imports_of(package: str) -> dict[str, set[str]]:
    """module file → the absolute modules it imports (``from x import y`` gives ``x``)."""
    found: dict[str, set[str]] = {}
    for path in sorted((ROOT / package).rglob("*.py")):
        names: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names.update(a.name for a in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names.add(node.module)
        found[str(path.relative_to(ROOT))] = names
    return found


def top(name: str) -> str:
    return name.split(".")[0]


@pytest.mark.parametrize("service", SERVICES)
def test_a_service_never_imports_another(service: str) -> None:
    others = {f"services.{s}" for s in SERVICES if s != service}
    bad = {
        f: sorted(n for n in names if any(n == o or n.startswith(o + ".") for o in others) or n == "services")
        for f, names in imports_of(f"services/{service}").items()
    }
    assert not {f: n for f, n in bad.items() if n}


def test_contracts_import_only_the_stdlib_pydantic_and_the_kernel() -> None:
    allowed = set(sys.stdlib_module_names) | {
        "__future__",
        "pydantic",
        "pydantic_core",
        "typing_extensions",
        "kernel",
        "contracts",
    }
    bad = {f: sorted(n for n in names if top(n) not in allowed) for f, names in imports_of("contracts").items()}
    assert not {f: n for f, n in bad.items() if n}


def test_the_kernel_imports_neither_contracts_nor_services() -> None:
    bad = {
        f: sorted(n for n in names if top(n) in {"contracts", "services", "gateway", "runner"})
        for f, names in imports_of("kernel").items()
    }
    assert not {f: n for f, n in bad.items() if n}


def test_the_walk_sees_imports() -> None:
    """The checks above cannot pass by reading nothing."""
    assert "contracts.periods" in imports_of("services/registry")["services/registry/service/periods.py"]


@pytest.mark.parametrize("service", SERVICES)
def test_every_service_has_the_one_interior(service: str) -> None:
    """ADR 0017: api/, service/, store/, adapters/ and schemas.py; no ``domain/`` left."""
    base = ROOT / "services" / service
    assert not (base / "domain").exists()
    for folder in ("api", "service", "store", "adapters"):
        assert (base / folder / "__init__.py").is_file(), folder
    assert (base / "schemas.py").is_file() or (base / "schemas" / "__init__.py").is_file()


def _layer_imports(service: str, layer: str) -> dict[str, set[str]]:
    return {f: n for f, n in imports_of(f"services/{service}").items() if f.startswith(f"services/{service}/{layer}/")}


@pytest.mark.parametrize("service", SERVICES)
def test_routers_never_reach_a_store_or_a_peer_client(service: str) -> None:
    """A router calls use cases (``service/``); repositories and peer reads live in ``store/``.

    No router imports its service's ``store`` (the registry's routers name row types through
    ``service/rows.py``, ADR 0022). ``kernel.client`` is banned in scoring's routers; the registry's
    ``api/deps.py`` and ``api/rule_sets.py`` still take the scoring peer from ``app.state`` to build
    the rule-set / manual validators they pass to the use cases."""
    banned: tuple[str, ...] = (f"services.{service}.store",)
    if service == "scoring":
        banned += ("kernel.client",)
    bad = {
        f: sorted(n for n in names if any(n == b or n.startswith(b + ".") for b in banned))
        for f, names in _layer_imports(service, "api").items()
    }
    assert not {f: n for f, n in bad.items() if n}


@pytest.mark.parametrize("service", SERVICES)
def test_layers_import_only_downwards(service: str) -> None:
    """Nothing imports ``api``; ``store`` imports neither ``service`` nor ``api``; the engine only
    itself. (``adapters`` → ``service`` is not checked yet: the registry's xlsx adapters read
    ``service/periods.py``, scoring's renderers ``service/labels.py``.)"""
    pkg = f"services.{service}"
    rules = {
        "service": (f"{pkg}.api",),
        "store": (f"{pkg}.api", f"{pkg}.service"),
        "adapters": (f"{pkg}.api",),
        "engine": (f"{pkg}.api", f"{pkg}.service", f"{pkg}.store", f"{pkg}.adapters"),
    }
    bad = {}
    for layer, banned in rules.items():
        for f, names in _layer_imports(service, layer).items():
            hit = sorted(n for n in names if any(n == b or n.startswith(b + ".") for b in banned))
            if hit:
                bad[f] = hit
    assert not bad


def test_the_scoring_routers_are_seen() -> None:
    """The layer checks above cannot pass by reading nothing."""
    api = _layer_imports("scoring", "api")
    assert "services.scoring.service" in api["services/scoring/api/scores.py"]
    assert "services.scoring.store" in imports_of("services/scoring")["services/scoring/service/scores.py"]
