"""Settings, built once at start-up from flags and environment variables and passed in.

Nothing here opens a connection: :class:`Settings` is plain data. Every option is a
dataclass field declared with :func:`option`, and that one declaration is the source of
its command-line flag (``--results-interval-ms``), its environment variable
(``PLENARY_RESULTS_INTERVAL_MS``) and its line in ``docs/configuration.md`` (generated
by ``python -m plenary.settings``; a test checks the file is up to date). Flags win
over the environment, which wins over the defaults.
"""

from __future__ import annotations

import os
import sys
import types
import typing
from collections.abc import Callable, Iterator, Mapping
from dataclasses import MISSING, dataclass, field, fields
from typing import Any, TypeVar

from plenary.installed import limit_classes
from plenary.options import option

ENV_PREFIX = "PLENARY_"

T = TypeVar("T")


@dataclass(frozen=True)
class Limits:
    """Bounds on what clients may send. Each is enforced with an error ack or a refusal."""

    max_payload_bytes: int = option(
        16_384, "largest Socket.IO message accepted; a bigger one closes that connection"
    )
    max_name_len: int = option(60, "longest attendee name (characters)")
    max_title_len: int = option(120, "longest event title")
    max_rooms_per_event: int = option(
        100, "most rooms an event's programme may hold (the main room included)"
    )
    max_room_description_len: int = option(1000, "longest room description")
    max_attendees_per_event: int = option(
        20_000, "most attendees who may join one event (later joins get event_full)"
    )
    events_per_second: float = option(
        10.0, "messages per second one connection may send on average (then rate_limited)"
    )
    events_burst: int = option(20, "messages one connection may send in a burst")
    joins_per_second_per_ip: float = option(
        100.0,
        "new connections (engine.io sessions, and any further Socket.IO CONNECT on one) per "
        "second from one IP address, over all processes sharing the Redis (then "
        "rate_limited; per process while Redis does not answer)",
    )
    joins_burst_per_ip: int = option(1_000, "new connections from one IP in a burst")
    connect_timeout_s: float = option(
        10.0,
        "seconds a new connection may stay open without joining (an accepted Socket.IO "
        "CONNECT) before the server closes it",
    )
    lookups_per_second_per_ip: float = option(
        5.0,
        "REST lookups of a join code (GET /api/events/{code}, its export) per second from "
        "one IP address, over all processes (then 429 rate_limited)",
    )
    lookups_burst_per_ip: int = option(30, "REST join-code lookups from one IP in a burst")
    max_rest_body_bytes: int = option(
        16_384, "largest REST request body (then 400 bad_request); JSON nests 32 deep at most"
    )


@dataclass(frozen=True)
class Settings:
    """Everything the server needs to know, fixed for the life of the process."""

    host: str = option("127.0.0.1", "address to listen on (0.0.0.0 for every interface)")
    port: int = option(8080, "TCP port")
    redis_url: str | None = option(
        None,
        "keep state in Redis and fan out through it (scaled mode), e.g. "
        "redis://127.0.0.1:6379/0; unset: state lives in this process (embedded mode)",
    )
    redis_max_connections: int = option(
        32,
        "Redis connections of the store per server process at most, 2 or more: a quarter "
        "for scans and exports, the rest for the pipeline that carries every other command "
        "(commands of one event-loop round share one pipeline, so a burst needs few)",
    )
    workers: int = option(
        1, "server processes sharing this port (SO_REUSEPORT); more than 1 needs redis_url"
    )
    admin_token: str | None = option(
        None, "bearer token for POST /api/events; unset: a random one is printed", secret=True
    )
    public_url: str | None = option(
        None, "URL people use to reach the server, for printed links (e.g. behind a proxy)"
    )
    demo: bool | None = option(
        None, "create a ready demo event at start (default: yes in embedded mode only)"
    )
    results_interval_ms: int = option(
        250, "live results go out at most once per this many ms per activity"
    )
    presence_interval_ms: int = option(
        1000, "attendee counts are published at most once per this many ms"
    )
    cors_allowed_origins: tuple[str, ...] = option(
        ("*",),
        "origins allowed to connect (CORS and the websocket Origin check), comma-separated; "
        "* allows any",
    )
    transports: tuple[str, ...] | None = option(
        None,
        "engine.io transports, comma-separated (default: polling,websocket; only "
        "websocket with several workers)",
    )
    metrics_token: str | None = option(
        None,
        "bearer token for GET /metrics; unset: /metrics answers requests from localhost only",
        secret=True,
    )
    trust_forwarded_for: bool = option(
        False, "take the client IP from X-Forwarded-For (only behind a trusted proxy)"
    )
    export_dir: str = option(
        "~/.local/share/plenary/exports",
        "directory where an ended event's export (JSON and CSV) is written (~ is the "
        "home directory of the user the server runs as; outside any source checkout)",
    )
    retention_s: int = option(
        7 * 24 * 3600, "seconds an ended event's live state is kept before it expires"
    )
    log_level: str = option("INFO", "DEBUG, INFO, WARNING or ERROR")
    log_format: str = option(
        "auto", "json (one object per line), text, or auto (text on a terminal, else json)"
    )
    limits: Limits = field(default_factory=Limits)
    #: Installed activity kinds' limits that were configured (see plenary/activities/),
    #: by class; :meth:`limits_for` gives the defaults of the others.
    kind_limits: Mapping[type, Any] = field(default_factory=dict)

    def limits_for(self, cls: type[T]) -> T:
        """The limits of one activity kind: as configured, else its defaults."""
        configured = self.kind_limits.get(cls)
        return configured if configured is not None else cls()

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


@dataclass(frozen=True)
class Option:
    """One configurable setting, as flag, environment variable and documentation."""

    name: str
    owner: type
    default: Any
    help: str
    convert: Callable[[str], Any]
    type_name: str
    secret: bool

    @property
    def env(self) -> str:
        return ENV_PREFIX + self.name.upper()

    @property
    def flag(self) -> str:
        return "--" + self.name.replace("_", "-")


def _parse_bool(raw: str) -> bool:
    value = raw.strip().lower()
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("0", "false", "no", "off"):
        return False
    raise ValueError(f"expected true or false, got {raw!r}")


def _parse_list(raw: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in raw.split(",") if part.strip())


def _converter(annotation: Any) -> tuple[Callable[[str], Any], str]:
    args = [a for a in typing.get_args(annotation) if a is not type(None)]
    if isinstance(annotation, types.UnionType) and len(args) == 1:
        annotation = args[0]
    if annotation is bool:
        return _parse_bool, "bool"
    if annotation is int:
        return int, "int"
    if annotation is float:
        return float, "float"
    if annotation is str:
        return str, "text"
    if typing.get_origin(annotation) is tuple:
        return _parse_list, "list"
    raise TypeError(f"no converter for {annotation!r}")


def owners() -> list[type]:
    """The classes that declare settings: the server's, its limits, and each installed
    activity kind's limits."""
    return [Settings, Limits, *limit_classes()]


def options() -> Iterator[Option]:
    """Every setting of :func:`owners`, in declaration order."""
    for owner in owners():
        hints = typing.get_type_hints(owner)
        for f in fields(owner):
            if f.name in ("limits", "kind_limits"):
                continue
            convert, type_name = _converter(hints[f.name])
            default = f.default if f.default is not MISSING else None
            yield Option(
                f.name,
                owner,
                default,
                f.metadata["help"],
                convert,
                type_name,
                f.metadata.get("secret", False),
            )


def build_settings(
    overrides: Mapping[str, Any] | None = None, environ: Mapping[str, str] | None = None
) -> Settings:
    """Settings from defaults, then the environment, then ``overrides`` (flags); an
    override of ``None`` means "not given"."""
    environ = os.environ if environ is None else environ
    values: dict[type, dict[str, Any]] = {owner: {} for owner in owners()}
    known = {}
    for opt in options():
        known[opt.name] = opt
        raw = environ.get(opt.env)
        if raw not in (None, ""):
            try:
                values[opt.owner][opt.name] = opt.convert(raw)
            except ValueError as exc:
                raise ValueError(f"{opt.env}: {exc}") from None
    for name, value in (overrides or {}).items():
        if name not in known:
            raise TypeError(f"unknown setting {name!r}")
        if value is not None:
            values[known[name].owner][name] = value
    return Settings(
        **values.pop(Settings),
        limits=Limits(**values.pop(Limits)),
        # Only the kinds with a configured limit: the others use their defaults.
        kind_limits={owner: owner(**given) for owner, given in values.items() if given},
    )


def configuration_markdown() -> str:
    """The configuration reference (``docs/configuration.md``)."""
    lines = [
        "# Configuration",
        "",
        "Every setting of `plenary serve`, as a flag and as an environment variable (flags",
        "win). This file is generated by `python -m plenary.settings > docs/configuration.md`",
        "from the code; `tests/test_settings.py` fails when it is out of date.",
        "",
    ]
    titles = {Settings: "Server", Limits: "Limits"}
    for owner in owners():
        title = titles.get(owner) or (owner.__doc__ or owner.__name__).split(".")[0].strip()
        lines += [
            f"## {title}",
            "",
            "| flag | environment variable | type | default | meaning |",
            "|---|---|---|---|---|",
        ]
        for opt in options():
            if opt.owner is not owner:
                continue
            default = opt.default
            if isinstance(default, tuple):
                default = ",".join(default)
            shown = "(unset)" if default is None else f"`{default}`"
            lines.append(f"| `{opt.flag}` | `{opt.env}` | {opt.type_name} | {shown} | {opt.help} |")
        lines.append("")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.stdout.write(configuration_markdown())
