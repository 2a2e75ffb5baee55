"""The wire: Socket.IO and engine.io as Plenary speaks them, at the speed of a raw
websocket server. This is the code that subclasses python-socketio and python-engineio
and overrides their internals (guarded by ``tests/test_upstream_guard.py``); the rest of
the server reaches it only through what this module exports:

* :func:`create_socket_server` -- the Socket.IO server for the settings (one process, or
  many on one Redis), and :func:`attach_services` to give it the app's metrics and
  connection admission;
* :class:`SocketServer` -- that server: python-socketio's ``AsyncServer`` API (``on``,
  ``emit``, ``attach``, ``manager``...) plus :meth:`SocketServer.after_connect`;
* :class:`ClientManager` -- its client manager: rooms, personal messages
  (``emit_packets``, ``emit_frames``, ``publish_each``, ``publish_shared``; each
  encoded once by :func:`event_packet`, or spliced by :func:`stamped_frames` and
  :func:`merged_frames`), and
  the events a process follows (``follow``, ``unfollow``: in scaled mode, the event's
  Redis channel), with hooks for resyncing clients. Both modes have the same
  interface: nothing outside tests which one it is.

Inside: ``engine.py`` and ``socket.py`` (engine.io server and socket, packets written
straight to the websocket), ``server.py`` (the Socket.IO server), ``manager.py`` (one
process) and ``redis_manager.py`` (many processes on one Redis), ``frames.py`` and
``packet_json.py`` (encoding), ``frameguard.py`` (refusing binary, malformed and
flooding clients).
"""

from __future__ import annotations

import logging
from typing import Any

from plenary.metrics import Metrics
from plenary.realtime.wire.engine import SessionAdmission
from plenary.realtime.wire.frames import (
    PlenaryPacket,
    event_packet,
    merged_frames,
    packet_frame,
    stamped_frames,
)
from plenary.realtime.wire.manager import Followup
from plenary.realtime.wire.manager import LocalManager as ClientManager
from plenary.realtime.wire.packet_json import PacketJson
from plenary.realtime.wire.redis_manager import RedisManager
from plenary.realtime.wire.server import PlenaryServer as SocketServer
from plenary.settings import Settings

__all__ = [
    "ClientManager",
    "Followup",
    "SessionAdmission",
    "SocketServer",
    "attach_services",
    "create_socket_server",
    "event_packet",
    "merged_frames",
    "packet_frame",
    "stamped_frames",
]


def create_socket_server(settings: Settings) -> SocketServer:
    """The Socket.IO server: python-socketio's, on the wire layer's engine.io server,
    with the Redis manager in scaled mode."""
    # python-socketio logs every emit at INFO: keep its warnings and errors only. Its
    # engine.io server gets a logger of ours too: given none, engineio adds a handler of
    # its own to its logger, and every error is printed twice, once not as JSON.
    level = max(logging.WARNING, logging.getLogger().getEffectiveLevel())
    sio_logger = logging.getLogger("plenary.socketio")
    sio_logger.setLevel(level)
    eio_logger = logging.getLogger("plenary.engineio")
    eio_logger.setLevel(level)
    manager: ClientManager
    if settings.redis_url:
        manager = RedisManager(settings.redis_url, logger=sio_logger)
    else:
        manager = ClientManager()
    origins: Any = list(settings.cors_allowed_origins)
    if origins == ["*"]:
        origins = "*"
    return SocketServer(
        async_mode="aiohttp",
        client_manager=manager,
        serializer=PlenaryPacket,
        json=PacketJson,
        # Each connection's events are handled in order by its own reader (the
        # connection's aiohttp handler task), not in a new task per event: handlers
        # never wait for the same client, so one slow handler delays only its sender.
        async_handlers=False,
        cors_allowed_origins=origins,
        max_http_buffer_size=settings.limits.max_payload_bytes,
        transports=settings.engineio_transports,
        logger=sio_logger,
        engineio_logger=eio_logger,
        limits=settings.limits,
    )


def attach_services(
    server: SocketServer,
    metrics: Metrics,
    admission: SessionAdmission,
    connect_timeout_s: float,
) -> None:
    """Give the server the app's metrics, and charge every new engine.io session to its
    IP address's connection limit (``admission``), closing it if it has not joined (a
    Socket.IO connection on it) within ``connect_timeout_s``."""
    eio = server.eio
    eio.frame_watch.metrics = metrics  # refused client frames (frameguard.py)
    server.manager.metrics = metrics
    eio.admission = admission
    eio.connect_timeout_s = connect_timeout_s
    manager = server.manager
    eio.joined = lambda eio_sid: manager.sid_from_eio_sid(eio_sid, "/") is not None
