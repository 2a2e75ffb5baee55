"""Cross-process fan-out through Redis pub/sub, speaking msgpack instead of JSON/pickle."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable, Coroutine
from typing import Any

import socketio

from plenary.codec import MsgpackAsJson

CHANNEL = "plenary"
MAX_BACKOFF_S = 5.0


class MsgpackRedisManager(socketio.AsyncRedisManager):  # type: ignore[misc]
    """python-socketio's Redis manager with msgpack on the wire and a louder, faster
    recovery.

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
        self._hook_tasks: set[asyncio.Task[None]] = set()
        self.resubscriptions = 0
        self._log = logger

    def set_server(self, server: Any) -> None:
        super().set_server(server)
        # BaseManager.set_server() replaces ``self.json`` with the packet JSON module,
        # silently undoing the ``json=`` argument; put the msgpack codec back.
        self.json = MsgpackAsJson

    async def _redis_listen_with_retries(self) -> AsyncIterator[Any]:
        """Like python-socketio's, with the backoff capped at 5 s instead of 60 and a
        hook after every re-subscribe."""
        backoff = 0.5
        subscribed = False
        ever_subscribed = False
        while True:
            try:
                if not subscribed:
                    self._redis_connect()
                    await self.pubsub.subscribe(self.channel)
                    subscribed = True
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
                subscribed = False
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, MAX_BACKOFF_S)
