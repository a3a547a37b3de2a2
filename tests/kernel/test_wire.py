"""Numbers on the wire carry the Decimal's digits (kernel.wire, ADR 0018)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from fastapi import FastAPI
from fastapi.responses import JSONResponse

from kernel.client import ServiceClient
from kernel.wire import ExactJSONResponse, dumps

#: 29 significant digits: a float keeps at most 17
LONG = Decimal("118.29725439431410000123456789")


def _app() -> FastAPI:
    app = FastAPI()

    @app.get("/exact")
    async def exact() -> ExactJSONResponse:
        return ExactJSONResponse({"nko": LONG, "items": [{"v": Decimal("-0.000000000000000000001")}], "n": 3})

    @app.get("/float")
    async def as_float() -> JSONResponse:
        return JSONResponse({"nko": float(LONG)})

    return app


@pytest.mark.anyio
async def test_a_long_decimal_round_trips_exactly_through_http() -> None:
    client = ServiceClient("x", app=_app())
    try:
        body = await client.get_json("/exact", token=None, exact=True)
        as_float = await client.get_json("/float", token=None, exact=True)
    finally:
        await client.aclose()
    assert body == {"nko": LONG, "items": [{"v": Decimal("-1E-21")}], "n": 3}
    assert str(body["nko"]) == "118.29725439431410000123456789"
    # the same value through a float loses digits: the check above can fail
    assert as_float["nko"] != LONG


def test_the_wire_form_is_a_json_number_with_the_decimals_text() -> None:
    assert dumps({"a": LONG, "b": Decimal("1E+2")}) == b'{"a":118.29725439431410000123456789,"b":1E+2}'


@pytest.mark.parametrize("bad", [Decimal("NaN"), Decimal("Infinity"), Decimal("-Infinity")])
def test_a_non_finite_decimal_is_refused_not_written(bad: Decimal) -> None:
    with pytest.raises(TypeError):
        dumps({"a": bad})
