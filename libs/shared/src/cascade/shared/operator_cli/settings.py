"""Where the operator commands find the approvals API, with which token, how long they wait."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings

from cascade.shared.settings_config import settings_config


class OperatorSettings(BaseSettings):
    """The `cascade runs|proposals|dlq|outbox` commands' configuration (`CASCADE_*`)."""

    model_config = settings_config(ignore_empty=True)

    approvals_url: str = "http://127.0.0.1:8002"
    """Base URL of the approvals service, whose API the commands call."""
    operator_timeout_s: float = Field(default=10.0, gt=0)
    """How long (s) one API call may take: connecting, sending, waiting for the answer."""
    operator_token_file: Path | None = None
    """A file whose first line is the admin token (mode 600, say); `--token-file` wins."""
    admin_token: SecretStr | None = None
    """Mike's admin token itself, the one the approvals service checks (the local stack's
    `.cascade/dev/stack.env` has it); used when no token file is named."""
