"""The reporting periods and their month windows (docs/contracts.md §5): one definition.

Target and score periods are ``Q1 Q2 S1 Q3 TQ3 Q4 Y`` (S1 = January-June, TQ3 = January-September,
Y = the year); measures may also be reported per month, ``M01``..``M12``. A period *is* its window,
a set of months. Which quarters make up a window tells how values reported per quarter are
consolidated over it.
"""

from __future__ import annotations

import calendar
from datetime import date
from typing import Literal, get_args

ScorePeriod = Literal["Q1", "Q2", "S1", "Q3", "TQ3", "Q4", "Y"]
"""A period with a target and a score (the periods of a performance agreement)."""
TargetPeriod = ScorePeriod

Month = Literal["M01", "M02", "M03", "M04", "M05", "M06", "M07", "M08", "M09", "M10", "M11", "M12"]
MeasurePeriod = Literal[ScorePeriod, Month]
"""A period a measure may be reported for: a score period or a month."""

SCORE_PERIODS: tuple[str, ...] = get_args(ScorePeriod)
TARGET_PERIODS = SCORE_PERIODS
MONTHS: tuple[str, ...] = get_args(Month)
#: every period, in calendar order: the score periods, then the months
MEASURE_PERIODS: tuple[str, ...] = SCORE_PERIODS + MONTHS

#: period → its months (1-12), in time order
WINDOWS: dict[str, tuple[int, ...]] = {
    "Q1": (1, 2, 3),
    "Q2": (4, 5, 6),
    "S1": (1, 2, 3, 4, 5, 6),
    "Q3": (7, 8, 9),
    "TQ3": (1, 2, 3, 4, 5, 6, 7, 8, 9),
    "Q4": (10, 11, 12),
    "Y": (1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12),
} | {month: (m,) for m, month in enumerate(MONTHS, start=1)}

#: period → its months as a set (``WINDOWS[p] <= WINDOWS_SET[c]``: p lies inside c)
WINDOW_SETS: dict[str, frozenset[int]] = {p: frozenset(ms) for p, ms in WINDOWS.items()}

#: score period → the quarters whose reported values its window consolidates, in time order
QUARTERS_IN: dict[str, tuple[str, ...]] = {
    p: tuple(q for q in ("Q1", "Q2", "Q3", "Q4") if set(WINDOWS[q]) <= set(WINDOWS[p])) for p in SCORE_PERIODS
}

_ORDER = {p: i for i, p in enumerate(MEASURE_PERIODS)}
_WINDOW_MONTHS: dict[str, tuple[str, ...]] = {p: tuple(MONTHS[m - 1] for m in ms) for p, ms in WINDOWS.items()}


def period_order(period: str) -> int:
    """Sort key of the calendar order (Q1, Q2, S1, ..., Y, M01, ..., M12); unknown codes last."""
    return _ORDER.get(period, len(_ORDER))


def window_months(period: str) -> tuple[str, ...]:
    """The month periods of ``period``'s window: ``S1`` → ``("M01", ..., "M06")``."""
    return _WINDOW_MONTHS[period]


def is_score_period(period: str) -> bool:
    return period in QUARTERS_IN


def window_bounds(year: int, period: str) -> tuple[date, date]:
    """The first and the last day of ``period``'s window in ``year``."""
    months = WINDOWS[period]
    last = months[-1]
    return date(year, months[0], 1), date(year, last, calendar.monthrange(year, last)[1])
