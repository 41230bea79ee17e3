"""The one setting that picks how Cascade authenticates to NetSuite: TBA or OAuth 2.0 M2M."""

from __future__ import annotations

from dataclasses import fields
from typing import TYPE_CHECKING, Any, TypeVar

from cascade.shared.netsuite.oauth import TbaAuth, TbaCredentials
from cascade.shared.netsuite.oauth2 import M2MAuth, M2MCredentials
from cascade.shared.netsuite.transport import RequestAuth
from cascade.shared.settings import Settings

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

C = TypeVar("C", bound="DataclassInstance")

TBA_PREFIX = "netsuite_"
M2M_PREFIX = "netsuite_oauth2_"


class NetSuiteAuthError(ValueError):
    """The settings name a mode whose credentials are missing."""


def credentials_from(settings: Settings, kind: type[C], prefix: str) -> C:
    """The credentials of `kind` (a dataclass), each field read from the setting named
    `<prefix><field>`: every credential is one setting, so the naming is the mapping."""
    values: dict[str, Any] = {f.name: getattr(settings, prefix + f.name) for f in fields(kind)}
    return kind(**values)


def m2m_credentials(settings: Settings) -> M2MCredentials:
    """The client credentials configured through `CASCADE_NETSUITE_OAUTH2_*`."""
    if not settings.netsuite_oauth2_private_key.get_secret_value().strip():
        raise NetSuiteAuthError(
            "CASCADE_NETSUITE_AUTH=oauth2 needs CASCADE_NETSUITE_OAUTH2_PRIVATE_KEY (the PEM "
            "private key of the certificate mapped in NetSuite's OAuth 2.0 Client Credentials "
            "Setup) and CASCADE_NETSUITE_OAUTH2_CERTIFICATE_ID (the id NetSuite gave it)"
        )
    return credentials_from(settings, M2MCredentials, M2M_PREFIX)


def request_auth(settings: Settings) -> RequestAuth:
    """The auth every SuiteTalk request of this process uses (one per process: M2M keeps
    its token cache there)."""
    if settings.netsuite_auth == "oauth2":
        return M2MAuth(
            m2m_credentials(settings), settings.netsuite_base_url, settings.netsuite_timeout_s
        )
    return TbaAuth(credentials_from(settings, TbaCredentials, TBA_PREFIX))
