"""NetSuite OAuth 2.0 machine-to-machine: a signed JWT assertion exchanged for a bearer token.

The client-credentials flow as NetSuite documents it: a JWT whose header names the algorithm
(PS256 or ES256) and, as `kid`, the certificate id NetSuite gave the uploaded public key; whose
claims are `iss` = the integration's client id, `scope` = `rest_webservices`, `aud` = the token
endpoint, `iat` and an `exp` under 60 minutes later; posted as `client_assertion` to
`/services/rest/auth/oauth2/v1/token`. The answer is an access token valid for `expires_in`
seconds (NetSuite: 3,600). Signing is PyJWT's (with `cryptography`), never ours.

`plan_*` and `assertion_claims` are pure; `M2MAuth` holds the one cached token per process and
is the only part that does IO.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

import httpx
import jwt
from pydantic import SecretStr

from cascade.shared.netsuite.transport import Method, TransportFailure

TOKEN_PATH = "/services/rest/auth/oauth2/v1/token"  # noqa: S105 - a URL path, not a secret
GRANT_TYPE = "client_credentials"
ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
Algorithm = Literal["PS256", "ES256"]
# NetSuite refuses an assertion whose exp is 60 minutes or more after its iat; it is used
# once, at once, so a short life costs nothing and limits what a leaked one is worth.
ASSERTION_LIFETIME_S = 300
# A token this close to its expiry is renewed before use: a request signed with it must
# still be valid when NetSuite reads it.
RENEW_MARGIN_S = 60.0


@dataclass(frozen=True)
class M2MCredentials:
    """An integration record's client id and the certificate mapped to it in NetSuite."""

    client_id: SecretStr
    certificate_id: str
    private_key: SecretStr  # PEM, the private half of the certificate NetSuite holds
    algorithm: Algorithm = "PS256"
    scope: str = "rest_webservices"


def token_url(base_url: str) -> str:
    """The account's token endpoint, which is also the assertion's audience."""
    return base_url.rstrip("/") + TOKEN_PATH


def assertion_claims(
    credentials: M2MCredentials, audience: str, now: float, jti: str
) -> dict[str, Any]:
    """The claims of one client assertion issued at `now`."""
    issued = int(now)
    return {
        "iss": credentials.client_id.get_secret_value(),
        "scope": credentials.scope,
        "aud": audience,
        "iat": issued,
        "exp": issued + ASSERTION_LIFETIME_S,
        # NetSuite refuses a replayed assertion; a fresh id makes every one unique.
        "jti": jti,
    }


def client_assertion(credentials: M2MCredentials, audience: str, now: float, jti: str) -> str:
    """The signed JWT for one token request."""
    return jwt.encode(
        assertion_claims(credentials, audience, now, jti),
        credentials.private_key.get_secret_value(),
        algorithm=credentials.algorithm,
        headers={"typ": "JWT", "kid": credentials.certificate_id},
    )


@dataclass(frozen=True)
class AccessToken:
    """A bearer token and the monotonic time after which it is not used any more."""

    value: SecretStr
    renew_at: float


def parse_token_answer(body: Any, received_at: float) -> AccessToken | None:
    """The token in a 200 answer, or None when the answer has no usable token."""
    if not isinstance(body, dict):
        return None
    token, expires_in = body.get("access_token"), body.get("expires_in")
    if not isinstance(token, str) or not token:
        return None
    if isinstance(expires_in, str) and expires_in.isdigit():
        expires_in = int(expires_in)
    if not isinstance(expires_in, int | float) or isinstance(expires_in, bool):
        return None
    lifetime = float(expires_in)
    return AccessToken(SecretStr(token), received_at + lifetime - RENEW_MARGIN_S)


def refusal(answer: httpx.Response) -> httpx.Response:
    """The token endpoint's non-200 answer as the record call's own. A 4xx means NetSuite
    will not take these credentials (unknown certificate, wrong scope, a clock far off), so
    it becomes a 401 that names the token endpoint and its `error`; 429 and 5xx stay as they
    are and are retried like any other."""
    if answer.status_code == 429 or answer.status_code >= 500:
        return answer
    try:
        body = answer.json()
    except ValueError:
        body = None
    error = body.get("error") if isinstance(body, dict) else None
    detail = (
        f"the token endpoint refused the client assertion with HTTP {answer.status_code}"
        + (f" ({error})" if isinstance(error, str) else "")
        + ": check the client id, the certificate id (kid), the key and the scope"
    )
    problem = {
        "title": "Unauthorized",
        "status": 401,
        "o:errorDetails": [{"detail": detail, "o:errorCode": "INVALID_LOGIN"}],
    }
    return httpx.Response(401, json=problem, request=answer.request)


class M2MAuth:
    """Bearer tokens for one account: fetched when first needed, reused until shortly before
    they expire, dropped once when NetSuite answers 401 to one of them.

    One instance per process, shared by every request, so concurrent requests wait for one
    token request instead of each making their own.
    """

    def __init__(
        self,
        credentials: M2MCredentials,
        base_url: str,
        timeout_s: float,
        *,
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        self._credentials = credentials
        self._url = token_url(base_url)
        self._timeout_s = timeout_s
        self._clock = clock
        self._wall_clock = wall_clock
        self._token: AccessToken | None = None
        self._lock = asyncio.Lock()

    async def authorization(
        self, http: httpx.AsyncClient, method: Method, url: str
    ) -> str | httpx.Response | TransportFailure:
        """`Bearer <token>`, or the token endpoint's refusal, or why it could not be reached."""
        token = await self._current(http)
        if not isinstance(token, AccessToken):
            return token
        return "Bearer " + token.value.get_secret_value()

    def rejected(self, authorization: str) -> bool:
        """NetSuite answered 401 to `authorization`: forget that token (another request may
        already have replaced it). True: one more try with a new token is worthwhile."""
        token = self._token
        if token is not None and authorization == "Bearer " + token.value.get_secret_value():
            self._token = None
        return True

    async def _current(
        self, http: httpx.AsyncClient
    ) -> AccessToken | httpx.Response | TransportFailure:
        token = self._token
        if token is not None and self._clock() < token.renew_at:
            return token
        async with self._lock:
            token = self._token
            if token is not None and self._clock() < token.renew_at:
                return token
            fetched = await self._fetch(http)
            if isinstance(fetched, AccessToken):
                self._token = fetched
            return fetched

    async def _fetch(
        self, http: httpx.AsyncClient
    ) -> AccessToken | httpx.Response | TransportFailure:
        assertion = client_assertion(
            self._credentials, self._url, self._wall_clock(), uuid.uuid4().hex
        )
        form = {
            "grant_type": GRANT_TYPE,
            "client_assertion_type": ASSERTION_TYPE,
            "client_assertion": assertion,
        }
        sent_at = self._clock()
        try:
            async with asyncio.timeout(self._timeout_s):
                answer = await http.post(
                    self._url, data=form, headers={"Accept": "application/json"}
                )
        except (TimeoutError, httpx.TimeoutException):
            error = f"the NetSuite token endpoint did not answer within {self._timeout_s:g}s"
            return TransportFailure(error, timed_out=True)
        except httpx.HTTPError as exc:
            error = f"the NetSuite token request failed: {type(exc).__name__}: {exc}"
            return TransportFailure(error, timed_out=False)
        if answer.status_code != 200:
            return refusal(answer)
        try:
            body = answer.json()
        except ValueError:
            body = None
        # The token's life is counted from when it was asked for: never longer than NetSuite's.
        token = parse_token_answer(body, sent_at)
        if token is None:
            return TransportFailure(
                "the NetSuite token endpoint answered 200 without a token", False
            )
        return token
