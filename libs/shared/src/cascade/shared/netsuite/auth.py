"""The one setting that picks how Cascade authenticates to NetSuite: TBA or OAuth 2.0 M2M."""

from __future__ import annotations

from cascade.shared.netsuite.oauth import TbaAuth, TbaCredentials
from cascade.shared.netsuite.oauth2 import M2MAuth, M2MCredentials
from cascade.shared.netsuite.transport import RequestAuth
from cascade.shared.settings import Settings


class NetSuiteAuthError(ValueError):
    """The settings name a mode whose credentials are missing."""


def m2m_credentials(settings: Settings) -> M2MCredentials:
    """The client credentials configured through `CASCADE_NETSUITE_OAUTH2_*`."""
    if not settings.netsuite_oauth2_private_key.get_secret_value().strip():
        raise NetSuiteAuthError(
            "CASCADE_NETSUITE_AUTH=oauth2 needs CASCADE_NETSUITE_OAUTH2_PRIVATE_KEY (the PEM "
            "private key of the certificate mapped in NetSuite's OAuth 2.0 Client Credentials "
            "Setup) and CASCADE_NETSUITE_OAUTH2_CERTIFICATE_ID (the id NetSuite gave it)"
        )
    return M2MCredentials(
        client_id=settings.netsuite_oauth2_client_id,
        certificate_id=settings.netsuite_oauth2_certificate_id,
        private_key=settings.netsuite_oauth2_private_key,
        algorithm=settings.netsuite_oauth2_algorithm,
        scope=settings.netsuite_oauth2_scope,
    )


def request_auth(settings: Settings) -> RequestAuth:
    """The auth every SuiteTalk request of this process uses (one per process: M2M keeps
    its token cache there)."""
    if settings.netsuite_auth == "oauth2":
        return M2MAuth(
            m2m_credentials(settings), settings.netsuite_base_url, settings.netsuite_timeout_s
        )
    return TbaAuth(TbaCredentials.from_settings(settings))
