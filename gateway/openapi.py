"""One OpenAPI document for the whole API: the services' documents merged, plus the gateway's.

Component names are namespaced per service (``registry.SatkerOut``), every ``$ref`` rewritten
accordingly, and operation ids prefixed with the service (``registry_satkers_get``), so two
services may use the same schema or function name. The services' own ``/healthz`` and
``/readyz`` are left out (the gateway answers those paths itself). The document is checked in
at ``docs/openapi.json``; ``kinerja openapi --write`` refreshes it and a test fails on drift.
"""

from __future__ import annotations

import importlib
import json
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from fastapi import FastAPI

REPO_ROOT = Path(__file__).resolve().parent.parent
CHECKED_IN = REPO_ROOT / "docs" / "openapi.json"
_SKIP_PATHS = {"/healthz", "/readyz"}


def _rename_refs(node: Any, prefix: str) -> Any:
    if isinstance(node, dict):
        out: dict[str, Any] = {}
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str) and value.startswith("#/components/schemas/"):
                out[key] = "#/components/schemas/" + prefix + value.rsplit("/", 1)[-1]
            else:
                out[key] = _rename_refs(value, prefix)
        return out
    if isinstance(node, list):
        return [_rename_refs(v, prefix) for v in node]
    return node


def merge(
    gateway_doc: Mapping[str, Any], service_docs: Mapping[str, Mapping[str, Any]], *, version: str
) -> dict[str, Any]:
    """Merge ``service_docs`` (service name → its OpenAPI document) into the gateway's document."""
    paths: dict[str, Any] = {}
    schemas: dict[str, Any] = {}
    security: dict[str, Any] = {}
    tags: list[dict[str, Any]] = []
    operation_ids: set[str] = set()

    def take(name: str | None, doc: Mapping[str, Any]) -> None:
        prefix = f"{name}." if name else ""
        doc = _rename_refs(doc, prefix)
        for path, item in doc.get("paths", {}).items():
            if name and path in _SKIP_PATHS:
                continue
            if path in paths:
                raise ValueError(f"path {path} is declared twice (service {name or 'gateway'})")
            for method, op in item.items():
                if not isinstance(op, dict) or "operationId" not in op:
                    continue
                if name:
                    op["operationId"] = f"{name}_{op['operationId']}"
                    op["tags"] = [f"{name}:{t}" for t in op.get("tags", [])] or [name]
                if op["operationId"] in operation_ids:
                    raise ValueError(f"operation id {op['operationId']} is not unique ({method.upper()} {path})")
                operation_ids.add(op["operationId"])
            paths[path] = item
        for schema_name, schema in doc.get("components", {}).get("schemas", {}).items():
            schemas[prefix + schema_name] = schema
        security.update(doc.get("components", {}).get("securitySchemes", {}))
        for tag in doc.get("tags", []):
            tags.append({**tag, "name": f"{name}:{tag['name']}" if name else tag["name"]})

    take(None, gateway_doc)
    for name in sorted(service_docs):
        take(name, service_docs[name])
    merged: dict[str, Any] = {
        "openapi": gateway_doc.get("openapi", "3.1.0"),
        "info": {
            "title": "kinerja API",
            "version": version,
            "description": "Performance management for DJBC offices. Every path is served by the gateway; "
            "`/api/v1/<service>/...` is forwarded to the service. Errors are RFC 9457 problem+json.",
        },
        "paths": dict(sorted(paths.items())),
    }
    components: dict[str, Any] = {}
    if schemas:
        components["schemas"] = dict(sorted(schemas.items()))
    if security:
        components["securitySchemes"] = security
    if components:
        merged["components"] = components
    if tags:
        merged["tags"] = tags
    return merged


def service_apps_for_docs(services: list[str]) -> dict[str, FastAPI]:
    """Service apps built only to read their routes (fixed settings: no secret file, no connection)."""
    from kernel.client import Peers
    from kernel.settings import AuthSettings, CommonSettings

    common = CommonSettings(environment="test", data_dir=Path(tempfile.gettempdir()) / "kinerja-openapi")
    auth = AuthSettings(secret="openapi-generation-only-not-a-real-secret-0123456789")
    apps: dict[str, FastAPI] = {}
    for name in services:
        module = importlib.import_module(f"services.{name}.app")
        apps[name] = module.create_app(None, common=common, auth=auth, peers=Peers())
    return apps


def build_document(gateway_app: FastAPI, service_apps: Mapping[str, FastAPI]) -> dict[str, Any]:
    from fastapi.openapi.utils import get_openapi

    gateway_doc = get_openapi(
        title=gateway_app.title,
        version=gateway_app.version,
        routes=gateway_app.routes,
    )
    return merge(gateway_doc, {n: a.openapi() for n, a in service_apps.items()}, version=gateway_app.version)


def render(doc: Mapping[str, Any]) -> str:
    return json.dumps(doc, indent=2, ensure_ascii=False, sort_keys=False) + "\n"
