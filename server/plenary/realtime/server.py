"""The Socket.IO server: python-socketio's ``AsyncServer`` on the fast engine.io server
of :mod:`plenary.realtime.fastpath`, writing packets to websocket clients directly, and
answering client events that have no handler with an error ack instead of silence."""

from __future__ import annotations

from typing import Any

import socketio
from socketio import packet as sio_packet

from plenary.errors import bad_request
from plenary.realtime.fastpath import FastEngineIOServer, FastSocket, message_frame


class PlenaryServer(socketio.AsyncServer):  # type: ignore[misc]
    """python-socketio's server on :class:`FastEngineIOServer`, writing packets to a
    websocket client directly."""

    reserved_events: list[str]
    handlers: dict[str, dict[str, Any]]

    def _engineio_server_class(self) -> type[FastEngineIOServer]:
        return FastEngineIOServer

    async def _send_packet(self, eio_sid: str, pkt: sio_packet.Packet) -> None:
        encoded = pkt.encode()
        if isinstance(encoded, str):
            socket = self.eio.sockets.get(eio_sid)
            if isinstance(socket, FastSocket) and socket.transport is not None:
                if not socket.closed and await socket.check_ping_timeout():
                    socket.write_frame(message_frame(encoded))
                return
            await self.eio.send(eio_sid, encoded)
            return
        for part in encoded:  # binary attachments
            await self.eio.send(eio_sid, part)

    async def _handle_event(
        self, eio_sid: str, namespace: str | None, id: int | None, data: Any
    ) -> None:
        """A client event. python-socketio would call the ``connect`` or ``disconnect``
        handler for a client event of that name (with the client's arguments: a client
        could end its own session, or authenticate again with made-up request data),
        fail on an empty event, and leave an unknown event unanswered. Here all of
        them get an error ack, if the client asked for one, and change nothing."""
        namespace = namespace or "/"
        name = data[0] if isinstance(data, list) and data else None
        if (
            not isinstance(name, str)
            or name in self.reserved_events
            or name not in self.handlers.get(namespace, {})
        ):
            if id is not None:
                shown = repr(name)[:40] if name is not None else "none"
                error = bad_request(f"Unknown event {shown}; see docs/protocol.md for the list.")
                ack = self.packet_class(
                    sio_packet.ACK, namespace=namespace, id=id, data=[error.to_ack()]
                )
                await self._send_packet(eio_sid, ack)
            return
        await super()._handle_event(eio_sid, namespace, id, data)
