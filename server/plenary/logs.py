"""Logging set-up: one line per significant action, readable on a terminal."""

from __future__ import annotations

import logging
import os
import sys


def configure_logging(level: str) -> None:
    """Log to stderr with the process id, so lines of several workers can be told apart."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        logging.Formatter(
            f"%(asctime)s %(levelname)s [pid {os.getpid()}] %(name)s: %(message)s",
            datefmt="%H:%M:%S",
        )
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    # aiohttp logs every request at INFO; keep the terminal for what matters.
    logging.getLogger("aiohttp.access").setLevel(logging.WARNING)
