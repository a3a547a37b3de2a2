"""``/openapi.json``, ``/docs`` (Swagger UI) and ``/redoc`` of the whole API, without internet.

The document is the merged one (gateway/openapi.py), built once on first request. The UI's
JavaScript and CSS are served by the gateway itself from the installed ``fastapi-offline``
package (kernel.app.add_offline_docs): an intranet browser loads nothing from outside.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import JSONResponse

from gateway.openapi import build_document, service_apps_for_docs
from gateway.settings import SERVICES
from kernel.app import add_offline_docs

router = APIRouter()


@router.get("/openapi.json", include_in_schema=False)
async def openapi_json(request: Request) -> JSONResponse:
    app: FastAPI = request.app
    cache: dict[str, Any] = app.state.openapi_cache
    if "doc" not in cache:
        apps = app.state.service_apps or service_apps_for_docs(list(SERVICES))
        cache["doc"] = build_document(app, apps)
    return JSONResponse(cache["doc"])


def add_docs(app: FastAPI) -> None:
    app.state.openapi_cache = {}
    app.include_router(router)
    add_offline_docs(app, openapi_url="/openapi.json", docs_url="/docs", redoc_url="/redoc", title="kinerja API")
