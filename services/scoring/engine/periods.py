"""Periods and windows (contracts §5).

A score period is a window of months. Additive parts reported monthly are summed over the
window; values reported per quarter are consolidated over the quarters inside the window.
"""

from __future__ import annotations

from contracts.periods import MONTHS, QUARTERS_IN, SCORE_PERIODS, WINDOWS, ScorePeriod, is_score_period, window_months

__all__ = [
    "MONTHS",
    "QUARTERS_IN",
    "SAME_END",
    "SCORE_PERIODS",
    "WINDOWS",
    "ScorePeriod",
    "is_score_period",
    "window_months",
]

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
