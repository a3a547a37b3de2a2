"""A real uvicorn server on a loopback port, in the test's event loop.

Why not ``httpx.ASGITransport``: it runs the app to its very end before it hands the response
to the client, so it cannot see work an app does *after* it sent the response (a commit in the
exit of a request-scoped dependency) nor what a server does with a connection after an error.
Over a real socket the client gets the response the moment the server writes it, exactly as in
production. Same server options as ``kinerja serve`` where they matter (httptools, keep-alive).
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import uvicorn
from starlette.types import ASGIApp


@asynccontextmanager
async def serve(app: ASGIApp, *, lifespan: str = "on") -> AsyncIterator[str]:
    """Serve ``app`` on ``127.0.0.1:<free port>`` until the block ends; yields the base URL."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(
        app,
        http="httptools",
        lifespan=lifespan,  # type: ignore[arg-type]
        access_log=False,
        log_config=None,
        timeout_keep_alive=30,
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        while not server.started:
            if task.done():  # start-up failed: raise its error here
                task.result()
                raise RuntimeError("uvicorn stopped during start-up")
            await asyncio.sleep(0.01)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task
        sock.close()
