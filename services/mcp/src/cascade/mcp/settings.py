"""Settings only the MCP gateway reads (its port is in the shared Settings, like every
service's, so the devstack knows it)."""

from __future__ import annotations

from pydantic import SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class McpSettings(BaseSettings):
    """`CASCADE_MCP_*` settings."""

    model_config = SettingsConfigDict(env_prefix="CASCADE_", extra="ignore")

    # The stdio transport has no HTTP header to carry a token: the client that spawns the
    # server puts the agent's token here, and the process authenticates it once at start.
    mcp_agent_token: SecretStr | None = None
