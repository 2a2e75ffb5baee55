"""What the runner (``run.py``) and the capacity sweep (``sweep.py``) both need: where
the repository is, and how a phase message looks. In a module of its own so that neither
imports the other for it (the sweep runs the runner as a subprocess)."""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def say(message: str) -> None:
    """A phase message (bold, on stderr like Locust's log)."""
    sys.stderr.write(f"\033[1m==> {message}\033[0m\n")
    sys.stderr.flush()
