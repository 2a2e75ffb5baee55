"""Cross-process fan-out through Redis pub/sub, speaking msgpack instead of JSON/pickle."""

from __future__ import annotations

import logging
from typing import Any

import socketio

from plenary.codec import MsgpackAsJson

CHANNEL = "plenary"


class MsgpackRedisManager(socketio.AsyncRedisManager):  # type: ignore[misc]
    """python-socketio's Redis manager with msgpack on the wire.

    ``socket_timeout`` is deliberately absent from the Redis options: an idle
    ``listen()`` would time out and resubscribe in a storm. ``health_check_interval``
    detects dead connections instead.
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

    def set_server(self, server: Any) -> None:
        super().set_server(server)
        # BaseManager.set_server() replaces ``self.json`` with the packet JSON module,
        # silently undoing the ``json=`` argument; put the msgpack codec back.
        self.json = MsgpackAsJson
