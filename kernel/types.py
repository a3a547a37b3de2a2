"""Value types shared by the API schemas.

Numbers of record are ``Decimal`` end to end (NUMERIC in the database, exact arithmetic in the
engine). On the wire they are JSON numbers: a decimal with at most 15 significant digits
survives the float round trip unchanged, which covers every figure of the domain (the largest,
revenue in thousand Rp, has 10 digits). Inputs are accepted as numbers or strings.

``Number`` is the wire type of what the services *answer*; every number a client *sends* is a
``BoundedNumber`` (docs/contracts.md §4): finite, at most :data:`MAX_INTEGER_DIGITS` digits
before the point, :data:`MAX_FRACTION_DIGITS` after it and :data:`MAX_SIGNIFICANT_DIGITS` in
all. That is what the NUMERIC(25, 10) columns hold exactly, what the engine's 50-digit context
divides and quantises without overflow, and what a JSON number gives back unchanged on the next
read. Anything else (1e60, "1e999999", 5000 digits, NaN) is a 422 naming the field: before the
bound it was stored and then broke every read of the satker (quantize overflow, SQLite storing
``inf``, JSON ``null``).

Text: PostgreSQL cannot store the NUL character (``text`` refuses it, ``jsonb`` refuses
``\\u0000``), so every input model derives from :class:`InputModel`, which refuses NUL anywhere
in a field (nested lists and dicts, keys included) with a 422 naming the field, instead of a
500 from the database.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any

from fastapi import Path
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    PlainSerializer,
    StringConstraints,
    field_validator,
)

from kernel.errors import Unprocessable

MAX_INTEGER_DIGITS = 15
MAX_FRACTION_DIGITS = 10
MAX_SIGNIFICANT_DIGITS = 15
#: precision and scale of the NUMERIC columns that store client numbers (migrations: registry 0003)
NUMERIC_PRECISION, NUMERIC_SCALE = MAX_INTEGER_DIGITS + MAX_FRACTION_DIGITS, MAX_FRACTION_DIGITS


def _to_decimal(value: object) -> object:
    if isinstance(value, float):
        return Decimal(repr(value))  # shortest repr: 0.1 -> Decimal('0.1'), not 0.1000000000000000055...
    return value


Number = Annotated[
    Decimal,
    BeforeValidator(_to_decimal),
    PlainSerializer(lambda d: float(d), return_type=float, when_used="json"),
]


def bounded_decimal(value: Decimal) -> Decimal:
    """``value`` if it lies in the documented range (see the module docstring), else ``ValueError``.

    Works on the digit tuple, never through a context: ``normalize()`` or arithmetic would round
    a 5000-digit input to the context's precision first and so let it pass.
    """
    if not value.is_finite():
        raise ValueError("must be a finite number")
    sign, digits, exponent = value.as_tuple()
    assert isinstance(exponent, int)  # finite
    significant = list(digits)
    while len(significant) > 1 and significant[-1] == 0:  # trailing zeros carry no precision
        significant.pop()
        exponent += 1
    if significant == [0]:
        return Decimal(0)  # 0E+100000 and -0 are plain zero
    fraction = max(0, -exponent)
    integer = max(0, len(significant) + exponent)
    if integer > MAX_INTEGER_DIGITS:
        raise ValueError(f"must be less than 1e{MAX_INTEGER_DIGITS} in magnitude")
    if fraction > MAX_FRACTION_DIGITS:
        raise ValueError(f"at most {MAX_FRACTION_DIGITS} digits after the decimal point")
    if len(significant) > MAX_SIGNIFICANT_DIGITS:
        raise ValueError(f"at most {MAX_SIGNIFICANT_DIGITS} significant digits")
    return value


BoundedNumber = Annotated[
    Decimal,
    BeforeValidator(_to_decimal),
    AfterValidator(bounded_decimal),
    PlainSerializer(lambda d: float(d), return_type=float, when_used="json"),
]
"""A number a client sends: finite, < 1e15 in magnitude, <= 10 decimals, <= 15 significant digits."""


def find_nul(value: Any, where: str = "") -> str | None:
    """The path (``a.b.0``) of the first string in ``value`` that contains NUL, else ``None``."""
    if isinstance(value, str):
        return where if "\x00" in value else None
    if isinstance(value, dict):
        for key, item in value.items():
            path = f"{where}.{key}" if where else str(key)
            if isinstance(key, str) and "\x00" in key:
                return path
            found = find_nul(item, path)
            if found is not None:
                return found
    elif isinstance(value, list | tuple | set | frozenset):
        for i, item in enumerate(value):
            found = find_nul(item, f"{where}.{i}" if where else str(i))
            if found is not None:
                return found
    return None


def refuse_nul(value: Any) -> Any:
    """``value`` unchanged, or ``ValueError`` when a string in it contains NUL (PostgreSQL cannot store it)."""
    found = find_nul(value)
    if found is not None:
        raise ValueError("the NUL character (\\u0000) is not allowed" + (f" (at {found})" if found else ""))
    return value


def ensure_no_nul(value: Any, field: str) -> None:
    """For bodies that are no :class:`InputModel` (raw JSON documents): 422 naming where NUL is."""
    found = find_nul(value)
    if found is not None:
        where = f"{field}.{found}" if found else field
        raise Unprocessable("the NUL character (\\u0000) is not allowed", field=where)


class InputModel(BaseModel):
    """Base of every request body model: unknown fields are errors, NUL in any text is a 422."""

    model_config = ConfigDict(extra="forbid")

    # after validation: a nested input model is an instance by then (not walked here), so its own
    # check reports the NUL at its own field (``indicators.0.name``), not at the enclosing one
    @field_validator("*", mode="after")
    @classmethod
    def _no_nul(cls, value: Any) -> Any:
        return refuse_nul(value)


#: the shape of every code in a URL or a body (org codes such as ``WBC.16``, IKU codes such as ``3a-CP``)
IDENTIFIER_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]*$"
MAX_CODE_LENGTH = 32

OrgCode = Annotated[str, StringConstraints(min_length=1, max_length=MAX_CODE_LENGTH, pattern=IDENTIFIER_PATTERN)]
"""An org (satker) code in a body: 1-32 letters, digits, ``.``, ``_``, ``-``, starting with a letter or digit."""
IkuCode = OrgCode
"""An IKU (or SS) code in a body: the same shape as an org code."""

OrgCodePath = Annotated[
    str,
    Path(min_length=1, max_length=MAX_CODE_LENGTH, pattern=IDENTIFIER_PATTERN, description="org code, e.g. WBC.16"),
]
"""``{code}`` in a path: the shape of :data:`OrgCode`; a bad one is a 422 naming the path parameter."""
IkuCodePath = Annotated[
    str,
    Path(min_length=1, max_length=MAX_CODE_LENGTH, pattern=IDENTIFIER_PATTERN, description="IKU code, e.g. 3a-CP"),
]
"""``{iku}`` in a path: the shape of :data:`IkuCode`; a bad one is a 422 naming the path parameter."""
