"""Run a service's ASGI app with uvicorn on its configured port."""

from __future__ import annotations

import logging

import uvicorn
from fastapi import FastAPI


def serve(app: FastAPI, host: str, port: int) -> None:
    """Serve until SIGTERM/SIGINT; logs go to stderr (make up sends them to a file)."""
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    uvicorn.run(app, host=host, port=port, log_level="info", access_log=False)
