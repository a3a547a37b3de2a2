"""Bearer-token authentication and hierarchical authorisation primitives.

A token carries ``sub`` (who), ``role`` and ``satker`` (the organisation code the person belongs
to). Authorisation follows the satker tree: everybody reads their own satker and the satker
under it; who may change what is decided by :func:`ensure_allowed`. Services pass the *path*
of the satker a request touches (root ... satker, as the registry returns it), so this module
needs no knowledge of the tree itself.
"""

from __future__ import annotations

import re
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Annotated, Any

import jwt
from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from kernel.errors import Forbidden, Unauthorized

#: longest ``sub`` accepted: OIDC subjects are opaque strings, usually far shorter; every column
#: that records who did something holds this many characters (registry 0003, evidence 0002)
MAX_SUBJECT_LENGTH = 255
#: a ``satker`` claim is an org code (kernel.params.CodePath): up to 32 letters, digits, ``._-``
SATKER_CLAIM = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,31}")
#: what the caller is told for each way a token can fail; PyJWT's own messages are not echoed
#: (they quote the token's content back and change between PyJWT versions)
_JWT_ERRORS: tuple[tuple[type[jwt.PyJWTError], str], ...] = (
    (jwt.ExpiredSignatureError, "token expired"),
    (jwt.ImmatureSignatureError, "invalid token: not yet valid"),
    (jwt.InvalidAudienceError, "invalid token: wrong audience"),
    (jwt.InvalidIssuerError, "invalid token: wrong issuer"),
    (
        jwt.exceptions.InvalidSubjectError,
        f"invalid token: sub must be a string of 1 to {MAX_SUBJECT_LENGTH} characters",
    ),
    (jwt.exceptions.InvalidIssuedAtError, "invalid token: iat must be an integer NumericDate"),
    (jwt.InvalidSignatureError, "invalid token: bad signature"),
    (jwt.InvalidAlgorithmError, "invalid token: algorithm not allowed"),
    (jwt.PyJWKClientError, "invalid token: no matching signing key"),
    (jwt.DecodeError, "invalid token: malformed"),
)


class Role(StrEnum):
    ADMIN = "admin"
    KANWIL_MANAGER = "kanwil_manager"
    SATKER_OPERATOR = "satker_operator"
    REVIEWER = "reviewer"
    VIEWER = "viewer"
    SERVICE = "service"


class Action(StrEnum):
    READ = "read"
    WRITE = "write"  # enter targets, measures, upload evidence
    REVIEW = "review"  # verify / reject evidence
    MANAGE = "manage"  # agreements, satker tree, rule sets, reopening closed periods and submissions
    EVALUATE = "evaluate"  # the national level of a Zona Integritas evaluation (ADR 0015)
    SUBMIT = "submit"  # declare a period's measures and evidence complete (reporting cycle, ADR 0020)
    VALIDATE = "validate"  # validate or return a submission of a satker under the reviewer (ADR 0020)
    PUBLISH = "publish"  # publish a Kanwil's NKO with its SKEP; set the Kanwil's own calendar (ADR 0020)


#: Who may do what, and how far down the tree. "subtree": own satker and everything under it;
#: "own": own satker only; "all": everywhere. Missing = never.
POLICY: dict[Role, dict[Action, str]] = {
    Role.ADMIN: {
        Action.READ: "all",
        Action.WRITE: "all",
        Action.REVIEW: "all",
        Action.MANAGE: "all",
        Action.EVALUATE: "all",
        Action.SUBMIT: "all",
        Action.VALIDATE: "all",
        Action.PUBLISH: "all",
    },
    Role.SERVICE: {Action.READ: "all", Action.WRITE: "all", Action.EVALUATE: "all"},
    Role.KANWIL_MANAGER: {Action.READ: "subtree", Action.WRITE: "subtree", Action.PUBLISH: "subtree"},
    Role.SATKER_OPERATOR: {Action.READ: "own", Action.WRITE: "own", Action.SUBMIT: "own"},
    Role.REVIEWER: {Action.READ: "subtree", Action.REVIEW: "subtree", Action.VALIDATE: "subtree"},
    Role.VIEWER: {Action.READ: "subtree"},
}


@dataclass(frozen=True)
class Principal:
    subject: str
    role: Role
    satker: str | None
    scopes: frozenset[str] = field(default_factory=frozenset)
    token: str = ""  # the raw bearer token, forwarded on service-to-service calls

    def reach(self, action: Action) -> str | None:
        return POLICY[self.role].get(action)

    def allows(self, action: Action, satker_path: Sequence[str]) -> bool:
        """Whether this principal may perform ``action`` on the satker at the end of ``satker_path``."""
        reach = self.reach(action)
        if reach is None:
            return False
        if reach == "all":
            if self.role is Role.SERVICE:
                # a service account may do exactly what its scopes say: none, nothing (fail closed)
                return action.value in self.scopes or "*" in self.scopes
            return not self.scopes or action.value in self.scopes or "*" in self.scopes
        if not self.satker or not satker_path:
            return False
        if reach == "own":
            return satker_path[-1] == self.satker
        return self.satker in satker_path


def ensure_allowed(principal: Principal, action: Action, satker_path: Sequence[str]) -> None:
    if not principal.allows(action, satker_path):
        target = satker_path[-1] if satker_path else "(system)"
        raise Forbidden(
            f"role {principal.role.value} of satker {principal.satker or '-'} may not {action.value} {target}"
        )


def reads_everything(principal: Principal) -> bool:
    """Admin and read-scoped service accounts: callers for whom no satker is out of reach."""
    return principal.reach(Action.READ) == "all" and principal.allows(Action.READ, ["-"])


def unseen(principal: Principal, what: str) -> Forbidden:
    """The one answer for what does not exist *and* for what exists outside the caller's reach.

    A 404 for the one and a 403 for the other told a caller which foreign satker and documents
    exist. Both answer this 403 (the status a refusal had already, README "Authentication and
    roles"), word for word the same; only callers who read everything get 404s.
    """
    return Forbidden(
        f"{what} does not exist or lies outside what role {principal.role.value} "
        f"of satker {principal.satker or '-'} may read"
    )


class TokenVerifier:
    """Verifies bearer tokens: HS256 with a local secret, or an OIDC provider's JWKS.

    Verified tokens are remembered for a short while (:attr:`CACHE_SECONDS`): a client sends the
    same token with every request for hours, and in embedded mode each hop (gateway → scoring →
    registry) verifies the same token again. Verifying (base64, JSON, HMAC or RSA, claims) costs
    tens of microseconds a time, a lookup nothing. The answer is the same: a remembered token is
    still checked against its ``exp`` (with the leeway) on every use, exactly as ``jwt.decode``
    would; its other checks (signature, ``iss``, ``aud``, ``nbf``, ``iat``, role) cannot turn
    from pass to fail as time goes by. Only tokens that passed are remembered (a forged or
    expired token is never a hit), and an entry lives at most ``CACHE_SECONDS``, so a signing
    key withdrawn from the JWKS stops being honoured after about as long as PyJWKClient's own
    cache of the key set already takes.
    """

    #: how long a verified token is remembered at most (seconds)
    CACHE_SECONDS = 60.0
    #: how many verified tokens are remembered (oldest dropped first)
    CACHE_SIZE = 4096

    def __init__(
        self,
        *,
        secret: str | None,
        jwks_url: str | None = None,
        issuer: str = "kinerja",
        audience: str = "kinerja",
        algorithms: Sequence[str] = ("RS256", "ES256"),
        leeway: int = 30,
        max_lifetime: int = 24 * 3600,
    ) -> None:
        if not secret and not jwks_url:
            raise ValueError("a token verifier needs a secret or a JWKS URL")
        self._secret = secret
        self._jwks = jwt.PyJWKClient(jwks_url, cache_keys=True) if jwks_url else None
        self._issuer = issuer
        self._audience = audience
        self._algorithms = list(algorithms)
        self._leeway = leeway
        self._max_lifetime = max_lifetime
        # token -> (principal, its exp claim, remembered until); insertion order = age
        self._verified: dict[str, tuple[Principal, float, float]] = {}

    def mint(
        self,
        *,
        subject: str,
        role: Role | str,
        satker: str | None = None,
        ttl_seconds: int = 8 * 3600,
        scopes: Sequence[str] = (),
    ) -> str:
        """Sign a token with the local secret (embedded mode, tests and the ``kinerja token`` CLI)."""
        if not self._secret:
            raise RuntimeError("tokens are issued by the OIDC provider in this deployment")
        if ttl_seconds > self._max_lifetime:
            raise ValueError(f"a token may live at most {self._max_lifetime} seconds (max_token_lifetime_seconds)")
        now = int(time.time())
        claims: dict[str, Any] = {
            "sub": subject,
            "role": Role(role).value,
            "iss": self._issuer,
            "aud": self._audience,
            "iat": now,
            "exp": now + ttl_seconds,
        }
        if satker:
            claims["satker"] = satker
        if scopes:
            claims["scope"] = " ".join(scopes)
        return jwt.encode(claims, self._secret, algorithm="HS256")

    def verify(self, token: str) -> Principal:
        now = time.time()
        hit = self._verified.get(token)
        if hit is not None:
            principal, exp, until = hit
            if now < until and exp > now - self._leeway:  # jwt.decode: expired iff exp <= now - leeway
                return principal
            del self._verified[token]  # stale or expired: verify again (and answer as it answers)
        principal, exp = self._verify(token)
        if len(self._verified) >= self.CACHE_SIZE:
            del self._verified[next(iter(self._verified))]
        self._verified[token] = (principal, exp, now + self.CACHE_SECONDS)
        return principal

    def _verify(self, token: str) -> tuple[Principal, float]:
        """Full verification: the principal and the token's ``exp``."""
        try:
            if self._jwks is not None:
                key: Any = self._jwks.get_signing_key_from_jwt(token).key
                algorithms = self._algorithms
            else:
                key, algorithms = self._secret, ["HS256"]
            claims = jwt.decode(
                token,
                key,
                algorithms=algorithms,
                audience=self._audience,
                issuer=self._issuer,
                leeway=self._leeway,
                options={"require": ["sub", "exp", "iss", "aud"]},
            )
        except jwt.MissingRequiredClaimError as exc:
            raise Unauthorized(f"invalid token: claim {exc.claim} missing") from exc
        except jwt.PyJWTError as exc:
            reason = next((text for kind, text in _JWT_ERRORS if isinstance(exc, kind)), "invalid token")
            raise Unauthorized(reason) from exc
        exp = self._check_times(claims)
        sub = claims["sub"]
        if not isinstance(sub, str) or not 1 <= len(sub) <= MAX_SUBJECT_LENGTH:
            raise Unauthorized(f"invalid token: sub must be a string of 1 to {MAX_SUBJECT_LENGTH} characters")
        try:
            role = Role(claims.get("role", ""))
        except (ValueError, TypeError) as exc:
            raise Unauthorized("invalid token: unknown role") from exc
        satker = claims.get("satker")
        if satker is not None and (not isinstance(satker, str) or not SATKER_CLAIM.fullmatch(satker)):
            raise Unauthorized("invalid token: satker must be an org code (up to 32 letters, digits, '.', '_', '-')")
        if role not in (Role.ADMIN, Role.SERVICE) and not satker:
            raise Unauthorized(f"invalid token: role {role.value} needs a satker claim")
        scope = claims.get("scope", "")
        if not isinstance(scope, str):
            raise Unauthorized("invalid token: scope must be a space-separated string")
        principal = Principal(subject=sub, role=role, satker=satker, scopes=frozenset(scope.split()), token=token)
        return principal, exp

    def _check_times(self, claims: dict[str, Any]) -> int:
        """``exp`` (and ``iat``/``nbf`` when present) must be integer NumericDates (PyJWT itself
        accepts ``"exp": "1999999999"``), and a token may not live longer than the configured
        maximum: a stolen token with a ten-year ``exp`` would otherwise stay valid for ten years."""
        for name in ("exp", "iat", "nbf"):
            value = claims.get(name)
            if name in claims and (not isinstance(value, int) or isinstance(value, bool)):
                raise Unauthorized(f"invalid token: {name} must be an integer NumericDate")
        exp: int = claims["exp"]
        now = time.time()
        if exp - now > self._max_lifetime + self._leeway:
            raise Unauthorized(f"invalid token: lifetime exceeds {self._max_lifetime} seconds")
        iat = claims.get("iat")
        if iat is not None and exp - iat > self._max_lifetime:
            raise Unauthorized(f"invalid token: lifetime exceeds {self._max_lifetime} seconds")
        return exp


_bearer = HTTPBearer(auto_error=False, description="JWT issued by kinerja (embedded) or the OIDC provider")


async def current_principal(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    """FastAPI dependency: the authenticated caller (401 without a valid bearer token)."""
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise Unauthorized("missing bearer token")
    verifier: TokenVerifier = request.app.state.token_verifier
    principal = verifier.verify(credentials.credentials)
    request.state.principal = principal
    return principal


PrincipalDep = Annotated[Principal, Depends(current_principal)]
