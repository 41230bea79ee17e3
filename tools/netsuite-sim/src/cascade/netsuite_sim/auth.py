"""Token-based authentication as NetSuite checks it: OAuth 1.0a, HMAC-SHA256, realm = account.

Verification is oauthlib's own resource endpoint (signature base string, HMAC, timestamp
window, nonce replay), so the simulator and our client share no signing code of ours.
"""

from __future__ import annotations

import hmac
import string
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from oauthlib.oauth1 import SIGNATURE_HMAC_SHA256, RequestValidator, ResourceEndpoint

from cascade.shared.settings import Settings

_SAFE = set(string.ascii_letters + string.digits + "-_")
_CHECKS = {
    "client": "unknown consumer key",
    "resource_owner": "unknown token",
    "realm": "realm is not the account id",
    "signature": "signature does not match",
}


@dataclass(frozen=True)
class SimAccount:
    """The one NetSuite account the simulator serves, and its integration's TBA credentials."""

    account_id: str
    consumer_key: str
    consumer_secret: str
    token_id: str
    token_secret: str

    @property
    def realm(self) -> str:
        """NetSuite's realm: the account id in upper case with `_` for `-` (1234567_SB1)."""
        return self.account_id.upper().replace("-", "_")

    @classmethod
    def from_settings(cls, settings: Settings) -> SimAccount:
        """The account the `CASCADE_NETSUITE_*` settings describe."""
        return cls(
            account_id=settings.netsuite_account_id,
            consumer_key=settings.netsuite_consumer_key.get_secret_value(),
            consumer_secret=settings.netsuite_consumer_secret.get_secret_value(),
            token_id=settings.netsuite_token_id.get_secret_value(),
            token_secret=settings.netsuite_token_secret.get_secret_value(),
        )


class NonceCache:
    """Remembers (key, token, timestamp, nonce) inside the timestamp window: NetSuite
    refuses a nonce used twice."""

    def __init__(self, lifetime_s: float = 600.0, clock: Callable[[], float] = time.time) -> None:
        self._lifetime = lifetime_s
        self._clock = clock
        self._seen: dict[tuple[str, ...], float] = {}

    def first_use(self, key: tuple[str, ...]) -> bool:
        """True the first time `key` is seen within the window, False on a replay."""
        now = self._clock()
        self._seen = {k: t for k, t in self._seen.items() if now - t <= self._lifetime}
        if key in self._seen:
            return False
        self._seen[key] = now
        return True


def _same(given: str | None, expected: str) -> bool:
    return given is not None and hmac.compare_digest(given.encode(), expected.encode())


class _AccountValidator(RequestValidator):
    """oauthlib's questions answered for one account (names are oauthlib's)."""

    def __init__(self, account: SimAccount, nonces: NonceCache) -> None:
        super().__init__()
        self.account = account
        self.nonces = nonces

    # HTTP on loopback in tests; NetSuite itself is HTTPS-only.
    enforce_ssl = False
    # NetSuite ended HMAC-SHA1 support in 2023.1.
    allowed_signature_methods = (SIGNATURE_HMAC_SHA256,)
    safe_characters = _SAFE
    client_key_length = (1, 256)
    access_token_length = (1, 256)
    nonce_length = (6, 64)
    dummy_client = "dummy-consumer-key"
    dummy_access_token = "dummy-token-id"  # noqa: S105 - a placeholder, not a secret

    def validate_client_key(self, client_key: str, request: Any) -> bool:
        return _same(client_key, self.account.consumer_key)

    def validate_access_token(self, client_key: str, token: str, request: Any) -> bool:
        return _same(token, self.account.token_id)

    def get_client_secret(self, client_key: str, request: Any) -> str:
        ok = _same(client_key, self.account.consumer_key)
        return self.account.consumer_secret if ok else "dummy"

    def get_access_token_secret(self, client_key: str, token: str, request: Any) -> str:
        return self.account.token_secret if _same(token, self.account.token_id) else "dummy"

    def validate_timestamp_and_nonce(
        self,
        client_key: str,
        timestamp: str,
        nonce: str,
        request: Any,
        request_token: str | None = None,
        access_token: str | None = None,
    ) -> bool:
        return self.nonces.first_use((client_key, access_token or "", timestamp, nonce))

    def validate_realms(
        self, client_key: str, token: str, request: Any, uri: str | None = None, realms: Any = None
    ) -> bool:
        return str(request.realm or "").upper() == self.account.realm


@dataclass(frozen=True)
class AuthResult:
    """Whether a request is authenticated and, if not, why (for the login audit trail)."""

    ok: bool
    reason: str = ""


class TbaVerifier:
    """Checks the OAuth 1.0a Authorization header of a request against the account."""

    def __init__(self, account: SimAccount, nonces: NonceCache | None = None) -> None:
        self._endpoint = ResourceEndpoint(_AccountValidator(account, nonces or NonceCache()))

    def verify(self, uri: str, method: str, headers: Mapping[str, str]) -> AuthResult:
        """Verify a request as received: its absolute URI, method and headers."""
        ok, request = self._endpoint.validate_protected_resource_request(
            uri, http_method=method, body=None, headers=dict(headers)
        )
        if ok:
            return AuthResult(True)
        if request is None:
            return AuthResult(False, "malformed Authorization header")
        checks = request.validator_log
        if not checks:
            return AuthResult(False, "missing OAuth parameters, stale timestamp or reused nonce")
        failed = [text for name, text in _CHECKS.items() if not checks.get(name)]
        return AuthResult(False, "; ".join(failed))
