"""Running this checkout's own modules in a child process (``python -m ...``), as the
smoke tests of the load tests and the benchmarks do: this checkout's server (server/),
not whichever one the virtualenv has installed."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def checkout_env() -> dict[str, str]:
    """This environment, with the checkout's server/ and root first on the module path."""
    return {**os.environ, "PYTHONPATH": os.pathsep.join((str(ROOT / "server"), str(ROOT)))}


def run_module(module: str, *args: str, timeout: float) -> subprocess.CompletedProcess[str]:
    """``python -m module args`` from the checkout's root, its output captured as text."""
    return subprocess.run(
        [sys.executable, "-m", module, *args],
        cwd=ROOT,
        env=checkout_env(),
        capture_output=True,
        text=True,
        timeout=timeout,
    )
