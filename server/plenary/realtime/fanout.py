"""Cross-process fan-out through Redis pub/sub: msgpack on the wire, one channel per event.

python-socketio's ``AsyncRedisManager`` publishes everything on one channel, so every
process decodes every broadcast of every event and drops those for rooms it has no
clients in (Open WebUI measured a third of its CPU there). Here, emits to an event's
rooms go on that event's channel (``plenary:<CODE>``) and a process subscribes only to
the channels of events it has clients of; everything else (disconnects, room changes
of remote sockets, callbacks) stays on the shared ``plenary`` channel.
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from collections.abc import AsyncIterator, Callable, Coroutine, Mapping
from typing import Any

import socketio

from plenary.codec import MsgpackAsJson
from plenary.metrics import Metrics
from plenary.realtime import rooms
from plenary.realtime.fastpath import FastManager

CHANNEL = "plenary"
MAX_BACKOFF_S = 5.0
SUBSCRIBE_CONFIRM_TIMEOUT_S = 2.0
#: A batch of personal messages (``Broadcaster.to_each``) for the other processes.
EACH = "plenary:each"
#: Personal messages per pub/sub message: a few hundred KiB at most, far below Redis'
#: ``client-output-buffer-limit pubsub`` (a subscriber is dropped past 8 MiB).
EACH_CHUNK = 250

DeliverEach = Callable[[str, str, Mapping[str, dict[str, Any]], int], Coroutine[Any, Any, int]]


def event_channel(code: str) -> str:
    return f"{CHANNEL}:{code}"


class PlenaryRedisManager(socketio.AsyncRedisManager, FastManager):  # type: ignore[misc]
    """python-socketio's Redis manager with msgpack, a channel per event and a louder,
    faster recovery. Local delivery (of this process's emits and of those that come
    from Redis) is :class:`FastManager`'s: it comes after the pub/sub layer in the
    method resolution order, where python-socketio's ``AsyncManager`` would be.

    ``socket_timeout`` is deliberately absent from the Redis options: an idle
    ``listen()`` would time out and resubscribe in a storm. ``health_check_interval``
    detects dead connections instead. Pub/sub is fire-and-forget, so whatever was
    published while this process was not subscribed is lost: after every re-subscribe
    ``on_resubscribe`` runs, and the app uses it to send every local client a fresh
    state snapshot.
    """

    def __init__(self, url: str, logger: logging.Logger, **kwargs: Any) -> None:
        super().__init__(
            url,
            channel=CHANNEL,
            logger=logger,
            json=MsgpackAsJson,
            redis_options={"socket_connect_timeout": 2, "health_check_interval": 10},
            **kwargs,
        )
        self.on_resubscribe: Callable[[], Coroutine[Any, Any, None]] | None = None
        #: Delivers a batch of personal messages to this process's attendees.
        self.on_each: DeliverEach | None = None
        self.resubscriptions = 0
        self.metrics: Metrics | None = None
        self._log = logger
        self._hook_tasks: set[asyncio.Task[None]] = set()
        self._followers: Counter[str] = Counter()  # event code -> local sockets
        self._confirmed: dict[str, asyncio.Event] = {}
        self._subscribed = False

    def set_server(self, server: Any) -> None:
        super().set_server(server)
        # BaseManager.set_server() replaces ``self.json`` with the packet JSON module,
        # silently undoing the ``json=`` argument; put the msgpack codec back.
        self.json = MsgpackAsJson

    # -- which channel -----------------------------------------------------------
    def channel_for(self, message: dict[str, Any]) -> str:
        """Emits to an event's rooms go on the event's channel; the rest is shared."""
        method = message.get("method")
        if method == "emit":
            code = rooms.event_of(message.get("room"))
            if code is not None:
                return event_channel(code)
        elif method == EACH:
            return event_channel(str(message["code"]))
        return str(self.channel)

    async def follow(self, code: str) -> None:
        """A local client of ``code`` connected: listen to its channel (and wait until
        Redis confirms, so that no broadcast after this call is missed)."""
        self._followers[code] += 1
        channel = event_channel(code)
        confirmed = self._confirmed.setdefault(channel, asyncio.Event())
        if self._followers[code] == 1:
            confirmed.clear()
            if self._subscribed:
                await self.pubsub.subscribe(channel)
        if not confirmed.is_set():
            try:
                await asyncio.wait_for(confirmed.wait(), SUBSCRIBE_CONFIRM_TIMEOUT_S)
            except TimeoutError:
                self._log.warning("subscription to %s not confirmed yet", channel)

    async def unfollow(self, code: str) -> None:
        """A local client of ``code`` left: stop listening when it was the last one."""
        self._followers[code] -= 1
        if self._followers[code] > 0:
            return
        del self._followers[code]
        channel = event_channel(code)
        self._confirmed.pop(channel, None)
        if self._subscribed:
            try:
                await self.pubsub.unsubscribe(channel)
            except Exception as exc:  # the next resubscribe leaves it out anyway
                self._log.warning("unsubscribe from %s failed: %s", channel, exc)

    def followed_channels(self) -> list[str]:
        return [event_channel(code) for code in self._followers]

    # -- publishing -----------------------------------------------------------------
    async def publish_each(
        self, code: str, event: str, per_attendee: Mapping[str, dict[str, Any]], ts: int
    ) -> None:
        """Send a batch of personal messages to the other processes following ``code``
        (each delivers to its own attendees), in messages of :data:`EACH_CHUNK`."""
        items = list(per_attendee.items())
        for start in range(0, len(items), EACH_CHUNK):
            await self._publish(
                {
                    "method": EACH,
                    "code": code,
                    "event": event,
                    "ts": ts,
                    "items": dict(items[start : start + EACH_CHUNK]),
                    "host_id": self.host_id,
                }
            )

    async def _handle_each(self, message: dict[str, Any]) -> None:
        if message.get("host_id") == self.host_id or self.on_each is None:
            return
        try:
            await self.on_each(message["code"], message["event"], message["items"], message["ts"])
        except asyncio.CancelledError:
            raise
        except Exception:
            self._log.exception("delivering personal messages from redis failed")

    async def _publish(self, data: Any) -> Any:
        channel = self.channel_for(data)
        for retries_left in (1, 0):
            try:
                if not self.connected:  # type: ignore[has-type]
                    self._redis_connect()
                result = await self.redis.publish(channel, self.json.dumps(data))
                if self.metrics is not None:
                    self.metrics.pubsub_messages.labels("out").inc()
                return result
            except Exception as exc:
                self.connected = False
                if retries_left:
                    self._log.warning("cannot publish to redis (%s); retrying", exc)
                else:
                    # Lost for the other processes; they resync their clients when
                    # their own link comes back, and clients detect gaps by seq.
                    self._log.error("cannot publish to redis (%s); giving up", exc)
        return None

    # -- listening ------------------------------------------------------------------
    def _redis_connect(self) -> None:
        super()._redis_connect()
        # Subscribe confirmations are needed to know when a followed channel is live.
        self.pubsub = self.redis.pubsub(ignore_subscribe_messages=False)

    async def _redis_listen_with_retries(self) -> AsyncIterator[Any]:
        """Like python-socketio's, with the backoff capped at 5 s instead of 60, the
        event channels re-subscribed, and a hook after every re-subscribe."""
        backoff = 0.5
        ever_subscribed = False
        while True:
            try:
                if not self._subscribed:
                    self._redis_connect()
                    await self.pubsub.subscribe(self.channel, *self.followed_channels())
                    self._subscribed = True
                    backoff = 0.5
                    if ever_subscribed:
                        self.resubscriptions += 1
                        self._log.warning("redis pub/sub link regained; resyncing clients")
                        if self.on_resubscribe is not None:
                            task = asyncio.get_running_loop().create_task(self.on_resubscribe())
                            self._hook_tasks.add(task)
                            task.add_done_callback(self._hook_tasks.discard)
                    ever_subscribed = True
                async for message in self.pubsub.listen():
                    yield message
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                self._log.warning("redis pub/sub link lost (%s); retrying in %.1fs", exc, backoff)
                self._subscribed = False
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, MAX_BACKOFF_S)

    async def _listen(self) -> AsyncIterator[Any]:
        prefix = CHANNEL.encode()
        async for message in self._redis_listen_with_retries():
            channel = message.get("channel", b"")
            if not channel.startswith(prefix):
                continue
            if message["type"] == "subscribe":
                confirmed = self._confirmed.get(channel.decode())
                if confirmed is not None:
                    confirmed.set()
            elif message["type"] == "message" and "data" in message:
                if self.metrics is not None:
                    self.metrics.pubsub_messages.labels("in").inc()
                try:
                    data = self.json.loads(message["data"])
                except Exception:
                    self._log.warning("undecodable pub/sub message on %r", channel)
                    continue
                if isinstance(data, dict) and data.get("method") == EACH:
                    await self._handle_each(data)
                    continue
                yield data  # python-socketio's listener takes decoded messages as they are
