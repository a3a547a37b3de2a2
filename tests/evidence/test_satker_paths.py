"""The satker-path cache of evidence's READ checks (ADR 0014): kept ttl seconds, bounded, off at 0."""

from __future__ import annotations

from services.evidence.service.context import SatkerPaths


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_a_path_is_reused_until_its_ttl_has_passed() -> None:
    clock = Clock()
    paths = SatkerPaths(ttl=30, clock=clock)
    paths.put("KBC.1602", ["KP", "WBC.16", "KBC.1602"])
    clock.now += 29.9
    assert paths.get("KBC.1602") == ["KP", "WBC.16", "KBC.1602"]
    clock.now += 0.1
    assert paths.get("KBC.1602") is None  # expired: the registry is asked again


def test_ttl_zero_keeps_nothing_and_the_size_is_bounded() -> None:
    off = SatkerPaths(ttl=0)
    off.put("WBC.16", ["KP", "WBC.16"])
    assert off.get("WBC.16") is None
    small = SatkerPaths(ttl=30, size=2)
    for code in ("A", "B", "C"):
        small.put(code, [code])
    assert small.get("A") is None and small.get("B") == ["B"] and small.get("C") == ["C"]


def test_a_returned_path_cannot_change_the_cached_one() -> None:
    paths = SatkerPaths(ttl=30)
    paths.put("WBC.16", ["KP", "WBC.16"])
    got = paths.get("WBC.16")
    assert got is not None
    got.append("X")
    assert paths.get("WBC.16") == ["KP", "WBC.16"]
