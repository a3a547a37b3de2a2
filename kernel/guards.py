"""Request-level refusals that hold for every route of a service, before any routing.

:class:`NulGuardMiddleware`: PostgreSQL cannot store or compare text containing NUL, so a
``%00`` in a path parameter or a query parameter reached the database as a 500. Bodies are
checked field by field (``kernel.types.InputModel``, ``kernel.types.ensure_no_nul``) so their
422 can name the field; the URL is checked here, once, for all routes.
"""

from __future__ import annotations

import json
from urllib.parse import unquote_to_bytes

from starlette.types import ASGIApp, Receive, Scope, Send

from kernel.errors import PROBLEM_JSON, TYPE_BASE, FieldError, Problem


def _has_nul(raw: bytes) -> bool:
    return b"\x00" in raw or (b"%00" in raw and b"\x00" in unquote_to_bytes(raw))


class NulGuardMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            where = None
            if "\x00" in scope.get("path", ""):
                where = "path"
            elif _has_nul(scope.get("query_string", b"")):
                where = "query"
            if where is not None:
                await _refuse(send, where, scope.get("path", ""))
                return
        await self.app(scope, receive, send)


async def _refuse(send: Send, where: str, path: str) -> None:
    reason = "the NUL character (%00) is not allowed"
    body = Problem(
        type=TYPE_BASE + "validation",
        title="Invalid input",
        status=422,
        detail=f"{where}: {reason}",
        instance=path.replace("\x00", "%00"),
        errors=[FieldError(field=where, reason=reason)],
    ).model_dump(exclude_none=True)
    raw = json.dumps(body).encode()
    headers = [(b"content-type", PROBLEM_JSON.encode()), (b"content-length", str(len(raw)).encode())]
    await send({"type": "http.response.start", "status": 422, "headers": headers})
    await send({"type": "http.response.body", "body": raw})
