"""The simulator's token-based authentication: oauthlib's verifier, NetSuite's rules."""

from __future__ import annotations

from oauthlib.common import Request
from oauthlib.oauth1 import SIGNATURE_HMAC_SHA1, SIGNATURE_HMAC_SHA256, Client
from oauthlib.oauth1.rfc5849 import signature

from cascade.netsuite_sim.auth import NonceCache, SimAccount, TbaVerifier

ACCOUNT = SimAccount("1234567-sb1", "consumer-key", "consumer-secret", "token-id", "token-secret")
URL = "http://127.0.0.1:8009/services/rest/record/v1/customer/eid:C-1"


def signed(method: str = "PUT", url: str = URL, **overrides: str) -> dict[str, str]:
    options = {
        "client_secret": ACCOUNT.consumer_secret,
        "resource_owner_key": ACCOUNT.token_id,
        "resource_owner_secret": ACCOUNT.token_secret,
        "signature_method": SIGNATURE_HMAC_SHA256,
        "realm": ACCOUNT.realm,
    } | overrides
    client_key = options.pop("client_key", ACCOUNT.consumer_key)
    _, headers, _ = Client(client_key, **options).sign(url, http_method=method)
    return dict(headers)


def test_published_hmac_sha256_vector_verifies() -> None:
    # RFC 5849 section 3.1's request, signed HMAC-SHA256 with the secrets j49sk3j29djd /
    # dh893hdasih9; signature published in Faithlife.OAuth's test suite. The simulator's
    # verifier (oauthlib's resource endpoint) checks signatures with this very function.
    uri = "http://example.com/request?b5=%3D%253D&a3=a&c%40=&a2=r%20b"
    header = (
        'OAuth realm="Example",oauth_consumer_key="9djdj82h48djs9d2",oauth_token='
        '"kkk9d7dh3k39sjv7",oauth_signature_method="HMAC-SHA256",oauth_timestamp='
        '"137131201",oauth_nonce="7d8f3e4a",oauth_signature='
        '"ypAxjNip%2B%2BDm0fTM%2BgCl8wAo6ufSnseu1WHxL7py3BU%3D"'
    )
    form = {"Content-Type": "application/x-www-form-urlencoded", "Authorization": header}
    request = Request(uri, "POST", "c2&a3=2+q", form)
    params = signature.collect_parameters(
        uri_query=request.uri_query, body=request.body, headers=request.headers
    )
    request.params = [(k, v) for k, v in params if k != "oauth_signature"]
    request.signature = "ypAxjNip++Dm0fTM+gCl8wAo6ufSnseu1WHxL7py3BU="
    assert signature.verify_hmac_sha256(request, "j49sk3j29djd", "dh893hdasih9")
    assert not signature.verify_hmac_sha256(request, "j49sk3j29djd", "wrong")


def test_a_correctly_signed_request_passes() -> None:
    assert TbaVerifier(ACCOUNT).verify(URL, "PUT", signed()).ok


def test_each_failure_is_named_for_the_audit_trail() -> None:
    verifier = TbaVerifier(ACCOUNT)
    cases = {
        "signature does not match": signed(resource_owner_secret="wrong"),
        "unknown token": signed(resource_owner_key="other-token"),
        "unknown consumer key": signed(client_key="other-key"),
        "realm is not the account id": signed(realm="7654321"),
    }
    for reason, headers in cases.items():
        result = verifier.verify(URL, "PUT", headers)
        assert not result.ok
        assert reason in result.reason


def test_a_request_for_another_url_or_method_fails() -> None:
    verifier = TbaVerifier(ACCOUNT)
    assert not verifier.verify(URL + "X", "PUT", signed()).ok
    assert not verifier.verify(URL, "GET", signed()).ok


def test_hmac_sha1_and_missing_headers_are_refused() -> None:
    verifier = TbaVerifier(ACCOUNT)
    assert not verifier.verify(URL, "PUT", signed(signature_method=SIGNATURE_HMAC_SHA1)).ok
    assert verifier.verify(URL, "PUT", {}).reason == "malformed Authorization header"


def test_a_replayed_nonce_is_refused() -> None:
    verifier = TbaVerifier(ACCOUNT)
    headers = signed()
    assert verifier.verify(URL, "PUT", headers).ok
    assert not verifier.verify(URL, "PUT", headers).ok


def test_nonces_are_forgotten_after_the_timestamp_window() -> None:
    now = [1000.0]
    cache = NonceCache(lifetime_s=600, clock=lambda: now[0])
    assert cache.first_use(("k", "t", "1", "n"))
    assert not cache.first_use(("k", "t", "1", "n"))
    now[0] += 601
    assert cache.first_use(("k", "t", "1", "n"))
