"""The application's parts, built once per app and reachable through typed app keys."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import socketio
from aiohttp import web

from plenary.clock import now_ms
from plenary.event_service import EventService
from plenary.metrics import Metrics
from plenary.realtime.broadcast import Broadcaster
from plenary.realtime.gateway import Gateway
from plenary.realtime.presence import Presence
from plenary.realtime.session import Sessions
from plenary.retention import EventRetention
from plenary.rooms.programme import Programme
from plenary.scopes import scope
from plenary.settings import Settings
from plenary.stage.kinds import Kinds
from plenary.stage.stage import Stage
from plenary.store import Activity, Store
from plenary.store.base import PRESENCE_TTL_MS


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
    kinds: Kinds
    stage: Stage
    programme: Programme
    presence: Presence
    gateway: Gateway
    process_id: str
    metrics: Metrics
    retention: EventRetention
    broadcaster: Broadcaster
    demo: Demo | None = None
    on_ready: list[Callable[[Services], Any]] = field(default_factory=list)

    async def overview(self) -> dict[str, Any]:
        """What the admin view shows: store health, processes, events."""
        now = now_ms()
        ok = await self.store.ping()
        body: dict[str, Any] = {
            "store": {"backend": self.store.backend, "ok": ok},
            "process": self.process_id,
            "processes": [],
            "events": [],
        }
        if not ok:
            return body
        for process_id, (seen, counts) in sorted((await self.store.list_presence()).items()):
            body["processes"].append(
                {
                    "id": process_id,
                    "last_seen_ms": now - seen,
                    "alive": now - seen <= PRESENCE_TTL_MS,
                    "attendees_online": sum(counts.values()),
                }
            )
        for event in await self.store.list_events():
            current = await self.stage.on_stage(event.code)
            online = await self.store.online_by_room(event.code, now)
            rooms = []
            for room in await self.programme.rooms(event.code):
                on_stage = await self.stage.on_stage(scope(event.code, room.id))
                rooms.append(
                    {
                        "id": room.id,
                        "title": room.title,
                        "closed": room.closed_at is not None,
                        "online": online.get(room.id, 0),
                        "current": self._summary(on_stage),
                    }
                )
            body["events"].append(
                {
                    "code": event.code,
                    "title": event.title,
                    "created_at": event.created_at,
                    "ended_at": event.ended_at,
                    "joined": await self.store.count_attendees(event.code),
                    "online": sum(online.values()),
                    # Activities of a kind (a room feature's records are not).
                    "activities": sum(
                        self.kinds.of(a) is not None
                        for a in await self.store.list_activities(event.code)
                    ),
                    "current": self._summary(current),
                    "rooms": rooms,
                }
            )
        return body

    def _summary(self, activity: Activity | None) -> dict[str, Any] | None:
        if activity is None:
            return None
        return {
            "id": activity.id,
            "type": activity.definition.get("type"),
            **self.kinds.summary(activity),
            "status": activity.status,
        }


SETTINGS = web.AppKey("settings", Settings)
SERVICES = web.AppKey("services", Services)
