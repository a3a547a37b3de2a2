"""A stand-in service for the gateway's streaming timing checks (test_streaming.py; raw ASGI, uvicorn subprocess).

``POST .../echo-timing`` reports when each request chunk arrived; ``GET .../slow-download`` sends
one chunk, waits, then the rest; ``GET .../headers`` returns the request headers it received.
"""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any


async def _json(send: Any, body: Any, status: int = 200) -> None:
    raw = json.dumps(body).encode()
    await send({"type": "http.response.start", "status": status, "headers": [(b"content-type", b"application/json")]})
    await send({"type": "http.response.body", "body": raw})


async def app(scope: Any, receive: Any, send: Any) -> None:
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            await send({"type": message["type"] + ".complete"})
            if message["type"] == "lifespan.shutdown":
                return
    path = scope["path"]
    if path in ("/healthz", "/readyz"):
        await _json(send, {"status": "ok"})
    elif path.endswith("/echo-timing"):
        arrivals: list[float] = []
        total = 0
        while True:
            message = await receive()
            chunk = message.get("body", b"")
            if chunk:
                arrivals.append(time.time())
                total += len(chunk)
            if not message.get("more_body", False):
                break
        await _json(send, {"bytes": total, "chunks": len(arrivals), "first": arrivals[0], "last": arrivals[-1]})
    elif path.endswith("/slow-download"):
        await send(
            {"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"application/octet-stream")]}
        )
        await send({"type": "http.response.body", "body": b"a" * 65536, "more_body": True})
        await asyncio.sleep(1.0)
        for _ in range(16):
            await send({"type": "http.response.body", "body": b"b" * 65536, "more_body": True})
        await send({"type": "http.response.body", "body": b""})
    elif path.endswith("/headers"):
        await _json(send, {k.decode(): v.decode() for k, v in scope["headers"]})
    else:
        await _json(send, {"detail": "not here"}, 404)
