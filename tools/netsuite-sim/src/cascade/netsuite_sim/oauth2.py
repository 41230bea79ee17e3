"""NetSuite's OAuth 2.0 client-credentials (M2M) token endpoint, and its bearer tokens.

The checks NetSuite documents for the client assertion: `grant_type=client_credentials`, the
JWT-bearer assertion type, a `kid` naming a mapped certificate, a PS256/ES256 signature by
that certificate's key, `iss` = the integration's client id, `aud` = the token endpoint,
`scope` including `rest_webservices`, an unexpired `exp` less than 60 minutes after `iat`,
and an assertion never used twice. Verification is PyJWT's (with `cryptography`); the
client's signing shares no code of ours with it.

Errors answer as an OAuth 2.0 token endpoint does (RFC 6749 5.2): 400 with `error`
(`invalid_request`, `unsupported_grant_type`, `invalid_client`, `invalid_grant`,
`invalid_scope`); the reason goes only to the simulator's request log.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import jwt

from cascade.netsuite_sim.auth import AuthResult

GRANT_TYPE = "client_credentials"
ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
ALGORITHMS = ["PS256", "ES256"]
MAX_ASSERTION_LIFE_S = 3600
# A little clock difference between client and NetSuite is tolerated on iat/exp.
LEEWAY_S = 30


@dataclass(frozen=True)
class M2MClient:
    """The integration record (client id) and the certificate mapped to it."""

    client_id: str
    certificate_id: str
    public_key: str  # PEM


@dataclass(frozen=True)
class TokenRefusal:
    """Why the endpoint refused: the OAuth `error` code, and a reason for the log."""

    error: str
    reason: str


@dataclass(frozen=True)
class Issued:
    """A bearer token handed out, and its life in seconds."""

    access_token: str
    expires_in: int


@dataclass
class M2MIssuer:
    """Exchanges client assertions for bearer tokens and checks the tokens on REST calls."""

    client: M2MClient | None
    token_ttl_s: int = 3600
    clock: Callable[[], float] = time.time
    _tokens: dict[str, float] = field(default_factory=dict)
    _assertions: dict[str, float] = field(default_factory=dict)

    def exchange(self, form: Mapping[str, str], token_url: str) -> Issued | TokenRefusal:
        """Answer one POST to the token endpoint (its form fields, the URL it was sent to)."""
        if form.get("grant_type") != GRANT_TYPE:
            return TokenRefusal("unsupported_grant_type", "grant_type is not client_credentials")
        if form.get("client_assertion_type") != ASSERTION_TYPE:
            return TokenRefusal("invalid_request", "client_assertion_type is not jwt-bearer")
        assertion = form.get("client_assertion") or ""
        checked = self._check_assertion(assertion, token_url)
        if isinstance(checked, TokenRefusal):
            return checked
        now = self.clock()
        self._forget_expired(now)
        token = secrets.token_urlsafe(32)
        self._tokens[token] = now + self.token_ttl_s
        return Issued(token, self.token_ttl_s)

    def verify_bearer(self, token: str) -> AuthResult:
        """A REST call's bearer token: issued here and not expired."""
        if self.client is None:
            return AuthResult(False, "OAuth 2.0 is not set up (no public key)")
        expires = self._tokens.get(token)
        if expires is None:
            return AuthResult(False, "unknown bearer token")
        if self.clock() >= expires:
            return AuthResult(False, "the bearer token has expired")
        return AuthResult(True)

    def expire_all(self) -> int:
        """Expire every token handed out (test API: what an hour's wait does); how many."""
        self._tokens = dict.fromkeys(self._tokens, 0.0)
        return len(self._tokens)

    def _check_assertion(self, assertion: str, token_url: str) -> TokenRefusal | None:
        if self.client is None:
            return TokenRefusal("invalid_client", "no certificate is mapped (no public key set)")
        try:
            header = jwt.get_unverified_header(assertion)
        except jwt.InvalidTokenError:
            return TokenRefusal("invalid_request", "client_assertion is not a JWT")
        if header.get("kid") != self.client.certificate_id:
            return TokenRefusal("invalid_client", "kid names no mapped certificate")
        try:
            claims = jwt.decode(
                assertion,
                self.client.public_key,
                algorithms=ALGORITHMS,
                audience=token_url,
                issuer=self.client.client_id,
                leeway=LEEWAY_S,
                options={"require": ["iss", "aud", "exp", "iat", "scope"]},
            )
        except jwt.ExpiredSignatureError:
            return TokenRefusal("invalid_grant", "the assertion has expired")
        except jwt.InvalidAudienceError:
            return TokenRefusal("invalid_grant", "aud is not the token endpoint")
        except jwt.InvalidIssuerError:
            return TokenRefusal("invalid_client", "iss is not the integration's client id")
        except jwt.InvalidTokenError as exc:
            return TokenRefusal("invalid_grant", f"the assertion does not verify: {exc}")
        return self._check_claims(claims)

    def _check_claims(self, claims: Mapping[str, object]) -> TokenRefusal | None:
        iat, exp = claims["iat"], claims["exp"]
        if not isinstance(iat, int | float) or not isinstance(exp, int | float):
            return TokenRefusal("invalid_request", "iat and exp must be numbers")
        if exp - iat >= MAX_ASSERTION_LIFE_S:
            return TokenRefusal("invalid_grant", "exp is 60 minutes or more after iat")
        scope = claims["scope"]
        scopes = scope if isinstance(scope, list) else str(scope).split(",")
        if "rest_webservices" not in {str(s).strip() for s in scopes}:
            return TokenRefusal("invalid_scope", "scope does not include rest_webservices")
        # An assertion is good once: the same signed JWT again is a replay (keyed by its
        # jti when it has one, else by the whole assertion's claims).
        key = str(claims.get("jti") or sorted(claims.items()))
        now = self.clock()
        self._forget_expired(now)
        if key in self._assertions:
            return TokenRefusal("invalid_grant", "the assertion was already used")
        self._assertions[key] = float(exp) + LEEWAY_S
        return None

    def _forget_expired(self, now: float) -> None:
        self._tokens = {t: e for t, e in self._tokens.items() if e > now}
        self._assertions = {a: e for a, e in self._assertions.items() if e > now}
