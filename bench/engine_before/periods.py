"""Periods and windows (contracts §5).

A score period is a window of months. Additive parts reported monthly are summed over the
window; values reported per quarter are consolidated over the quarters inside the window.
"""

from __future__ import annotations

from typing import Literal, get_args

ScorePeriod = Literal["Q1", "Q2", "S1", "Q3", "TQ3", "Q4", "Y"]
SCORE_PERIODS: tuple[str, ...] = get_args(ScorePeriod)
MONTHS: tuple[str, ...] = tuple(f"M{m:02d}" for m in range(1, 13))

WINDOWS: dict[str, tuple[int, ...]] = {
    "Q1": (1, 2, 3),
    "Q2": (4, 5, 6),
    "S1": tuple(range(1, 7)),
    "Q3": (7, 8, 9),
    "TQ3": tuple(range(1, 10)),
    "Q4": (10, 11, 12),
    "Y": tuple(range(1, 13)),
}
for _m in range(1, 13):
    WINDOWS[f"M{_m:02d}"] = (_m,)

#: The quarters whose reported values a window consolidates, in time order.
QUARTERS_IN: dict[str, tuple[str, ...]] = {
    "Q1": ("Q1",),
    "Q2": ("Q2",),
    "S1": ("Q1", "Q2"),
    "Q3": ("Q3",),
    "TQ3": ("Q1", "Q2", "Q3"),
    "Q4": ("Q4",),
    "Y": ("Q1", "Q2", "Q3", "Q4"),
}

#: For "take last known value": the reported periods that end where the window ends, latest first.
#: (Y ends in December: Y itself, then Q4; TQ3 ends in September: TQ3, then Q3.)
SAME_END: dict[str, tuple[str, ...]] = {
    "Q1": ("Q1",),
    "Q2": ("Q2", "S1"),
    "S1": ("S1", "Q2"),
    "Q3": ("Q3", "TQ3"),
    "TQ3": ("TQ3", "Q3"),
    "Q4": ("Q4", "Y"),
    "Y": ("Y", "Q4"),
}


_WINDOW_MONTHS: dict[str, tuple[str, ...]] = {p: tuple(f"M{m:02d}" for m in ms) for p, ms in WINDOWS.items()}


def window_months(period: str) -> tuple[str, ...]:
    return _WINDOW_MONTHS[period]


def is_score_period(period: str) -> bool:
    return period in QUARTERS_IN
