"""`python -m cascade.mcp` (streamable HTTP on CASCADE_MCP_PORT) or
`python -m cascade.mcp --stdio` (one agent, token in CASCADE_MCP_AGENT_TOKEN)."""

import asyncio
import sys

from cascade.mcp.app import create_app, run_stdio
from cascade.mcp.settings import McpSettings
from cascade.shared.observability.logs import configure_logging
from cascade.shared.serve import serve
from cascade.shared.startup import load_settings_with

if __name__ == "__main__":
    # Refuses unknown CASCADE_* variables and, in production, unfit defaults.
    settings, mcp_settings = load_settings_with("mcp", (), McpSettings)
    if sys.argv[1:] == ["--stdio"]:
        configure_logging(settings.log_format)
        sys.exit(asyncio.run(run_stdio(settings, mcp_settings.mcp_agent_token)))
    serve(create_app(settings), settings.http_host, settings.mcp_port)
