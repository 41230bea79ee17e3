"""Test support: the NetSuite simulator as a process, and the settings that point a client at it."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from cascade.devstack.service_process import ServiceProcess

TEST_CREDENTIALS = {
    "CASCADE_NETSUITE_ACCOUNT_ID": "TSTDRV1122334",
    "CASCADE_NETSUITE_CONSUMER_KEY": "ck-test",
    "CASCADE_NETSUITE_CONSUMER_SECRET": "cs-test",
    "CASCADE_NETSUITE_TOKEN_ID": "tk-test",
    "CASCADE_NETSUITE_TOKEN_SECRET": "ts-test",
}
"""One OAuth 1.0a credential set the simulator accepts and the clients sign with."""


def start_simulator(
    start_service: Callable[..., ServiceProcess],
    data_dir: Path,
    credentials: Mapping[str, str] = TEST_CREDENTIALS,
) -> ServiceProcess:
    """Start the simulator with its test API (`/_sim`) on and its storage in `data_dir`."""
    env = {
        **credentials,
        "CASCADE_NETSUITE_SIM_ENABLE_TEST_API": "true",
        "CASCADE_NETSUITE_SIM_DATA_DIR": str(data_dir),
    }
    return start_service("netsuite_sim", env)


def client_env(
    sim: ServiceProcess, credentials: Mapping[str, str] = TEST_CREDENTIALS
) -> dict[str, str]:
    """The environment that makes ns-pusher or the verifier talk to `sim`."""
    return {**credentials, "CASCADE_NETSUITE_BASE_URL": f"http://127.0.0.1:{sim.port}"}


def new_m2m_private_key() -> str:
    """A fresh P-256 private key (PEM), the kind NetSuite's M2M setup takes for ES256."""
    key = ec.generate_private_key(ec.SECP256R1())
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


def m2m_env(private_key_pem: str, client_id: str = "m2m-client-local") -> dict[str, str]:
    """The settings that make clients use OAuth 2.0 M2M with this key and the simulator
    accept it: the simulator gets the public half, as NetSuite gets the certificate."""
    key = serialization.load_pem_private_key(private_key_pem.encode(), password=None)
    public = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return {
        "CASCADE_NETSUITE_AUTH": "oauth2",
        "CASCADE_NETSUITE_OAUTH2_CLIENT_ID": client_id,
        "CASCADE_NETSUITE_OAUTH2_CERTIFICATE_ID": "m2m-certificate-local",
        "CASCADE_NETSUITE_OAUTH2_ALGORITHM": "ES256",
        "CASCADE_NETSUITE_OAUTH2_PRIVATE_KEY": private_key_pem,
        "CASCADE_NETSUITE_SIM_OAUTH2_PUBLIC_KEY": public.decode(),
    }
