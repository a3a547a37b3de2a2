"""Reporting periods (contracts.md §5) and the rule that decides what a closed period locks."""

from __future__ import annotations

from typing import Literal, get_args

TargetPeriod = Literal["Q1", "Q2", "S1", "Q3", "TQ3", "Q4", "Y"]
MeasurePeriod = Literal[
    "Q1",
    "Q2",
    "S1",
    "Q3",
    "TQ3",
    "Q4",
    "Y",
    "M01",
    "M02",
    "M03",
    "M04",
    "M05",
    "M06",
    "M07",
    "M08",
    "M09",
    "M10",
    "M11",
    "M12",
]

TARGET_PERIODS: tuple[str, ...] = get_args(TargetPeriod)
MEASURE_PERIODS: tuple[str, ...] = get_args(MeasurePeriod)

WINDOWS: dict[str, frozenset[int]] = {
    "Q1": frozenset({1, 2, 3}),
    "Q2": frozenset({4, 5, 6}),
    "S1": frozenset(range(1, 7)),
    "Q3": frozenset({7, 8, 9}),
    "TQ3": frozenset(range(1, 10)),
    "Q4": frozenset({10, 11, 12}),
    "Y": frozenset(range(1, 13)),
} | {f"M{m:02d}": frozenset({m}) for m in range(1, 13)}

_ORDER = {p: i for i, p in enumerate(MEASURE_PERIODS)}


def period_order(period: str) -> int:
    return _ORDER.get(period, len(_ORDER))


def locked_by(period: str, closed: set[str] | frozenset[str]) -> str | None:
    """The closed period that locks writes to ``period``, if any.

    A closed period C locks a period P when P's months all lie inside C's window: closing Q1
    locks Q1, M01-M03; closing S1 also locks Q1 and Q2; closing Q1 does *not* lock S1, whose
    cumulative figure is still open until the end of June.
    """
    window = WINDOWS[period]
    for c in sorted(closed, key=period_order):
        if window <= WINDOWS[c]:
            return c
    return None
