"""Exact arithmetic for the engine.

Every figure is a :class:`~decimal.Decimal` computed in :data:`CONTEXT` (50 significant digits,
far beyond any figure of the domain, so a chain of ratios and weighted sums loses nothing that
shows in 2 or 4 decimals). Rounding happens once, for display, with ROUND_HALF_UP as the
reports do; the full-precision value travels next to the display string.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Context, Decimal, DivisionByZero, InvalidOperation, Overflow

CONTEXT = Context(
    prec=50, rounding=ROUND_HALF_UP, Emin=-999999, Emax=999999, traps=[InvalidOperation, DivisionByZero, Overflow]
)

ZERO = Decimal(0)
ONE = Decimal(1)
HUNDRED = Decimal(100)
TWO_PLACES = Decimal("0.01")


def to_decimal(value: object) -> Decimal:
    """Decimal from JSON/YAML input: floats via their shortest repr (0.1 → Decimal('0.1'))."""
    if isinstance(value, Decimal):
        return value
    if isinstance(value, bool):
        raise TypeError("a boolean is not a number")
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        return Decimal(repr(value))
    if isinstance(value, str):
        return Decimal(value.strip())
    raise TypeError(f"not a number: {value!r}")


def display(value: Decimal | None, places: int = 2) -> str | None:
    """The printed form: ``places`` decimals, ROUND_HALF_UP (118.2973 → '118.30')."""
    if value is None:
        return None
    quantum = Decimal(1).scaleb(-places)
    return str(value.quantize(quantum, rounding=ROUND_HALF_UP, context=CONTEXT))


#: the quantum of each number of decimals (a manual's precision is 0..10): built once, not per call
_QUANTA = {places: Decimal(1).scaleb(-places) for places in range(0, 21)}


def rounded(value: Decimal, places: int) -> Decimal:
    quantum = _QUANTA.get(places)
    if quantum is None:
        quantum = Decimal(1).scaleb(-places)
    return value.quantize(quantum, rounding=ROUND_HALF_UP, context=CONTEXT)


def normal(value: Decimal | None) -> Decimal | None:
    """Strip trailing zeros without exponent noise (for compact JSON and explain output)."""
    if value is None:
        return None
    v = value.normalize(CONTEXT)
    if v == v.to_integral_value():
        return v.quantize(ONE, context=CONTEXT)
    return v
