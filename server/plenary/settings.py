"""Settings, built once at start-up from flags and environment variables and passed in.

Nothing here opens a connection: :class:`Settings` is plain data. Every option has a
flag and a ``PLENARY_*`` environment variable; flags win over the environment.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from typing import Any


@dataclass(frozen=True)
class Limits:
    """Bounds on what one client may send. All are enforced with an error ack."""

    max_payload_bytes: int = 16_384
    max_name_len: int = 60
    max_question_len: int = 300
    max_option_len: int = 120
    max_options: int = 12
    max_word_len: int = 40
    max_text_len: int = 280
    max_title_len: int = 120
    events_per_second: float = 10.0
    events_burst: int = 20
    max_polls_per_event: int = 500


@dataclass(frozen=True)
class Settings:
    """Everything the server needs to know, fixed for the life of the process."""

    host: str = "127.0.0.1"
    port: int = 8080
    redis_url: str | None = None
    admin_token: str | None = None
    public_url: str | None = None
    demo: bool | None = None
    results_interval_ms: int = 250
    presence_interval_ms: int = 1000
    cors_allowed_origins: tuple[str, ...] = ("*",)
    log_level: str = "INFO"
    workers: int = 1
    transports: tuple[str, ...] | None = None
    limits: Limits = field(default_factory=Limits)

    @property
    def engineio_transports(self) -> list[str]:
        """Long-polling needs every request of a session on the same process: with
        several workers on one port (no sticky sessions) only websockets are offered."""
        if self.transports:
            return list(self.transports)
        return ["websocket"] if self.workers > 1 else ["polling", "websocket"]

    @property
    def embedded(self) -> bool:
        """True when state lives in this process (no Redis)."""
        return self.redis_url is None

    @property
    def create_demo(self) -> bool:
        """Whether to create a ready demo event at start (default: embedded mode only)."""
        return self.embedded if self.demo is None else self.demo

    @property
    def base_url(self) -> str:
        """The URL people use to reach this server."""
        if self.public_url:
            return self.public_url.rstrip("/")
        host = "localhost" if self.host in ("0.0.0.0", "127.0.0.1", "::") else self.host
        return f"http://{host}:{self.port}"


# Environment variable -> (settings field, converter)
ENVIRONMENT: Mapping[str, tuple[str, Any]] = {
    "PLENARY_HOST": ("host", str),
    "PLENARY_PORT": ("port", int),
    "PLENARY_REDIS_URL": ("redis_url", str),
    "PLENARY_ADMIN_TOKEN": ("admin_token", str),
    "PLENARY_PUBLIC_URL": ("public_url", str),
    "PLENARY_RESULTS_INTERVAL_MS": ("results_interval_ms", int),
    "PLENARY_CORS_ORIGINS": ("cors_allowed_origins", lambda v: tuple(v.split(","))),
    "PLENARY_LOG_LEVEL": ("log_level", str),
    "PLENARY_WORKERS": ("workers", int),
    "PLENARY_TRANSPORTS": ("transports", lambda v: tuple(v.split(","))),
}


def build_settings(
    overrides: Mapping[str, Any] | None = None, environ: Mapping[str, str] | None = None
) -> Settings:
    """Settings from the environment, then explicit overrides (flags); ``None`` means unset."""
    environ = os.environ if environ is None else environ
    values: dict[str, Any] = {}
    for var, (name, convert) in ENVIRONMENT.items():
        raw = environ.get(var)
        if raw not in (None, ""):
            values[name] = convert(raw)
    known = {f.name for f in fields(Settings)}
    for name, value in (overrides or {}).items():
        if name not in known:
            raise TypeError(f"unknown setting {name!r}")
        if value is not None:
            values[name] = value
    return Settings(**values)
