"""NetSuite token-based authentication: an OAuth 1.0a Authorization header per request.

Signing is oauthlib's (`oauthlib.oauth1.Client`), never ours. The JSON body is not signed:
RFC 5849 3.4.1.3.1 takes body parameters only from form-encoded bodies, and NetSuite checks
exactly that base string. Secrets stay in SecretStr until the moment of signing.
"""

from __future__ import annotations

from dataclasses import dataclass

import httpx
from oauthlib.oauth1 import SIGNATURE_HMAC_SHA256, Client
from pydantic import SecretStr

from cascade.shared.netsuite.transport import Method, TransportFailure


@dataclass(frozen=True)
class TbaCredentials:
    """An integration record's consumer key/secret and a user's token id/secret."""

    account_id: str
    consumer_key: SecretStr
    consumer_secret: SecretStr
    token_id: SecretStr
    token_secret: SecretStr

    @property
    def realm(self) -> str:
        """NetSuite's realm: the account id upper-cased with `_` for `-` (1234567_SB1)."""
        return self.account_id.upper().replace("-", "_")


def authorization_header(
    method: Method,
    url: str,
    credentials: TbaCredentials,
    *,
    signature_method: str = SIGNATURE_HMAC_SHA256,
    nonce: str | None = None,
    timestamp: str | None = None,
    realm: str | None = None,
) -> str:
    """The `Authorization: OAuth ...` value for one request (query parameters included).

    A fresh nonce and timestamp are drawn unless given (tests give them, to compare with
    published examples); `realm=""` leaves the realm out, as those examples do.
    """
    client = Client(
        credentials.consumer_key.get_secret_value(),
        client_secret=credentials.consumer_secret.get_secret_value(),
        resource_owner_key=credentials.token_id.get_secret_value(),
        resource_owner_secret=credentials.token_secret.get_secret_value(),
        signature_method=signature_method,
        realm=credentials.realm if realm is None else (realm or None),
        nonce=nonce,
        timestamp=timestamp,
    )
    _, headers, _ = client.sign(url, http_method=method)
    return str(headers["Authorization"])


class TbaAuth:
    """Token-based authentication as a `RequestAuth`: every request signed anew, so a 401 is
    the credentials' fault and another try would only be refused again."""

    def __init__(self, credentials: TbaCredentials) -> None:
        self._credentials = credentials

    async def authorization(
        self, http: httpx.AsyncClient, method: Method, url: str
    ) -> str | httpx.Response | TransportFailure:
        return authorization_header(method, url, self._credentials)

    def rejected(self, authorization: str) -> bool:
        return False
