"""OAuth 1.0a signing checked against published examples, not against our own simulator."""

from __future__ import annotations

import base64
import hashlib
import hmac
from urllib.parse import unquote

from oauthlib.oauth1 import SIGNATURE_HMAC_SHA1
from pydantic import SecretStr

from cascade.shared.netsuite.oauth import TbaCredentials, authorization_header


def credentials(
    consumer: str, consumer_secret: str, token: str, token_secret: str, account: str = "X"
) -> TbaCredentials:
    return TbaCredentials(
        account_id=account,
        consumer_key=SecretStr(consumer),
        consumer_secret=SecretStr(consumer_secret),
        token_id=SecretStr(token),
        token_secret=SecretStr(token_secret),
    )


def params(header: str) -> dict[str, str]:
    assert header.startswith("OAuth ")
    pairs = (item.strip().split("=", 1) for item in header[len("OAuth ") :].split(","))
    return {key: unquote(value.strip('"')) for key, value in pairs}


def test_signs_the_published_oauth_core_appendix_a_example() -> None:
    # OAuth Core 1.0 (unchanged in 1.0a), Appendix A.5: "photos.example.net", HMAC-SHA1,
    # known nonce and timestamp -> the published signature tR3+Ty81lMeYAr/Fid0kMTYa/WM=.
    header = authorization_header(
        "GET",
        "http://photos.example.net/photos?file=vacation.jpg&size=original",
        credentials("dpf43f3p2l4k3l03", "kd94hf93k423kf44", "nnch734d00sl2jdk", "pfkkdhi9sl3r4s00"),
        signature_method=SIGNATURE_HMAC_SHA1,
        nonce="kllo9940pd9333jh",
        timestamp="1191242096",
        realm="",
    )
    assert params(header)["oauth_signature"] == "tR3+Ty81lMeYAr/Fid0kMTYa/WM="
    assert "realm" not in params(header)


def test_netsuite_header_is_hmac_sha256_with_the_account_as_realm() -> None:
    url = "https://1234567-sb1.suitetalk.api.netsuite.com/services/rest/record/v1/customer/eid:C-1"
    creds = credentials("ck", "cs", "tk", "ts", account="1234567-sb1")
    got = params(
        authorization_header("PUT", url, creds, nonce="abcdef123456", timestamp="1700000000")
    )
    assert got["realm"] == "1234567_SB1"
    assert got["oauth_signature_method"] == "HMAC-SHA256"
    # The RFC 5849 base string, written out by hand: the realm is not part of it.
    base = (
        "PUT&https%3A%2F%2F1234567-sb1.suitetalk.api.netsuite.com%2Fservices%2Frest%2Frecord"
        "%2Fv1%2Fcustomer%2Feid%3AC-1&oauth_consumer_key%3Dck%26oauth_nonce%3Dabcdef123456"
        "%26oauth_signature_method%3DHMAC-SHA256%26oauth_timestamp%3D1700000000"
        "%26oauth_token%3Dtk%26oauth_version%3D1.0"
    )
    digest = hmac.new(b"cs&ts", base.encode(), hashlib.sha256).digest()
    assert got["oauth_signature"] == base64.b64encode(digest).decode()


def test_every_request_gets_a_fresh_nonce() -> None:
    creds = credentials("ck", "cs", "tk", "ts")
    first = params(authorization_header("GET", "http://h/x", creds))
    second = params(authorization_header("GET", "http://h/x", creds))
    assert first["oauth_nonce"] != second["oauth_nonce"]
    assert 6 <= len(first["oauth_nonce"]) <= 64, "NetSuite wants 6 to 64 characters"


def test_secrets_never_show_in_reprs_or_headers() -> None:
    creds = credentials("ck", "consumer-secret-x", "tk", "token-secret-y")
    header = authorization_header("GET", "http://h/x", creds)
    for secret in ("consumer-secret-x", "token-secret-y"):
        assert secret not in repr(creds)
        assert secret not in header
