"""Production tokens: RS256 tokens of an OpenID Connect provider, verified through its JWKS URL.

A real HTTP server on loopback serves the provider's key set; nothing is mocked.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from kernel.auth import Role, TokenVerifier
from kernel.errors import Unauthorized


def _key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="module")
def provider() -> Iterator[tuple[str, rsa.RSAPrivateKey]]:
    key = _key()
    jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key()))
    jwk.update(kid="k1", use="sig", alg="RS256")
    body = json.dumps({"keys": [jwk]}).encode()

    class JWKS(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (http.server's name)
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), JWKS)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/.well-known/jwks.json", key
    finally:
        server.shutdown()
        server.server_close()


def _token(key: rsa.RSAPrivateKey, kid: str = "k1", **claims: Any) -> str:
    now = int(time.time())
    base = {"sub": "sari", "role": "reviewer", "satker": "WBC.16", "iss": "kinerja", "aud": "kinerja",
            "iat": now, "exp": now + 600}  # fmt: skip
    return jwt.encode(base | claims, key, algorithm="RS256", headers={"kid": kid})


def test_provider_token_is_accepted(provider: tuple[str, rsa.RSAPrivateKey]) -> None:
    url, key = provider
    p = TokenVerifier(secret=None, jwks_url=url).verify(_token(key))
    assert (p.subject, p.role, p.satker) == ("sari", Role.REVIEWER, "WBC.16")


def test_token_signed_by_another_key_is_refused(provider: tuple[str, rsa.RSAPrivateKey]) -> None:
    url, _ = provider
    with pytest.raises(Unauthorized):
        TokenVerifier(secret=None, jwks_url=url).verify(_token(_key()))


def test_wrong_audience_and_hs256_downgrade_are_refused(provider: tuple[str, rsa.RSAPrivateKey]) -> None:
    url, key = provider
    verifier = TokenVerifier(secret=None, jwks_url=url)
    with pytest.raises(Unauthorized):
        verifier.verify(_token(key, aud="another-app"))
    forged = jwt.encode({"sub": "x", "role": "admin", "iss": "kinerja", "aud": "kinerja",
                         "exp": int(time.time()) + 60}, "guessed-secret-0123456789abcdef0123456789",
                        algorithm="HS256", headers={"kid": "k1"})  # fmt: skip
    with pytest.raises(Unauthorized):
        verifier.verify(forged)


def test_a_verifier_of_provider_tokens_cannot_mint(provider: tuple[str, rsa.RSAPrivateKey]) -> None:
    url, _ = provider
    with pytest.raises(RuntimeError):
        TokenVerifier(secret=None, jwks_url=url).mint(subject="x", role="admin")
