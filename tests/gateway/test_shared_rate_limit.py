"""Two gateway processes on loopback with one Redis hold one budget per caller (ADR 0006).

The Kubernetes manifests run 2-10 gateway replicas behind one Service: with a budget kept in each
process a caller would get N times its budget. Here two real ``kinerja serve gateway`` processes
share the local Redis; a stand-in service (tests/gateway/echo_app.py) answers behind them.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack

import httpx
import pytest

from runner.processes import Served, served
from tests.conftest import TEST_SECRET, Mint, bearer
from tests.support.redis import redis_url, unique

pytestmark = pytest.mark.slow

BURST = 5


@pytest.fixture(scope="module")
def gateways(tmp_path_factory: pytest.TempPathFactory) -> Iterator[list[Served]]:
    data = tmp_path_factory.mktemp("shared-limit")
    env = {"KINERJA_AUTH_SECRET": TEST_SECRET, "KINERJA_ENVIRONMENT": "test", "KINERJA_DATA_DIR": str(data)}
    with ExitStack() as stack:
        echo = stack.enter_context(served("echo", {}, app="tests.gateway.echo_app:app"))
        limits = {
            "KINERJA_GATEWAY_EVIDENCE_URL": echo.url,
            "KINERJA_GATEWAY_RATE_LIMIT_PER_SECOND": "0.05",  # a window of 100 s: nothing refills meanwhile
            "KINERJA_GATEWAY_RATE_LIMIT_BURST": str(BURST),
            "KINERJA_GATEWAY_RATE_LIMIT_STORAGE": redis_url(),
        }
        yield [stack.enter_context(served("gateway", env | limits)) for _ in range(2)]


def test_one_callers_budget_is_shared_by_two_gateway_processes(gateways: list[Served], mint: Mint) -> None:
    token = bearer(mint("viewer", "WBC.16", sub=unique("two-replicas")))
    codes = [
        httpx.get(gateways[i % 2].url + "/api/v1/evidence/headers", headers=token, timeout=10).status_code
        for i in range(2 * BURST)
    ]
    # alternating between the replicas: BURST requests in all, not BURST per replica
    assert codes == [200] * BURST + [429] * BURST
    fresh = bearer(mint("viewer", "WBC.16", sub=unique("another-caller")))
    assert httpx.get(gateways[1].url + "/api/v1/evidence/headers", headers=fresh, timeout=10).status_code == 200
