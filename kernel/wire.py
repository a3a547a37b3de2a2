"""JSON numbers with exactly a Decimal's digits (ADR 0018, the first part).

Pydantic's JSON mode turns a ``Decimal`` into a string, and a ``float`` keeps at most 17
significant digits (``Decimal("118.29725439431410000123")`` arrives as ``118.2972543943141``).
:class:`ExactJSONResponse` writes the Decimal's own text as the JSON number through orjson's
``Fragment`` (the bytes are inserted as they are), so the number on the wire has the Decimal's
digits; :meth:`kernel.client.ServiceClient.get_json` with ``exact=True`` reads them back as
``Decimal`` (``json.loads(parse_float=Decimal)``), so they survive the round trip.

The scoring answers use it (``response_class=ExactJSONResponse``); their response models type
those numbers as :data:`ExactNumber`, so OpenAPI says ``number`` (pydantic alone would document a
``Decimal`` answer as a string, which is what its JSON mode writes).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any

import orjson
from fastapi.responses import JSONResponse
from pydantic import BaseModel, WithJsonSchema

#: a Decimal answered as a JSON number with exactly its digits (by :class:`ExactJSONResponse`)
ExactNumber = Annotated[
    Decimal,
    WithJsonSchema({"type": "number", "description": "exact: the Decimal's own digits (ADR 0018)"}),
]


def _default(value: Any) -> Any:
    if isinstance(value, Decimal):
        if not value.is_finite():  # NaN / Infinity are no JSON numbers: fail loudly, never write null
            raise TypeError(f"not a finite number: {value}")
        return orjson.Fragment(str(value))  # '118.2973', '1E+2', '-0': all valid JSON numbers
    if isinstance(value, BaseModel):
        return value.model_dump(mode="python")  # Decimals stay Decimals (JSON mode would make them text)
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def dumps(content: Any) -> bytes:
    """``content`` as JSON; every Decimal a JSON number with exactly its digits."""
    return orjson.dumps(content, default=_default)


class ExactJSONResponse(JSONResponse):
    """A JSON answer whose Decimals are written digit for digit (see the module docstring)."""

    def render(self, content: Any) -> bytes:
        return dumps(content)
