"""The simulator's token endpoint checks what NetSuite checks of a client assertion."""

from __future__ import annotations

import time
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from cascade.netsuite_sim.oauth2 import (
    ASSERTION_TYPE,
    GRANT_TYPE,
    Issued,
    M2MClient,
    M2MIssuer,
    TokenRefusal,
)

TOKEN_URL = "http://127.0.0.1:8009/services/rest/auth/oauth2/v1/token"
KEY = ec.generate_private_key(ec.SECP256R1())
OTHER_KEY = ec.generate_private_key(ec.SECP256R1())
RSA_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)


def public(key: Any) -> str:
    return (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )


def issuer(clock: list[float] | None = None, ttl: int = 3600) -> M2MIssuer:
    ticks = clock or [time.time()]
    return M2MIssuer(M2MClient("client-1", "cert-1", public(KEY)), ttl, lambda: ticks[0])


def assertion(key: Any = KEY, alg: str = "ES256", kid: str = "cert-1", **claims: Any) -> str:
    now = int(time.time())
    body = {
        "iss": "client-1",
        "scope": "rest_webservices",
        "aud": TOKEN_URL,
        "iat": now,
        "exp": now + 300,
        "jti": f"j-{time.monotonic_ns()}",
    } | claims
    return jwt.encode(body, key, algorithm=alg, headers={"kid": kid, "typ": "JWT"})


def form(signed: str, **fields: str) -> dict[str, str]:
    return {
        "grant_type": GRANT_TYPE,
        "client_assertion_type": ASSERTION_TYPE,
        "client_assertion": signed,
    } | fields


def test_a_good_assertion_gets_a_token_the_rest_routes_accept() -> None:
    sim = issuer()
    answer = sim.exchange(form(assertion()), TOKEN_URL)
    assert isinstance(answer, Issued)
    assert answer.expires_in == 3600
    assert sim.verify_bearer(answer.access_token).ok
    assert not sim.verify_bearer("made-up").ok


def test_a_ps256_assertion_verifies_too() -> None:
    sim = M2MIssuer(M2MClient("client-1", "cert-1", public(RSA_KEY)))
    assert isinstance(sim.exchange(form(assertion(RSA_KEY, "PS256")), TOKEN_URL), Issued)


def later(seconds: int) -> int:
    return int(time.time()) + seconds


# Each case builds its assertion when it runs (an assertion made at collection would have
# expired by the time a slow suite reaches it).
BAD = {
    "signed by another key": (
        lambda: {"client_assertion": assertion(OTHER_KEY)},
        "invalid_grant",
        "does not verify",
    ),
    "unknown kid": (lambda: {"client_assertion": assertion(kid="cert-9")}, "invalid_client", "kid"),
    "no rest scope": (
        lambda: {"client_assertion": assertion(scope="restlets")},
        "invalid_scope",
        "scope",
    ),
    "another issuer": (
        lambda: {"client_assertion": assertion(iss="client-2")},
        "invalid_client",
        "iss",
    ),
    "another audience": (
        lambda: {"client_assertion": assertion(aud="https://x/token")},
        "invalid_grant",
        "aud",
    ),
    "expired": (
        lambda: {"client_assertion": assertion(exp=later(-120))},
        "invalid_grant",
        "expired",
    ),
    "an hour long": (
        lambda: {"client_assertion": assertion(exp=later(3600))},
        "invalid_grant",
        "60 minutes",
    ),
    "RS256": (
        lambda: {"client_assertion": assertion(RSA_KEY, "RS256")},
        "invalid_grant",
        "does not verify",
    ),
    "not a JWT": (lambda: {"client_assertion": "not-a-jwt"}, "invalid_request", "not a JWT"),
    "password grant": (lambda: {"grant_type": "password"}, "unsupported_grant_type", "grant_type"),
    "other assertion type": (
        lambda: {"client_assertion_type": "x"},
        "invalid_request",
        "client_assertion_type",
    ),
}


@pytest.mark.parametrize("case", list(BAD))
def test_each_bad_assertion_is_refused_with_its_reason(case: str) -> None:
    fields, error, reason = BAD[case]
    answer = issuer().exchange(form(assertion()) | fields(), TOKEN_URL)
    assert isinstance(answer, TokenRefusal)
    assert answer.error == error
    assert reason in answer.reason


def test_an_assertion_is_good_once() -> None:
    sim, signed = issuer(), assertion()
    assert isinstance(sim.exchange(form(signed), TOKEN_URL), Issued)
    replay = sim.exchange(form(signed), TOKEN_URL)
    assert isinstance(replay, TokenRefusal)
    assert "already used" in replay.reason


def test_tokens_expire_after_their_life_and_on_demand() -> None:
    clock = [time.time()]
    sim = issuer(clock, ttl=60)
    first = sim.exchange(form(assertion()), TOKEN_URL)
    assert isinstance(first, Issued)
    clock[0] += 61
    assert sim.verify_bearer(first.access_token).reason == "the bearer token has expired"
    second = sim.exchange(form(assertion()), TOKEN_URL)
    assert isinstance(second, Issued)
    assert sim.verify_bearer(second.access_token).ok
    assert sim.expire_all() == 1
    assert not sim.verify_bearer(second.access_token).ok


def test_without_a_public_key_nothing_is_issued() -> None:
    sim = M2MIssuer(None)
    answer = sim.exchange(form(assertion()), TOKEN_URL)
    assert isinstance(answer, TokenRefusal)
    assert answer.error == "invalid_client"
    assert not sim.verify_bearer("anything").ok
