"""Who may import whom (ADR 0001, 0016): services never import each other; ``contracts`` imports only
the standard library, pydantic and the kernel; the kernel imports neither contracts nor a service."""

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
    allowed = set(sys.stdlib_module_names) | {"__future__", "pydantic", "pydantic_core", "kernel", "contracts"}
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
    assert "contracts.periods" in imports_of("services/registry")["services/registry/domain/periods.py"]
