"""Settings only the MCP gateway reads (its port is in the shared Settings, like every
service's, so the devstack knows it)."""

from __future__ import annotations

from pydantic import SecretStr
from pydantic_settings import BaseSettings

from cascade.shared.settings_config import settings_config


class McpSettings(BaseSettings):
    """`CASCADE_MCP_*` settings."""

    model_config = settings_config()

    # The stdio transport has no HTTP header to carry a token.
    mcp_agent_token: SecretStr | None = None
    """The agent's token for the stdio transport: the client that spawns the server puts it
    here, and the process authenticates it once at start."""
