"""Logging set-up: one line per significant action, as JSON lines for log pipelines or
readable text on a terminal. Context (event code, activity) travels in ``extra``:

    log.info("poll opened", extra={"event": code, "activity": poll_id})

Secrets (keys, tokens) and answers tied to a person are never logged.
"""

from __future__ import annotations

import json
import logging
import os
import sys
from typing import Any

#: ``extra`` fields that formatters show; anything else passed in ``extra`` is ignored.
#: (``reason`` and ``suppressed``: see realtime/wire/frameguard.py.)
CONTEXT_FIELDS = ("event", "activity", "role", "code", "worker", "reason", "suppressed")


class JsonFormatter(logging.Formatter):
    """One JSON object per line: ts, level, logger, msg, pid and any context fields."""

    def format(self, record: logging.LogRecord) -> str:
        try:
            msg = record.getMessage()
        except Exception:  # arguments that do not fit the message: still one JSON line
            msg = f"{record.msg!s} (unformatted arguments: {record.args!r})"[:2000]
        line: dict[str, Any] = {
            "ts": round(record.created, 3),
            "level": record.levelname,
            "logger": record.name,
            "msg": msg,
            "pid": os.getpid(),
        }
        for name in CONTEXT_FIELDS:
            value = getattr(record, name, None)
            if value is not None:
                line[name] = value
        if record.exc_info:
            line["exc"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False)


class TextFormatter(logging.Formatter):
    """``12:00:01 INFO [pid 42] plenary.app: poll opened event=K7Q2MX activity=p_1``"""

    def __init__(self) -> None:
        super().__init__(
            f"%(asctime)s %(levelname)s [pid {os.getpid()}] %(name)s: %(message)s",
            datefmt="%H:%M:%S",
        )

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        context = " ".join(
            f"{name}={getattr(record, name)}"
            for name in CONTEXT_FIELDS
            if getattr(record, name, None) is not None
        )
        return f"{text} {context}" if context else text


def configure_logging(level: str, fmt: str = "auto") -> None:
    """Log to stderr: ``json``, ``text``, or ``auto`` (text on a terminal, else JSON)."""
    if fmt == "auto":
        fmt = "text" if sys.stderr.isatty() else "json"
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter() if fmt == "json" else TextFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    # Python's warnings go through this handler too, not straight to stderr as text.
    logging.captureWarnings(True)
    # aiohttp logs every request at INFO; keep the terminal for what matters.
    logging.getLogger("aiohttp.access").setLevel(logging.WARNING)
