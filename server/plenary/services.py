"""The application's parts, built once per app and reachable through typed app keys."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import socketio
from aiohttp import web

from plenary.activities.polls.service import PollService
from plenary.event_service import EventService
from plenary.metrics import Metrics
from plenary.realtime.gateway import Gateway
from plenary.realtime.presence import Presence
from plenary.realtime.session import Sessions
from plenary.settings import Settings
from plenary.store import Store


@dataclass(frozen=True)
class Demo:
    """The ready-made event of the embedded default."""

    code: str
    presenter_key: str
    urls: dict[str, str]


@dataclass
class Services:
    """Everything a request or socket handler may need."""

    settings: Settings
    store: Store
    sio: socketio.AsyncServer
    sessions: Sessions
    events: EventService
    polls: PollService
    presence: Presence
    gateway: Gateway
    process_id: str
    metrics: Metrics
    demo: Demo | None = None
    on_ready: list[Callable[[Services], Any]] = field(default_factory=list)


SETTINGS = web.AppKey("settings", Settings)
SERVICES = web.AppKey("services", Services)
