"""One error hierarchy, rendered as RFC 9457 ``application/problem+json``.

Services raise a subclass of :class:`ProblemError`; the handlers installed by
:func:`install_problem_handlers` turn it (and FastAPI's own validation and HTTP errors) into a
problem document with a stable ``type``, a human ``detail`` and, where a field is at fault,
``errors: [{"field": ..., "reason": ...}]``. Nothing a client sends may produce a bare 500.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Sequence
from typing import Any, cast

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

PROBLEM_JSON = "application/problem+json"
TYPE_BASE = "/problems/"  # relative URI reference (RFC 9457 §3.1.1), resolved against the API
log = logging.getLogger("kinerja.errors")


class FieldError(BaseModel):
    field: str
    reason: str


class Problem(BaseModel):
    """The RFC 9457 problem document (documented in every route's ``responses=``)."""

    type: str
    title: str
    status: int
    detail: str | None = None
    instance: str | None = None
    errors: list[FieldError] | None = None


class ProblemError(Exception):
    """Base of every error a service raises on purpose."""

    status_code: int = 500
    slug: str = "internal"
    title: str = "Internal error"

    def __init__(
        self,
        detail: str | None = None,
        *,
        field: str | None = None,
        errors: Sequence[FieldError] | None = None,
        headers: dict[str, str] | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(detail or self.title)
        self.detail = detail or self.title
        found = list(errors or [])
        if field is not None:
            found.insert(0, FieldError(field=field, reason=self.detail))
        self.errors = found or None
        self.headers = headers
        self.extra = extra or {}

    def to_problem(self, instance: str | None = None) -> dict[str, Any]:
        body = Problem(
            type=TYPE_BASE + self.slug,
            title=self.title,
            status=self.status_code,
            detail=self.detail,
            instance=instance,
            errors=self.errors,
        ).model_dump(exclude_none=True)
        body.update(self.extra)
        return body


class BadRequest(ProblemError):
    status_code, slug, title = 400, "bad-request", "Bad request"


class Unauthorized(ProblemError):
    status_code, slug, title = 401, "unauthorized", "Authentication required"

    def __init__(self, detail: str | None = None, **kw: Any) -> None:
        kw.setdefault("headers", {"WWW-Authenticate": 'Bearer realm="kinerja"'})
        super().__init__(detail, **kw)


class Forbidden(ProblemError):
    status_code, slug, title = 403, "forbidden", "Out of scope"


class NotFound(ProblemError):
    status_code, slug, title = 404, "not-found", "Not found"


class Conflict(ProblemError):
    status_code, slug, title = 409, "conflict", "Conflict"


class PreconditionFailed(ProblemError):
    status_code, slug, title = 412, "precondition-failed", "Precondition failed"


class PreconditionRequired(ProblemError):
    status_code, slug, title = 428, "precondition-required", "Precondition required"


class PayloadTooLarge(ProblemError):
    status_code, slug, title = 413, "payload-too-large", "Payload too large"


class UnsupportedMediaType(ProblemError):
    status_code, slug, title = 415, "unsupported-media-type", "Unsupported media type"


class Unprocessable(ProblemError):
    """A well-formed request that breaks a domain rule (names the field at fault)."""

    status_code, slug, title = 422, "unprocessable", "Invalid input"


class TooManyRequests(ProblemError):
    status_code, slug, title = 429, "rate-limited", "Too many requests"


class ServiceUnavailable(ProblemError):
    status_code, slug, title = 503, "service-unavailable", "Service unavailable"


class UpstreamError(ProblemError):
    status_code, slug, title = 502, "bad-gateway", "Upstream service failed"


def problem_response(status: int, body: dict[str, Any], headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


# --- validation errors → field errors (the one converter) ---------------------------------

Loc = tuple[int | str, ...]
#: the sources FastAPI puts first in a request error's location
REQUEST_SOURCES = frozenset({"body", "query", "path", "header", "cookie"})
_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def request_field(loc: Loc) -> str:
    """A request error's location as the API names a field: ``indicators.0.weight``, ``year``
    (the source ``body``/``query``/... dropped, unless it is all there is)."""
    parts = [str(p) for p in loc]
    if parts and parts[0] in REQUEST_SOURCES:
        parts = parts[1:] or parts
    return ".".join(parts)


def dotted(loc: Loc, *, under: str | None = None, empty: str = "") -> str:
    """``a.0.b``; below ``under`` when given (``fields.seized``), ``empty`` (or ``under``) for the root."""
    text = ".".join(str(p) for p in loc)
    if under:
        return f"{under}.{text}" if text else under
    return text or empty


def json_path(loc: Sequence[int | str], root: str = "$") -> str:
    """A JSON path into a document: ``$.agreement.indicators[0]['odd key']`` (``root="$"``), or the
    relative form ``perspectives[1].weight`` (``root=""``; the document itself is ``$``)."""
    out = root
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif not _IDENT.match(part):
            out += f"[{part!r}]"
        else:
            out += f".{part}" if out else part
    return out or "$"


def field_errors(
    exc: ValidationError | RequestValidationError,
    *,
    locate: Callable[[Loc], str] = request_field,
    refine: Callable[[ErrorDetails, FieldError], FieldError] | None = None,
) -> list[FieldError]:
    """The ``errors[]`` of a problem from a pydantic / FastAPI validation error: one
    :class:`FieldError` per error, its ``field`` the error's location as ``locate`` writes it
    (:func:`request_field`, :func:`dotted`, :func:`json_path`), its ``reason`` pydantic's message.
    ``refine`` may rewrite an entry (a clearer reason for a known error type, a path the model
    knows better); it gets pydantic's error and the entry as built."""
    out: list[FieldError] = []
    for e in cast("list[ErrorDetails]", exc.errors()):
        found = FieldError(field=locate(tuple(e.get("loc", ()))), reason=str(e.get("msg", "invalid")))
        out.append(refine(e, found) if refine is not None else found)
    return out


def validation_problem(
    exc: ValidationError | RequestValidationError,
    *,
    locate: Callable[[Loc], str] = request_field,
    refine: Callable[[ErrorDetails, FieldError], FieldError] | None = None,
    error: type[ProblemError] = Unprocessable,
    detail: str | None = None,
    prefix: str = "",
    slug: str | None = None,
) -> ProblemError:
    """The problem to raise for a validation error: ``error`` (422 by default) with
    :func:`field_errors` and, unless ``detail`` is given, ``prefix`` + the first ``field: reason``."""
    errors = field_errors(exc, locate=locate, refine=refine)
    if detail is None:
        detail = prefix + (f"{errors[0].field}: {errors[0].reason}" if errors else "invalid input")
    problem = error(detail, errors=errors)
    if slug is not None:
        problem.slug = slug
    return problem


_STATUS_SLUGS = {
    400: ("bad-request", "Bad request"),
    401: ("unauthorized", "Authentication required"),
    403: ("forbidden", "Out of scope"),
    404: ("not-found", "Not found"),
    405: ("method-not-allowed", "Method not allowed"),
    406: ("not-acceptable", "Not acceptable"),
    409: ("conflict", "Conflict"),
    413: ("payload-too-large", "Payload too large"),
    415: ("unsupported-media-type", "Unsupported media type"),
    416: ("range-not-satisfiable", "Range not satisfiable"),
    422: ("unprocessable", "Invalid input"),
    429: ("rate-limited", "Too many requests"),
}


def install_problem_handlers(app: FastAPI) -> None:
    """Render every error of ``app`` as problem+json."""

    async def on_problem(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, ProblemError)
        return problem_response(exc.status_code, exc.to_problem(request.url.path), exc.headers)

    async def on_validation(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        err = validation_problem(exc, slug="validation", detail=None if exc.errors() else "Invalid request")
        return problem_response(422, err.to_problem(request.url.path))

    async def on_http(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, StarletteHTTPException)
        slug, title = _STATUS_SLUGS.get(exc.status_code, ("http-error", "HTTP error"))
        body = Problem(
            type=TYPE_BASE + slug,
            title=title,
            status=exc.status_code,
            detail=str(exc.detail) if exc.detail else title,
            instance=request.url.path,
        ).model_dump(exclude_none=True)
        return problem_response(exc.status_code, body, getattr(exc, "headers", None))

    async def on_unexpected(request: Request, exc: Exception) -> JSONResponse:
        # only reached for errors outside UnexpectedErrorMiddleware (in an outer middleware)
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return problem_response(500, internal_problem(request.url.path))

    app.add_exception_handler(ProblemError, on_problem)
    app.add_exception_handler(RequestValidationError, on_validation)
    app.add_exception_handler(StarletteHTTPException, on_http)
    app.add_exception_handler(Exception, on_unexpected)
    # added first = innermost of the app's own middlewares, so the request-id middleware (added
    # after) still sees the 500 and puts its header on it
    app.add_middleware(UnexpectedErrorMiddleware)


def internal_problem(instance: str | None) -> dict[str, Any]:
    """The body of a 500: says nothing about the internals (they are in the log)."""
    return Problem(
        type=TYPE_BASE + "internal",
        title="Internal error",
        status=500,
        detail="An unexpected error occurred; it has been logged.",
        instance=instance,
    ).model_dump(exclude_none=True)


class UnexpectedErrorMiddleware:
    """Answer an unexpected exception with a problem+json 500 *and keep the connection*.

    Why not only Starlette's ``Exception`` handler: it runs in ``ServerErrorMiddleware``, which
    sends the 500 and then re-raises the exception to the server, and uvicorn, seeing an app that
    raised after it responded, closes the keep-alive connection. In the embedded mode the
    service apps run inside the gateway's request, so a service's 500 dropped the client's
    connection to the gateway. Here the exception ends with the response. If the response had
    already started, nothing else can be said to the client: the exception goes on and the
    server closes the connection, the only signal left that the body is incomplete.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except Exception:
            if started:
                raise
            log.exception("unhandled error on %s %s", scope.get("method"), scope.get("path"))
            await problem_response(500, internal_problem(scope.get("path")))(scope, receive, send)


#: ``responses=`` fragment documenting the problem shape for the usual error codes.
PROBLEM_RESPONSES: dict[int | str, dict[str, Any]] = {
    code: {"model": Problem, "content": {PROBLEM_JSON: {}}, "description": _STATUS_SLUGS[code][1]}
    for code in (401, 403, 404, 422)
}
