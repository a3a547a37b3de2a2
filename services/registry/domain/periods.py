"""Reporting periods (the contract: :mod:`contracts.periods`) and the rule that decides what a closed period locks."""

from __future__ import annotations

from contracts.periods import (
    MEASURE_PERIODS,
    TARGET_PERIODS,
    MeasurePeriod,
    TargetPeriod,
    period_order,
)
from contracts.periods import WINDOW_SETS as WINDOWS

__all__ = ["MEASURE_PERIODS", "TARGET_PERIODS", "WINDOWS", "MeasurePeriod", "TargetPeriod", "locked_by", "period_order"]


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
