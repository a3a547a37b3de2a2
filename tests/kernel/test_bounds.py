"""Kernel bounds at the edge: client numbers, NUL in text, request ids, forwarded origins."""

from __future__ import annotations

import ipaddress
from contextlib import asynccontextmanager
from decimal import Decimal
from typing import Any

import pytest
from fastapi import FastAPI
from pydantic import ValidationError

from kernel.app import new_service_app
from kernel.client import ServiceClient
from kernel.observability import client_origin
from kernel.settings import CommonSettings
from kernel.types import BoundedNumber, InputModel
from tests.conftest import asgi_client

pytestmark = pytest.mark.anyio


class Thing(InputModel):
    value: BoundedNumber
    name: str = "x"
    parts: dict[str, BoundedNumber | None] = {}
    document: dict[str, Any] = {}


@pytest.mark.parametrize(
    "raw",
    [
        1e60,
        "1e60",
        "1e999999",
        "-1e999999",
        "9" * 5000,
        "NaN",
        "Infinity",
        "-inf",
        1e15,
        "1234567890123456",
        "0.00000000001",
        "1.23456789012345678",
        "123456789012.3456",
    ],  # fmt: skip
)
def test_numbers_outside_the_documented_range_are_refused(raw: object) -> None:
    with pytest.raises(ValidationError) as info:
        Thing.model_validate({"value": raw})
    assert info.value.errors()[0]["loc"] == ("value",)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (0.1, "0.1"),
        ("5.2731", "5.2731"),
        (999_999_999_999_999, "999999999999999"),
        ("-99999999999999.9", None),
        ("0.0000000001", None),
        ("1.500000000000000000", None),
        ("0E+100000", "0"),
        (0, "0"),
        ("1e14", None),
    ],  # fmt: skip
)
def test_numbers_inside_the_range_pass_unchanged(raw: object, expected: str | None) -> None:
    value = Thing.model_validate({"value": raw}).value
    assert value == Decimal(expected or str(raw))
    assert Decimal(repr(float(value))) == value  # the JSON number a read returns is exactly it


def test_nul_is_refused_in_any_text_of_an_input_model() -> None:
    for body, field in (
        ({"value": 1, "name": "a\x00b"}, "name"),
        ({"value": 1, "parts": {"x\x00": 1}}, "parts"),
        ({"value": 1, "document": {"a": [{"b": "\x00"}]}}, "document"),
    ):
        with pytest.raises(ValidationError) as info:
            Thing.model_validate(body)
        error = info.value.errors()[0]
        assert error["loc"] == (field,) and "NUL" in error["msg"], error


def _app() -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI):  # type: ignore[no-untyped-def]
        app.state.peer = ServiceClient("demo", app=app)
        try:
            yield
        finally:
            await app.state.peer.aclose()

    app = new_service_app(service="demo", title="demo", description="demo", lifespan=lifespan)

    @app.get("/api/v1/demo/echo")
    async def echo(q: str | None = None) -> dict[str, str | None]:
        return {"q": q}

    @app.get("/api/v1/demo/hop")
    async def hop() -> Any:
        # a service-to-service call carries the request id in an (ASCII-only) header
        return await app.state.peer.get_json("/api/v1/demo/echo", token="t")

    @app.post("/api/v1/demo/things")
    async def create(body: Thing) -> dict[str, str]:
        return {"value": str(body.value)}

    return app


async def test_non_ascii_request_id_is_replaced_not_a_500() -> None:
    async with asgi_client(_app()) as c:
        for bad in ("ñandú".encode(), b"a b", b"x" * 129, b"\xff\xfe"):
            r = await c.get("/api/v1/demo/hop", headers=[(b"x-request-id", bad)])
            assert r.status_code == 200, (bad, r.status_code, r.text)
            rid = r.headers["x-request-id"]
            assert rid.isascii() and len(rid) == 32 and rid.encode() != bad
        kept = await c.get("/api/v1/demo/hop", headers={"X-Request-ID": "caller-id_42:7"})
        assert kept.status_code == 200 and kept.headers["x-request-id"] == "caller-id_42:7"


async def test_nul_in_the_url_or_body_is_a_422_naming_the_field() -> None:
    async with asgi_client(_app()) as c:
        r = await c.get("/api/v1/demo/echo?q=a%00b")
        assert r.status_code == 422 and r.headers["content-type"] == "application/problem+json"
        assert r.json()["errors"][0]["field"] == "query" and "x-request-id" in r.headers
        r = await c.get("/api/v1/demo/%00/echo")
        assert r.status_code == 422 and r.json()["errors"][0]["field"] == "path"
        assert (await c.get("/api/v1/demo/echo?q=a%2500b")).json() == {"q": "a%00b"}  # an escaped "%00" is text
        r = await c.post("/api/v1/demo/things", json={"value": 1, "name": "a\u0000"})
        assert r.status_code == 422 and r.json()["errors"][0]["field"] == "name"
        r = await c.post("/api/v1/demo/things", json={"value": "1e999999"})
        assert r.status_code == 422 and r.json()["errors"][0]["field"] == "value"


def test_forwarded_for_is_believed_only_from_trusted_proxies() -> None:
    gateway = [ipaddress.ip_network("10.0.0.5/32"), ipaddress.ip_network("::1/128")]
    # straight from the client: its own header is ignored
    assert client_origin("203.0.113.9", ["1.2.3.4"], gateway) == ("203.0.113.9", [])
    assert client_origin("203.0.113.9", ["1.2.3.4"], []) == ("203.0.113.9", [])
    # through the gateway, which appends the address it saw after the client's forged one
    assert client_origin("10.0.0.5", ["1.2.3.4", "203.0.113.9"], gateway) == ("203.0.113.9", ["10.0.0.5"])
    assert client_origin("10.0.0.5", ["1.2.3.4, 203.0.113.9"], gateway) == ("203.0.113.9", ["10.0.0.5"])
    # garbage appended by a client behind no proxy of ours: the walk stops at our proxy
    assert client_origin("10.0.0.5", ["evil<script>"], gateway) == ("10.0.0.5", [])
    assert client_origin("::1", ["2001:db8::7"], gateway) == ("2001:db8::7", ["::1"])
    assert client_origin(None, ["1.2.3.4"], gateway) == (None, [])
    # the setting is read from the environment as a JSON list of addresses or networks
    parsed = CommonSettings(trusted_proxies=["127.0.0.1", "10.1.0.0/16"]).trusted_proxies  # type: ignore[list-item]
    assert [str(n) for n in parsed] == ["127.0.0.1/32", "10.1.0.0/16"]
