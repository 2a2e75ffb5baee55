"""A bare Engine.IO v4 / Socket.IO v5 client over an aiohttp websocket that keeps every
frame exactly as received, for tests that check bytes on the wire (and cheap enough to
open hundreds of)."""

from __future__ import annotations

import asyncio
import contextlib
import json
from typing import Any

import aiohttp


class RawClient:
    def __init__(self, session: aiohttp.ClientSession, url: str, answer_pings: bool = True):
        self.session = session
        self.url = url.replace("http://", "ws://") + "/socket.io/?EIO=4&transport=websocket"
        self.answer_pings = answer_pings
        self.ws: aiohttp.ClientWebSocketResponse | None = None
        self.frames: list[str] = []
        self.events: dict[str, list[dict[str, Any]]] = {}
        self.acks: dict[int, asyncio.Future[Any]] = {}
        self.next_id = 0
        self.closed = asyncio.Event()
        self.pings = 0
        self._changed = asyncio.Event()
        self._reader: asyncio.Task[None] | None = None

    async def connect(self, auth: dict[str, Any]) -> RawClient:
        self.ws = await self.session.ws_connect(self.url)
        opened = await self.ws.receive_str(timeout=10)
        assert opened.startswith("0{"), opened
        await self.ws.send_str("40" + json.dumps(auth))
        self._reader = asyncio.get_running_loop().create_task(self._read())
        await self.wait_for("welcome")
        return self

    async def _read(self) -> None:
        assert self.ws is not None
        try:
            async for msg in self.ws:
                if msg.type != aiohttp.WSMsgType.TEXT:
                    break
                text: str = msg.data
                self.frames.append(text)
                if text == "2":
                    self.pings += 1
                    if self.answer_pings:
                        await self.ws.send_str("3")
                elif text.startswith("42"):
                    name, data = json.loads(text[2:])
                    self.events.setdefault(name, []).append(data)
                elif text.startswith("43"):
                    bracket = text.index("[")
                    future = self.acks.pop(int(text[2:bracket]), None)
                    if future is not None and not future.done():
                        future.set_result(json.loads(text[bracket:])[0])
                self._changed.set()
        finally:
            self.closed.set()
            self._changed.set()

    def received(self, event: str) -> list[dict[str, Any]]:
        return self.events.get(event, [])

    async def wait_for(
        self, event: str, count: int = 1, timeout: float = 10
    ) -> list[dict[str, Any]]:
        async def enough() -> list[dict[str, Any]]:
            while len(self.received(event)) < count:
                if self.closed.is_set():
                    raise ConnectionError(f"closed while waiting for {event}")
                self._changed.clear()
                await self._changed.wait()
            return self.received(event)

        return await asyncio.wait_for(enough(), timeout)

    async def call(self, event: str, data: dict[str, Any], timeout: float = 10) -> Any:
        assert self.ws is not None
        self.next_id += 1
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self.acks[self.next_id] = future
        await self.ws.send_str(f"42{self.next_id}" + json.dumps([event, data]))
        return await asyncio.wait_for(future, timeout)

    async def close(self) -> None:
        if self.ws is not None:
            await self.ws.close()
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reader
