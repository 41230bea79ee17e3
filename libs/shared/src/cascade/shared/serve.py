"""Run a service's ASGI app with uvicorn on its configured port."""

from __future__ import annotations

import logging

import uvicorn
from fastapi import FastAPI

from cascade.shared.log_limits import install_repeat_filter


def configure_logging() -> None:
    """One format and one repeat limit for every line of the process, uvicorn's included."""
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    install_repeat_filter()


def serve(app: FastAPI, host: str, port: int) -> None:
    """Serve until SIGTERM/SIGINT; logs go to stderr (make up sends them to a file)."""
    configure_logging()
    # log_config=None: uvicorn's loggers propagate to the root handler and its filter.
    uvicorn.run(app, host=host, port=port, log_config=None, access_log=False)
