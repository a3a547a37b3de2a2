"""Value types shared by the API schemas.

Numbers of record are ``Decimal`` end to end (NUMERIC in the database, exact arithmetic in the
engine). On the wire they are JSON numbers: a decimal with at most 15 significant digits
survives the float round trip unchanged, which covers every figure of the domain (the largest,
revenue in thousand Rp, has 10 digits). Inputs are accepted as numbers or strings.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

from pydantic import BeforeValidator, PlainSerializer


def _to_decimal(value: object) -> object:
    if isinstance(value, float):
        return Decimal(repr(value))  # shortest repr: 0.1 -> Decimal('0.1'), not 0.1000000000000000055...
    return value


Number = Annotated[
    Decimal,
    BeforeValidator(_to_decimal),
    PlainSerializer(lambda d: float(d), return_type=float, when_used="json"),
]
