"""Run a service's ASGI app with uvicorn on its configured port."""

from __future__ import annotations

import sys

import uvicorn
from fastapi import FastAPI

from cascade.shared.observability.logs import LogFormat, configure_logging
from cascade.shared.runtime import ServiceRuntime
from cascade.shared.tracing import exports, instrument_service, start_tracing

EXIT_TASK_DIED = 70
"""EX_SOFTWARE: a background task died; the supervisor (compose, systemd) restarts us."""
EXIT_STARTUP_FAILED = 3
"""uvicorn's own code for a server that never started (e.g. the port is taken)."""


def log_format(app: FastAPI) -> LogFormat:
    """The format of the app's settings (`CASCADE_LOG_FORMAT`); `auto` for an app without
    a service runtime (the NetSuite simulator)."""
    runtime = getattr(app.state, "runtime", None)
    return runtime.settings.log_format if isinstance(runtime, ServiceRuntime) else "auto"


def serve(app: FastAPI, host: str, port: int) -> None:
    """Serve until SIGTERM/SIGINT, or until a background task dies (then exit 70);
    logs go to stderr (make up sends them to a file)."""
    # One format and one repeat limit for every line of the process, uvicorn's included.
    configure_logging(log_format(app))
    # log_config=None: uvicorn's loggers propagate to the root handler and its filter.
    config = uvicorn.Config(app, host=host, port=port, log_config=None, access_log=False)
    server = uvicorn.Server(config)
    runtime = getattr(app.state, "runtime", None)
    provider = None
    if isinstance(runtime, ServiceRuntime):
        runtime.on_fatal = lambda: setattr(server, "should_exit", True)
        # Once per process, before the first request: spans of HTTP in, SQL, HTTP out (when
        # they are exported; Cascade's own spans either way).
        provider = start_tracing(runtime.settings, runtime.name)
        instrument_service(app, runtime.engine, provider, sql=exports(runtime.settings))
    try:
        server.run()
    finally:
        if provider is not None:
            provider.shutdown()  # the last batch of spans is exported, not dropped
    if isinstance(runtime, ServiceRuntime) and runtime.dead_tasks:
        sys.exit(EXIT_TASK_DIED)
    if not server.started:
        sys.exit(EXIT_STARTUP_FAILED)
