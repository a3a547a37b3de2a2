"""The two locks: what running needs (``make run``, the image) and the development superset."""

from __future__ import annotations

import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[2]


def _pins(name: str) -> dict[str, str]:
    pins: dict[str, str] = {}
    for line in (ROOT / name).read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            package, sep, version = line.partition("==")
            assert sep, f"{name}: not an exact pin: {line}"
            pins[canonicalize_name(package)] = version
    return pins


def test_runtime_lock_pins_every_runtime_dependency_as_the_development_lock_does() -> None:
    run, dev = _pins("requirements-run.lock"), _pins("requirements.lock")
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    for dependency in project["dependencies"]:
        assert canonicalize_name(Requirement(dependency).name) in run, dependency
    for package, version in run.items():
        assert dev.get(package) == version, f"{package}: {version} in the runtime lock, {dev.get(package)} in dev"


def test_runtime_lock_has_no_test_or_lint_tools() -> None:
    run = _pins("requirements-run.lock")
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    tools = {canonicalize_name(Requirement(d).name) for d in project["optional-dependencies"]["dev"]}
    assert not tools & set(run), tools & set(run)
