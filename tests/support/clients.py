"""Real Socket.IO clients (python-socketio's AsyncClient over a real websocket) that
record everything they receive, with helpers to wait for a message."""

from __future__ import annotations

import asyncio
import itertools
import uuid
from collections import defaultdict
from collections.abc import Callable
from typing import Any

import socketio

SERVER_EVENTS = (
    "welcome",
    "presence",
    "error",
    "event:ended",
    "poll:created",
    "poll:opened",
    "poll:results",
    "poll:closed",
    "poll:revealed",
    "poll:updated",
    "poll:deleted",
    "poll:order",
    "room:programme",
    "room:closed",
)

_names = itertools.count(1)


class Client:
    """One connection with an inbox per message name (those of ``SERVER_EVENTS`` and
    any other the server sends), and ``frames``: every message in the order received."""

    def __init__(self, url: str, auth: dict[str, Any], reconnection: bool = False) -> None:
        self.url = url
        # python-socketio re-sends this very dict on every reconnect: once a welcome
        # brings a resume token, it is added here so the attendee comes back as itself.
        self.auth = auth
        self.sio = socketio.AsyncClient(
            reconnection=reconnection, reconnection_delay=0.2, reconnection_delay_max=1
        )
        # Every message is recorded, the ones listed and any other (each kind's own).
        self.received: dict[str, list[dict[str, Any]]] = defaultdict(list)
        self.received.update({e: [] for e in SERVER_EVENTS})
        self.frames: list[tuple[str, Any]] = []
        self._changed = asyncio.Event()
        for name in SERVER_EVENTS:
            self.sio.on(name, self._recorder(name))
        self.sio.on("*", self._record_any)

    def _recorder(self, name: str) -> Callable[[Any], Any]:
        async def record(data: Any) -> None:
            if name == "welcome" and isinstance(data, dict) and "token" in data:
                self.auth["token"] = data["token"]
            self.received[name].append(data)
            self.frames.append((name, data))
            self._changed.set()

        return record

    async def _record_any(self, name: str, data: Any = None) -> None:
        await self._recorder(name)(data)

    async def connect(self) -> Client:
        await self.sio.connect(self.url, auth=self.auth, transports=["websocket"], wait_timeout=10)
        return self

    async def disconnect(self) -> None:
        await self.sio.disconnect()

    async def call(self, event: str, data: Any = None, timeout: float = 10) -> dict[str, Any]:
        """Emit with an ack and return the ack."""
        return await self.sio.call(event, data if data is not None else {}, timeout=timeout)  # type: ignore[no-any-return]

    async def wait_for(
        self,
        event: str,
        predicate: Callable[[dict[str, Any]], bool] = lambda _: True,
        timeout: float = 10,
    ) -> dict[str, Any]:
        """The first message of ``event`` (already received or coming) that matches."""

        async def scan() -> dict[str, Any]:
            while True:
                for message in self.received[event]:
                    if predicate(message):
                        return message
                self._changed.clear()
                await self._changed.wait()

        return await asyncio.wait_for(scan(), timeout)

    @property
    def welcome(self) -> dict[str, Any]:
        return self.received["welcome"][-1]

    async def vote(self, poll_id: str, choice: Any, vote_id: str | None = None) -> dict[str, Any]:
        return await self.call(
            "poll:vote",
            {"poll_id": poll_id, "choice": choice, "vote_id": vote_id or uuid.uuid4().hex},
        )

    async def call_until_acked(
        self, event: str, data: dict[str, Any], deadline_s: float = 30
    ) -> dict[str, Any]:
        """What a careful client does: retry the same message (same ``vote_id``) through
        timeouts, disconnects and ``unavailable`` errors until the server answers."""
        loop = asyncio.get_running_loop()
        stop = loop.time() + deadline_s
        while True:
            try:
                if self.sio.connected:
                    ack = await self.call(event, data, timeout=2)
                    if ack.get("ok") or ack["error"]["code"] not in ("unavailable", "internal"):
                        return ack
            except (
                socketio.exceptions.TimeoutError,
                socketio.exceptions.BadNamespaceError,
                socketio.exceptions.DisconnectedError,
            ):
                pass
            if loop.time() > stop:
                raise TimeoutError(f"{event} was never acknowledged")
            await asyncio.sleep(0.1)


async def attendee(
    url: str, code: str, name: str | None = None, reconnection: bool = False, **extra: Any
) -> Client:
    client = Client(
        url,
        {"event": code, "role": "attendee", "name": name or f"Attendee {next(_names)}", **extra},
        reconnection=reconnection,
    )
    await client.connect()
    await client.wait_for("welcome")
    return client


async def presenter(
    url: str, code: str, key: str, reconnection: bool = False, **extra: Any
) -> Client:
    client = Client(url, {"event": code, "role": "presenter", "key": key, **extra}, reconnection)
    await client.connect()
    await client.wait_for("welcome")
    return client


async def screen(url: str, code: str, **extra: Any) -> Client:
    client = Client(url, {"event": code, "role": "screen", **extra})
    await client.connect()
    await client.wait_for("welcome")
    return client
