"""Unit tests of the bearer-token check: no IO."""

from __future__ import annotations

import pytest
from pydantic import SecretStr

from cascade.approvals.auth import TokenCheck, check_bearer, configured_token

TOKEN = "s3cret-admin-token"
EXPECTED = TOKEN.encode()


@pytest.mark.parametrize(
    ("header", "outcome"),
    [
        (f"Bearer {TOKEN}", TokenCheck.OK),
        (f"bearer {TOKEN}", TokenCheck.OK),
        (f"  Bearer   {TOKEN}  ", TokenCheck.OK),
        (None, TokenCheck.MISSING),
        ("", TokenCheck.MISSING),
        ("Bearer", TokenCheck.MISSING),
        ("Bearer    ", TokenCheck.MISSING),
        (f"Basic {TOKEN}", TokenCheck.MISSING),
        (TOKEN, TokenCheck.MISSING),
        ("Bearer s3cret-admin-toke", TokenCheck.INVALID),
        (f"Bearer {TOKEN}x", TokenCheck.INVALID),
        (f"Bearer {TOKEN.upper()}", TokenCheck.INVALID),
        ("Bearer tökén-ünïcödé", TokenCheck.INVALID),
    ],
)
def test_bearer_header_is_compared_with_the_token(header: str | None, outcome: TokenCheck) -> None:
    assert check_bearer(header, EXPECTED) is outcome


@pytest.mark.parametrize("header", [None, f"Bearer {TOKEN}", "Bearer ", "Bearer x"])
def test_no_configured_token_refuses_everything(header: str | None) -> None:
    assert check_bearer(header, None) is TokenCheck.NOT_CONFIGURED


@pytest.mark.parametrize("token", [None, SecretStr(""), SecretStr("   ")])
def test_blank_token_counts_as_not_configured(token: SecretStr | None) -> None:
    # Otherwise an empty bearer could match an empty token and open the API.
    assert configured_token(token) is None


def test_configured_token_is_kept_exactly() -> None:
    assert configured_token(SecretStr(" tok ")) == b" tok "
