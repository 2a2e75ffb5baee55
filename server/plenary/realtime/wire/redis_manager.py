"""Cross-process fan-out through Redis pub/sub: msgpack on the wire, one channel per
room of each event.

python-socketio's ``AsyncRedisManager`` publishes everything on one channel, so every
process decodes every broadcast of every event and drops those for audiences it has no
clients in (Open WebUI measured a third of its CPU there). Here, emits to a scope's
audiences (one room of an event, :mod:`plenary.scopes`; the event code for its main
room) go on that scope's channel (``plenary:<CODE>``, ``plenary:<CODE>/<ROOM>``) and a
process subscribes only to the channels of scopes it has clients in; everything else
(disconnects, audience changes of remote sockets, callbacks) stays on the shared
``plenary`` channel. In this module ``code`` names a scope.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import Counter
from collections.abc import AsyncIterator, Callable, Coroutine, Mapping
from typing import Any

import socketio

from plenary.codec import MsgpackAsJson
from plenary.errors import StoreUnavailable
from plenary.outage import Outage
from plenary.realtime import audiences
from plenary.realtime.wire.manager import Followup, LocalManager
from plenary.tasks import TaskOwner

CHANNEL = "plenary"
MAX_BACKOFF_S = 5.0
#: How long a connecting client waits for its event's channel to be confirmed before it
#: is refused with ``unavailable`` (it retries).
SUBSCRIBE_CONFIRM_TIMEOUT_S = 2.0
#: How often the watchdog looks for followed channels that Redis has not confirmed, and
#: how long a SUBSCRIBE may stay unconfirmed before it is sent again.
WATCH_INTERVAL_S = 1.0
RESUBSCRIBE_AFTER_S = 2.0
#: A batch of personal messages (``Broadcaster.to_each``) for the other processes.
EACH = "plenary:each"
#: Bytes of personal messages per pub/sub message: one message for a thousand quiz
#: results, a few for a thousand cafe tables; far below Redis'
#: ``client-output-buffer-limit pubsub`` (a subscriber is dropped past 8 MiB).
EACH_CHUNK_BYTES = 256 * 1024
#: The data a batch of personal messages is made of (``Broadcaster.to_each_shared``):
#: every process builds its own attendees' messages from it.
SHARED = "plenary:shared"
#: Personal batches go out as this byte (never the first of a msgpack value), the
#: sender's host id's length and the host id, then the msgpack message: every process
#: gets its own batches back from Redis (up to a megabyte) and drops them undecoded.
PERSONAL_MARK = b"\xc1"


def event_channel(code: str) -> str:
    return f"{CHANNEL}:{code}"


class ChannelNotLive(StoreUnavailable):
    """Redis did not confirm the subscription to an event's channel in time: a client
    admitted now could miss broadcasts, so it is refused (``unavailable``) and retries."""


class RedisManager(socketio.AsyncRedisManager, LocalManager):  # type: ignore[misc]
    """python-socketio's Redis manager with msgpack, a channel per event and a louder,
    faster recovery. Local delivery (of this process's emits and of those that come
    from Redis) is :class:`LocalManager`'s: it comes after the pub/sub layer in the
    method resolution order, where python-socketio's ``AsyncManager`` would be.

    ``socket_timeout`` is deliberately absent from the Redis options: an idle
    ``listen()`` would time out and resubscribe in a storm. ``health_check_interval``
    detects dead connections instead. Pub/sub is fire-and-forget, so whatever was
    published while this process was not subscribed is lost: whenever the link comes
    back ``on_resubscribe`` runs, and the app uses it to send every local client a
    fresh state snapshot.

    Which event channels are live is known only from Redis' confirmations on the
    listener's own connection (``_confirmed``), never assumed from a SUBSCRIBE having
    been sent: a client is admitted only once its event's channel is confirmed, and a
    watchdog subscribes again to any followed channel that stays unconfirmed (then
    resyncs that event's clients through ``on_resync_event``). Only the listener
    creates the pub/sub connection; publishing never replaces it.
    """

    #: redis-py's clients (the package's types are not used here)
    redis: Any
    pubsub: Any

    def __init__(self, url: str, logger: logging.Logger, **kwargs: Any) -> None:
        super().__init__(
            url,
            channel=CHANNEL,
            logger=logger,
            json=MsgpackAsJson,
            redis_options={"socket_connect_timeout": 2, "health_check_interval": 10},
            **kwargs,
        )
        self.resubscriptions = 0
        self._log = logger
        self._hooks = TaskOwner("pubsub-hooks")
        self._watchdog = TaskOwner("pubsub-watchdog")
        self._followers: Counter[str] = Counter()  # event code -> local sockets
        #: channel -> set while Redis has confirmed it on the listener's connection
        self._confirmed: dict[str, asyncio.Event] = {}
        #: channel -> loop time a SUBSCRIBE for it was sent and not yet confirmed
        self._requested: dict[str, float] = {}
        #: events whose clients may have missed broadcasts: resync once confirmed
        self._healing: set[str] = set()
        self._subscribed = False  # the listener's link is up
        self._linked_before = False  # the shared channel was confirmed once already
        self.pubsub_outage = Outage("redis pub/sub", logger)
        self.publish_outage = Outage("redis publish", logger)
        host = self.host_id.encode()
        self._own_mark = PERSONAL_MARK + bytes((len(host),)) + host

    def set_server(self, server: Any) -> None:
        super().set_server(server)
        # BaseManager.set_server() replaces ``self.json`` with the packet JSON module,
        # silently undoing the ``json=`` argument; put the msgpack codec back.
        self.json = MsgpackAsJson

    def initialize(self) -> None:
        super().initialize()
        self._watchdog.spawn(self._watch(), name="pubsub-watchdog")

    async def stop(self) -> None:
        """Stop the listener, the watchdog and the hooks they started."""
        listener = getattr(self, "thread", None)
        if listener is not None:
            listener.cancel()
            with contextlib.suppress(BaseException):
                await listener
        await self._watchdog.stop()
        await self._hooks.stop()

    # -- which channel -----------------------------------------------------------
    def channel_for(self, message: dict[str, Any]) -> str:
        """Emits to a scope's audiences go on the scope's channel; the rest is shared."""
        method = message.get("method")
        if method == "emit":
            code = audiences.scope_of(message.get("room"))
            if code is not None:
                return event_channel(code)
        elif method in (EACH, SHARED):
            return event_channel(str(message["code"]))
        return str(self.channel)

    async def follow(self, code: str) -> None:
        """A local client of ``code`` is connecting: listen to its channel, and return
        once Redis confirms it, so that no broadcast after this call is missed. Raises
        :class:`ChannelNotLive` (and counts nothing) when it is not confirmed in time."""
        self._followers[code] += 1
        channel = event_channel(code)
        confirmed = self._confirmed.setdefault(channel, asyncio.Event())
        if confirmed.is_set():
            return
        if self._subscribed and channel not in self._requested:
            await self._subscribe(channel)
        # Not subscribed yet (the link is being opened): the listener subscribes to
        # every followed channel once it is up.
        try:
            await asyncio.wait_for(confirmed.wait(), SUBSCRIBE_CONFIRM_TIMEOUT_S)
        except TimeoutError:
            await self.unfollow(code)
            if self.metrics is not None:
                self.metrics.pubsub_unconfirmed.inc()
            raise ChannelNotLive(f"subscription to {channel} not confirmed") from None

    async def unfollow(self, code: str) -> None:
        """A local client of ``code`` left: stop listening when it was the last one."""
        self._followers[code] -= 1
        if self._followers[code] > 0:
            return
        del self._followers[code]
        channel = event_channel(code)
        self._confirmed.pop(channel, None)
        self._requested.pop(channel, None)
        self._healing.discard(code)
        if self._subscribed:
            try:
                await self.pubsub.unsubscribe(channel)
            except Exception as exc:  # the next link leaves it out anyway
                self._log.info("unsubscribe from %s failed: %s", channel, exc)

    def followed_channels(self) -> list[str]:
        return [event_channel(code) for code in self._followers]

    def live_channels(self) -> list[str]:
        """Followed channels that Redis has confirmed on the listener's connection."""
        return [c for c in self.followed_channels() if self._confirmed[c].is_set()]

    async def _subscribe(self, *channels: str) -> None:
        """Send a SUBSCRIBE on the listener's connection; the confirmation arrives through
        the listener (:meth:`_on_confirmation`). A failure is left to the listener, which
        notices the broken link, and to the watchdog."""
        now = asyncio.get_running_loop().time()
        for channel in channels:
            self._requested[channel] = now
        try:
            await self.pubsub.subscribe(*channels)
        except Exception as exc:
            self.pubsub_outage.failed(exc)

    def _on_confirmation(self, kind: str, channel: str) -> None:
        """Redis confirmed a SUBSCRIBE or UNSUBSCRIBE on the listener's connection."""
        if channel == self.channel:
            if kind == "subscribe":
                # The shared channel is subscribed once per connection, so seeing it
                # again means the link was re-established (by the listener, or by
                # redis-py reconnecting under it): broadcasts in between were lost.
                if self._linked_before:
                    self._link_regained()
                self._linked_before = True
            return
        code = channel.removeprefix(CHANNEL + ":")
        confirmed = self._confirmed.get(channel)
        if confirmed is None:  # not followed (any more)
            return
        if kind == "subscribe":
            self._requested.pop(channel, None)
            confirmed.set()
            if code in self._healing:
                self._healing.discard(code)
                self._run_hook(self.on_resync_event, code)
        elif channel not in self._requested:
            # Unsubscribed while clients still follow it (an UNSUBSCRIBE of the last
            # client that left overtook the SUBSCRIBE of one that came): subscribe again,
            # then resync the event's clients.
            confirmed.clear()
            self._healing.add(code)
            self._hooks.spawn(self._subscribe(channel), name=f"resubscribe:{channel}")

    def _link_regained(self) -> None:
        self.resubscriptions += 1
        self._log.warning("redis pub/sub link regained; resyncing clients")
        self._run_hook(self.on_resubscribe)

    def _run_hook(self, hook: Callable[..., Coroutine[Any, Any, None]] | None, *args: Any) -> None:
        if hook is not None:
            self._hooks.spawn(hook(*args), name="pubsub-hook")

    async def _watch(self) -> None:
        """Every second: subscribe again to followed channels that Redis has not
        confirmed for a while; their clients get a fresh state once they are live."""
        while True:
            await asyncio.sleep(WATCH_INTERVAL_S)
            try:
                self._heal()
            except asyncio.CancelledError:
                raise
            except Exception:  # a bug here must not end the watch
                self._log.exception("pub/sub watchdog failed")

    def _heal(self) -> None:
        if not self._subscribed:
            return
        now = asyncio.get_running_loop().time()
        stale = [
            channel
            for channel in self.followed_channels()
            if not self._confirmed[channel].is_set()
            and now - self._requested.get(channel, -RESUBSCRIBE_AFTER_S) >= RESUBSCRIBE_AFTER_S
        ]
        if not stale:
            return
        self._log.warning("re-subscribing to %d event channels not confirmed by redis", len(stale))
        if self.metrics is not None:
            self.metrics.pubsub_resubscribes.inc(len(stale))
        for channel in stale:
            self._healing.add(channel.removeprefix(CHANNEL + ":"))
        self._hooks.spawn(self._subscribe(*stale), name="resubscribe")

    # -- publishing -----------------------------------------------------------------
    async def publish_each(self, code: str, event: str, packets: Mapping[str, bytes]) -> None:
        """Send a batch of personal messages to the other processes following ``code``
        (each delivers to its own attendees), in messages of about :data:`EACH_CHUNK_BYTES`. They
        cross Redis encoded (attendee id -> Socket.IO packet bytes), so that the
        receiving process only writes them: decoding and re-encoding a thousand
        nested payloads there took longer than the local delivery itself."""
        chunk: dict[str, bytes] = {}
        size = 0
        for attendee_id, packet in packets.items():
            chunk[attendee_id] = packet
            size += len(packet)
            if size >= EACH_CHUNK_BYTES:
                await self._publish_chunk(code, event, chunk)
                chunk, size = {}, 0
        if chunk:
            await self._publish_chunk(code, event, chunk)

    async def _publish_chunk(self, code: str, event: str, chunk: dict[str, bytes]) -> None:
        await self._publish(
            {
                "method": EACH,
                "code": code,
                "event": event,
                "packets": chunk,
            }
        )

    async def publish_shared(
        self, code: str, event: str, shared: Any, ts: int, then: Followup | None = None
    ) -> None:
        """Send the other processes following ``code`` the data a batch of personal
        messages is made of, in one message: each builds and writes its own attendees'
        messages, so the batch costs Redis and every process what one broadcast of that
        data costs, however many attendees it reaches."""
        await self._publish(
            {
                "method": SHARED,
                "code": code,
                "event": event,
                "shared": shared,
                "ts": ts,
                "then": then,
            }
        )

    async def _handle_personal(self, message: dict[str, Any]) -> None:
        """A batch of personal messages from another process (this process's own are
        dropped by their mark, undecoded): encoded (``EACH``) or as the data they are
        made of (``SHARED``)."""
        try:
            if message["method"] == EACH:
                if self.on_each is not None:
                    await self.on_each(message["code"], message["event"], message["packets"])
            elif self.on_shared is not None:
                await self.on_shared(
                    message["code"],
                    message["event"],
                    message["shared"],
                    message["ts"],
                    message.get("then"),
                )
        except asyncio.CancelledError:
            raise
        except Exception:
            self._log.exception("delivering personal messages from redis failed")

    async def _publish(self, data: Any) -> Any:
        channel = self.channel_for(data)
        encoded = self.json.dumps(data)
        if data.get("method") in (EACH, SHARED):
            encoded = self._own_mark + encoded
        for retries_left in (1, 0):
            try:
                if self.redis is None:
                    self._redis_connect()
                result = await self.redis.publish(channel, encoded)
                self.publish_outage.ok()
                if self.metrics is not None:
                    self.metrics.pubsub_messages.labels("out").inc()
                return result
            except Exception as exc:
                # redis-py's client reconnects by itself on the next command; the
                # listener's connection is not touched (replacing it here once left
                # later subscriptions on a connection nobody read).
                if not retries_left:
                    # Lost for the other processes; they resync their clients when
                    # their own link comes back, and clients detect gaps by seq.
                    self.publish_outage.failed(exc)
                    if self.metrics is not None:
                        self.metrics.pubsub_publish_failures.inc()
        return None

    # -- listening ------------------------------------------------------------------
    def _redis_connect(self) -> None:
        """The Redis client, shared by publishing and the listener (its pool reconnects
        by itself). The listener's pub/sub connection is made by :meth:`_open_link`."""
        pubsub = getattr(self, "pubsub", None)
        super()._redis_connect()
        self.pubsub = pubsub  # python-socketio made a new one: keep the listener's

    async def _open_link(self) -> None:
        """A new pub/sub connection, subscribed to the shared channel and every followed
        event channel; channels followed while that was on its way are added after."""
        if self.redis is None:
            self._redis_connect()
        old = self.pubsub
        self.pubsub = self.redis.pubsub(ignore_subscribe_messages=False)
        if old is not None:
            with contextlib.suppress(Exception):
                await old.aclose()
        for confirmed in self._confirmed.values():
            confirmed.clear()
        self._requested.clear()
        channels = self.followed_channels()
        now = asyncio.get_running_loop().time()
        for channel in channels:
            self._requested[channel] = now
        await self.pubsub.subscribe(self.channel, *channels)
        self._subscribed = True
        missing = [c for c in self.followed_channels() if c not in self._requested]
        if missing:
            await self._subscribe(*missing)

    async def _redis_listen_with_retries(self) -> AsyncIterator[Any]:
        """Like python-socketio's, with the backoff capped at 5 s instead of 60, the
        event channels subscribed again, and one warning per outage."""
        backoff = 0.5
        while True:
            try:
                if not self._subscribed:
                    await self._open_link()
                    backoff = 0.5
                async for message in self.pubsub.listen():
                    yield message
                # listen() ends only when nothing is subscribed: open a new link.
                raise ConnectionError("pub/sub listen() ended")
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                self._subscribed = False
                self.pubsub_outage.failed(exc)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, MAX_BACKOFF_S)

    async def _listen(self) -> AsyncIterator[Any]:
        prefix = CHANNEL.encode()
        async for message in self._redis_listen_with_retries():
            channel = message.get("channel", b"")
            if not channel.startswith(prefix):
                continue
            kind = message["type"]
            if kind == "message" and "data" in message:
                if self.metrics is not None:
                    self.metrics.pubsub_messages.labels("in").inc()
                raw = message["data"]
                if raw[:1] == PERSONAL_MARK:
                    if raw.startswith(self._own_mark):
                        continue  # this process's own batch, back from Redis
                    raw = raw[2 + raw[1] :]
                try:
                    data = self.json.loads(raw)
                except Exception:
                    self._log.warning("undecodable pub/sub message on %r", channel)
                    continue
                if isinstance(data, dict) and data.get("method") in (EACH, SHARED):
                    await self._handle_personal(data)
                    continue
                yield data  # python-socketio's listener takes decoded messages as they are
            elif kind == "subscribe" or kind == "unsubscribe":
                self.pubsub_outage.ok()
                self._on_confirmation(kind, channel.decode())
