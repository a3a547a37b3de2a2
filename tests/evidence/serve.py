"""The evidence app as a real server process (``uvicorn --factory tests.evidence.serve:app``).

Used by the crash tests and the benchmark: settings come from the environment
(``KINERJA_EVIDENCE_*``, ``KINERJA_*``); the registry is the in-process stub, so the process
needs nothing but PostgreSQL (or SQLite), its storage and clamd.
"""

from __future__ import annotations

from fastapi import FastAPI

from kernel.client import Peers, ServiceClient
from services.evidence.app import create_app
from tests.evidence.support import RegistryStub


def app() -> FastAPI:
    peers = Peers()
    peers.add(ServiceClient("registry", app=RegistryStub().app()))
    return create_app(peers=peers)
