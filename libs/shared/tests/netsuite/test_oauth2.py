"""OAuth 2.0 M2M on the client side: the assertion NetSuite expects, and the token cache."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from pydantic import SecretStr

from cascade.shared.netsuite.auth import (
    TBA_PREFIX,
    NetSuiteAuthError,
    credentials_from,
    m2m_credentials,
    request_auth,
)
from cascade.shared.netsuite.oauth import TbaAuth, TbaCredentials
from cascade.shared.netsuite.oauth2 import (
    ASSERTION_TYPE,
    M2MAuth,
    M2MCredentials,
    client_assertion,
    parse_token_answer,
    token_url,
)
from cascade.shared.netsuite.rest import SuiteTalkRest
from cascade.shared.settings import Settings

BASE = "https://1234567-sb1.suitetalk.api.netsuite.com"
TOKEN_URL = BASE + "/services/rest/auth/oauth2/v1/token"


def pem(key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey) -> str:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()


def public_pem(key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey) -> str:
    return (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )


RSA_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
EC_KEY = ec.generate_private_key(ec.SECP256R1())


def credentials(algorithm: str = "PS256") -> M2MCredentials:
    key = RSA_KEY if algorithm == "PS256" else EC_KEY
    return M2MCredentials(
        client_id=SecretStr("client-123"),
        certificate_id="cert-abc",
        private_key=SecretStr(pem(key)),
        algorithm=algorithm,  # type: ignore[arg-type]
    )


def test_token_url_is_the_accounts_endpoint() -> None:
    assert token_url(BASE + "/") == TOKEN_URL


@pytest.mark.parametrize("algorithm", ["PS256", "ES256"])
def test_the_assertion_has_netsuites_header_and_claims(algorithm: str) -> None:
    key = RSA_KEY if algorithm == "PS256" else EC_KEY
    assertion = client_assertion(credentials(algorithm), TOKEN_URL, 1_800_000_000.0, "j-1")
    header = jwt.get_unverified_header(assertion)
    assert header == {"alg": algorithm, "typ": "JWT", "kid": "cert-abc"}
    claims = jwt.decode(
        assertion,
        public_pem(key),
        algorithms=[algorithm],
        audience=TOKEN_URL,
        options={"verify_exp": False, "verify_iat": False},
    )
    assert claims["iss"] == "client-123"
    assert claims["scope"] == "rest_webservices"
    assert claims["iat"] == 1_800_000_000
    # NetSuite refuses exp 60 minutes or more after iat.
    assert 0 < claims["exp"] - claims["iat"] < 3600
    assert claims["jti"] == "j-1"


def test_a_token_answer_without_a_token_or_a_lifetime_is_refused() -> None:
    assert parse_token_answer({"access_token": "t", "expires_in": 3600}, 10.0) is not None
    assert parse_token_answer({"access_token": "t", "expires_in": "3600"}, 10.0) is not None
    assert parse_token_answer({"access_token": "", "expires_in": 3600}, 10.0) is None
    assert parse_token_answer({"access_token": "t"}, 10.0) is None
    assert parse_token_answer({"access_token": "t", "expires_in": True}, 10.0) is None
    assert parse_token_answer(["t"], 10.0) is None


class FakeNetSuite:
    """An in-process token endpoint and record route, to count what the cache asks for."""

    def __init__(self) -> None:
        self.issued: list[str] = []
        self.forms: list[dict[str, str]] = []
        self.valid: set[str] = set()
        self.token_status = 200
        self.refuse_every_token = False

    def handler(self, request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/oauth2/v1/token"):
            form = dict(httpx.QueryParams(request.content.decode()))
            self.forms.append(form)
            if self.token_status != 200:
                return httpx.Response(self.token_status, json={"error": "invalid_client"})
            token = f"token-{len(self.issued) + 1}"
            self.issued.append(token)
            self.valid.add(token)
            return httpx.Response(200, json={"access_token": token, "expires_in": 3600})
        presented = request.headers["authorization"].removeprefix("Bearer ")
        ok = presented in self.valid and not self.refuse_every_token
        return httpx.Response(204 if ok else 401)


def rest_for(fake: FakeNetSuite, clock: list[float]) -> tuple[SuiteTalkRest, httpx.AsyncClient]:
    http = httpx.AsyncClient(transport=httpx.MockTransport(fake.handler))
    auth = M2MAuth(credentials(), BASE, 5.0, clock=lambda: clock[0])
    return SuiteTalkRest(http, BASE, auth, 5.0), http


async def test_one_token_serves_every_request_until_it_nears_expiry(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    fake, clock = FakeNetSuite(), [0.0]
    rest, http = rest_for(fake, clock)
    async with http:
        url = rest.record_url("customer", "eid:C-1")
        answers = await asyncio.gather(*(rest.send("PUT", url, {}) for _ in range(5)))
        assert [a.status_code for a in answers if isinstance(a, httpx.Response)] == [204] * 5
        assert len(fake.issued) == 1  # concurrent requests waited for one token request
        assert fake.forms[0]["grant_type"] == "client_credentials"
        assert fake.forms[0]["client_assertion_type"] == ASSERTION_TYPE
        clock[0] = 3600 - 59.0  # inside the renewal margin
        await rest.send("PUT", url, {})
        assert len(fake.issued) == 2
    # httpx and httpcore log every request at DEBUG: neither the tokens nor the assertions.
    logged = caplog.text
    assert caplog.records
    assert not any(token in logged for token in fake.issued)
    assert not any(form["client_assertion"] in logged for form in fake.forms)


async def test_a_401_renews_the_token_once_and_repeats_the_request() -> None:
    fake, clock = FakeNetSuite(), [0.0]
    rest, http = rest_for(fake, clock)
    async with http:
        url = rest.record_url("customer", "eid:C-1")
        await rest.send("PUT", url, {})
        fake.valid.clear()  # NetSuite revoked or expired it early
        answer = await rest.send("PUT", url, {})
        assert isinstance(answer, httpx.Response)
        assert answer.status_code == 204
        assert len(fake.issued) == 2
        # A token refused even when new: the 401 comes back after one renewal, no loop.
        fake.refuse_every_token = True
        answer = await rest.send("PUT", url, {})
        assert isinstance(answer, httpx.Response)
        assert answer.status_code == 401
        assert len(fake.issued) == 3


async def test_a_refused_assertion_becomes_a_401_that_names_the_token_endpoint() -> None:
    fake, clock = FakeNetSuite(), [0.0]
    fake.token_status = 400
    rest, http = rest_for(fake, clock)
    async with http:
        answer = await rest.send("PUT", rest.record_url("customer", "eid:C-1"), {})
    assert isinstance(answer, httpx.Response)
    assert answer.status_code == 401
    detail: Any = answer.json()["o:errorDetails"][0]["detail"]
    assert "token endpoint refused" in detail
    assert "invalid_client" in detail
    assert fake.issued == []


async def test_a_token_endpoint_under_load_stays_retryable() -> None:
    fake, clock = FakeNetSuite(), [0.0]
    fake.token_status = 503
    rest, http = rest_for(fake, clock)
    async with http:
        answer = await rest.send("PUT", rest.record_url("customer", "eid:C-1"), {})
    assert isinstance(answer, httpx.Response)
    assert answer.status_code == 503


def test_the_setting_picks_the_mode_and_oauth2_needs_a_key() -> None:
    assert isinstance(request_auth(Settings()), TbaAuth)
    with pytest.raises(NetSuiteAuthError, match="CASCADE_NETSUITE_OAUTH2_PRIVATE_KEY"):
        request_auth(Settings(netsuite_auth="oauth2"))
    chosen = request_auth(
        Settings(netsuite_auth="oauth2", netsuite_oauth2_private_key=SecretStr(pem(RSA_KEY)))
    )
    assert isinstance(chosen, M2MAuth)


def test_each_credential_is_read_from_the_setting_of_its_name() -> None:
    settings = Settings(
        netsuite_account_id="123_SB1",
        netsuite_token_id=SecretStr("tok"),
        netsuite_oauth2_client_id=SecretStr("client"),
        netsuite_oauth2_certificate_id="cert-1",
        netsuite_oauth2_private_key=SecretStr(pem(RSA_KEY)),
        netsuite_oauth2_scope="restlets",
    )
    tba = credentials_from(settings, TbaCredentials, TBA_PREFIX)
    assert (tba.account_id, tba.token_id.get_secret_value()) == ("123_SB1", "tok")
    m2m = m2m_credentials(settings)
    assert (m2m.client_id.get_secret_value(), m2m.certificate_id) == ("client", "cert-1")
    assert (m2m.scope, m2m.algorithm) == ("restlets", settings.netsuite_oauth2_algorithm)
