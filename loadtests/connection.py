"""What every Locust user of the load tests stands on: its Socket.IO connection and how
it is measured. One client per user, the lean client of :mod:`loadtests.wire` (the
default) or python-socketio's synchronous client (``--plenary-client socketio``,
:class:`MeasuredClient`), both over real websockets on gevent, like the rest of Locust;
our own bounded connecting and reconnecting (:class:`PlenaryUser`); the run's settings,
parsed once per process; the timeouts and attempt counts of both users.

The users themselves are :class:`loadtests.attendee.Attendee` and
:class:`loadtests.presenter.Presenter`. Every measurement is a Locust request event:

* ``JOIN attendee`` / ``JOIN attendee (resume)`` / ``JOIN presenter``: connect -> ``welcome``;
* ``RECONNECT attendee``: connection dropped -> ``welcome`` again (the attendee's outage);
* ``FANOUT <event>``: receipt time minus the broadcast's ``ts`` (same clock: same host,
  or NTP-synchronised hosts); the lean client takes the receipt time where the frame is
  read, python-socketio's when its handler is called;
* ``ACK <event>``: emit -> ack, failed when the ack is an error or does not come;
* ``CHECK ...``: resume kept the identity and the answer, a retried vote counted once,
  the welcome and ``room:enter`` put the attendee in its room;
* ``MISSED <event>`` (see :mod:`loadtests.coordination`) and ``SETUP ...`` failures.

No activity kind is named here (nor in the users' modules): what they do with a kind
comes from the kinds' registry (:mod:`loadtests.kinds`).
"""

from __future__ import annotations

import itertools
import logging
import random
import socket
import time
from collections.abc import Callable
from typing import Any

import engineio
import engineio.packet
import gevent
import gevent.event
import socketio
from locust import User, constant
from locust.env import Environment

from loadtests import names, recording
from loadtests.coordination import now_ms
from loadtests.settings import RunSettings, from_options
from loadtests.wire import REFUSED, LeanClient, PlenaryClient

log = logging.getLogger("plenary.loadtest")

JOIN_TIMEOUT_S = 10.0
ACK_TIMEOUT_S = 10.0
JOIN_ATTEMPTS = 3
RESUME_ATTEMPTS = 5
SEND_ATTEMPTS = 5
#: how long an attendee of a scenario with rooms waits for the programme before joining
PROGRAMME_TIMEOUT_S = 60.0
#: REST calls answered 429 (the per-IP limit of join-code lookups) are tried this often
REST_ATTEMPTS = 10

_settings: dict[int, RunSettings] = {}
_counter = itertools.count()


def forget_run_settings(environment: Environment) -> None:
    """Parse the ``--plenary-*`` options again next time (a web UI start changed them)."""
    _settings.pop(id(environment), None)


def run_settings(environment: Environment) -> RunSettings:
    """This process's :class:`RunSettings` (parsed once)."""
    cached = _settings.get(id(environment))
    if cached is None:
        cached = from_options(environment.parsed_options, environment.host)
        _settings[id(environment)] = cached
    return cached


def ack_error(ack: Any) -> tuple[str, str, dict[str, Any]]:
    """(code, message, error) of an error ack, or of something that is not an ack."""
    if not isinstance(ack, dict):
        return "bad_ack", f"not an ack: {ack!r}", {}
    error = ack.get("error") or {}
    return str(error.get("code", "unknown")), str(error.get("message", "")), error


class InlineEngineIOClient(engineio.Client):
    """python-engineio's synchronous client, handing each received message to
    python-socketio in the reader greenlet instead of starting a new thread (a new
    greenlet under gevent) per message. The handlers here never block, and this halves
    the load generator's CPU per received broadcast, which is what limits how many
    attendees one machine can simulate."""

    def _receive_packet(self, pkt: engineio.packet.Packet) -> None:
        if pkt.packet_type == engineio.packet.MESSAGE:
            handler = self.handlers.get("message")
            if handler is not None:
                try:
                    handler(pkt.data)
                except Exception:
                    self.logger.exception("message handler error")
            return
        super()._receive_packet(pkt)


class MeasuredClient(socketio.Client):
    """python-socketio's synchronous client (``--plenary-client socketio``) as a
    :class:`~loadtests.wire.PlenaryClient`: handlers get the receipt time (``now_ms()``
    when python-socketio calls them) after the data, websocket transport only, our own
    bounded reconnection (python-socketio's is off).

    Messages are dispatched inline (:class:`InlineEngineIOClient`), and websocket-client
    does not re-validate the UTF-8 of every text frame in pure Python (the server's JSON
    is checked by the JSON parser anyway): together about 3x less CPU per message."""

    def __init__(self) -> None:
        super().__init__(
            reconnection=False,
            handle_sigint=False,
            websocket_extra_options={"skip_utf8_validation": True},
        )

    def _engineio_client_class(self) -> type[engineio.Client]:
        return InlineEngineIOClient

    def on(self, event: str, handler: Callable[..., None]) -> None:
        if event == "*":

            def catch_all(name: str, data: Any = None, *_: Any) -> None:
                handler(name, data, now_ms())

            super().on(event, catch_all)
        else:
            super().on(event, lambda data=None, *_: handler(data, now_ms()))

    ack_received = 0.0

    def call(self, event: str, data: Any = None, timeout: float = 60) -> Any:
        ack = super().call(event, data, timeout=timeout)
        self.ack_received = now_ms()  # when python-socketio hands it over
        return ack

    @property
    def closed(self) -> bool:
        # After a dropped transport, python-socketio resets its state a moment later.
        return bool(self.eio.state == "disconnected" and not self.connected)

    def sever(self) -> None:
        sock = getattr(getattr(self.eio, "ws", None), "sock", None)
        if sock is not None:
            sock.shutdown(socket.SHUT_RDWR)


#: ``--plenary-client``: the Socket.IO client of every connection of the users
CLIENTS: dict[str, Callable[[], PlenaryClient]] = {
    "lean": LeanClient,
    "socketio": MeasuredClient,
}


class PlenaryUser(User):
    """Shared plumbing: one Socket.IO client per user (:data:`CLIENTS`), our own bounded
    reconnection, measurements."""

    abstract = True
    wait_time = constant(0)
    sio: PlenaryClient

    def __init__(self, environment: Environment) -> None:
        super().__init__(environment)
        self.cfg = run_settings(environment)
        self.recorder = recording.recorder(environment)
        self.sio = self.new_client()
        self.index = next(_counter)
        self.rng = random.Random()
        self.worker = max(0, getattr(environment.runner, "worker_index", 0) or 0)
        self.url = self.cfg.urls[(self.index + self.worker) % len(self.cfg.urls)]
        self.welcomed = gevent.event.Event()
        self.welcome_data: dict[str, Any] = {}
        self.stopping = False
        # Broadcasts without a handler of their own are still measured.
        self.sio.on("*", self._on_other)
        self.sio.on("welcome", self._on_welcome)
        self.sio.on("error", self._on_error)
        self.sio.on("connect_error", self._on_connect_error)

    def new_client(self) -> PlenaryClient:
        """A client of the run's kind (``--plenary-client``); a refused frame or packet
        (binary, malformed: Plenary sends none) is a failed ``CHECK``."""
        client = CLIENTS[self.cfg.client]()
        client.on(REFUSED, self._on_refused)
        if isinstance(client, LeanClient):
            # The lean client times a frame where it is read: slow its reads.
            client.read_delay_s = self.cfg.handler_delay_s
            self._handler_delay_s = 0.0
        else:
            self._handler_delay_s = self.cfg.handler_delay_s
        return client

    # -- measurements ------------------------------------------------------------
    def fire(
        self,
        request_type: str,
        name: str,
        response_time: float,
        error: str | None = None,
    ) -> None:
        """One Locust request event (a failure when ``error`` is given), handed to
        Locust's statistics a moment later (:mod:`loadtests.recording`)."""
        self.recorder.add(request_type, name, response_time, error)

    def fanout(self, event: str, data: Any, received: float) -> float:
        """Measure a broadcast's fan-out latency from its receipt time (epoch ms, as the
        client gives it to the handler); returns that time."""
        if self._handler_delay_s:
            # Tests only: a generator too slow to keep up. The sleep holds this user's
            # reader (gevent's sleep, under Locust), so the frames that come meanwhile
            # are read, and timed, late.
            time.sleep(self._handler_delay_s)
        if isinstance(data, dict) and isinstance(data.get("ts"), int | float):
            self.fire(names.FANOUT, event + self.fanout_suffix, max(0.0, received - data["ts"]))
        return received

    fanout_suffix = ""
    #: Tests only (``--handler-delay-ms``) with python-socketio's client, which times a
    #: message when its handler is called (the lean client's reads are slowed instead).
    _handler_delay_s = 0.0

    def _on_other(self, event: str, data: Any, received: float) -> None:
        self.fanout(event, data, received)

    def _on_error(self, data: Any, received: float) -> None:
        self.fire(names.CHECK, "server error message", 0, f"server sent error: {data!r}")

    def _on_refused(self, what: Any, received: float) -> None:
        self.fire(names.CHECK, "text frames only", 0, f"refused: {what}")

    def _on_welcome(self, data: Any, received: float) -> None:
        self.welcome_data = data if isinstance(data, dict) else {}
        self.on_welcome(received)
        self.welcomed.set()

    def on_welcome(self, received: float) -> None:
        """Hook: a ``welcome`` arrived (runs in the client's reader greenlet)."""

    # -- connecting --------------------------------------------------------------
    def auth(self) -> dict[str, Any]:
        raise NotImplementedError

    @property
    def connected(self) -> bool:
        return bool(self.sio.connected)

    def connect_once(self, entry: str, since: float | None = None) -> float | None:
        """Connect and wait for ``welcome``; returns the welcome's receipt time, or None
        after recording the failure (a refusal's ``retry_after_ms`` is then in
        :attr:`retry_after_s`). The join time is counted from ``since`` (the first
        attempt) when given, so retries show in it."""
        self.welcomed.clear()
        self.refusal = None
        self.retry_after_s = None
        if self.sio.connected:  # a connection without a welcome, from a previous attempt
            self.disconnect()
        self._wait_disconnected()
        started = now_ms()
        try:
            self.sio.connect(
                self.url,
                auth=self.auth(),
                transports=["websocket"],
                wait_timeout=JOIN_TIMEOUT_S,
            )
        except (socketio.exceptions.ConnectionError, ValueError) as exc:
            refusal = self.refusal if isinstance(self.refusal, dict) else {}
            if "retry_after_ms" in refusal:
                self.retry_after_s = float(refusal["retry_after_ms"]) / 1000
            reason = f"refused: {refusal.get('code')}" if refusal else f"connect failed: {exc}"
            self.fire(names.JOIN, entry, now_ms() - started, reason)
            return None
        if not self.welcomed.wait(timeout=max(0.1, JOIN_TIMEOUT_S - (now_ms() - started) / 1e3)):
            self.fire(names.JOIN, entry, now_ms() - started, "no welcome within 10 s")
            self.disconnect()
            return None
        welcomed_at = self.welcome_received_at
        self.fire(names.JOIN, entry, welcomed_at - (since or started))
        return welcomed_at

    refusal: Any = None
    retry_after_s: float | None = None

    def _on_connect_error(self, data: Any, received: float) -> None:
        # python-socketio's servers wrap the refusal: {"message": ..., "data": {...}}
        inner = data.get("data") if isinstance(data, dict) else None
        self.refusal = inner if isinstance(inner, dict) else data

    def backoff(self, attempt: int) -> None:
        """Wait before the next connection attempt: what the server asked, else
        exponential with jitter."""
        delay = self.retry_after_s or min(4.0, 0.5 * 2**attempt) * self.rng.uniform(0.5, 1.5)
        gevent.sleep(delay)

    welcome_received_at = 0.0

    def _wait_disconnected(self) -> None:
        """A dropped transport may take a moment to be wound up (its reader to end)."""
        for _ in range(50):
            if self.sio.closed:
                return
            gevent.sleep(0.05)

    def disconnect(self) -> None:
        try:
            self.sio.disconnect()
        except Exception:  # a half-closed client: nothing left to close
            log.debug("disconnect failed", exc_info=True)

    def call(
        self,
        event: str,
        payload: dict[str, Any],
        name: str | None = None,
        sio: PlenaryClient | None = None,
    ) -> Any:
        """Emit with an ack (on this user's connection, or ``sio``) and measure it (``ACK
        name``); returns the ack, or None when it did not come (recorded as a failure)."""
        started = now_ms()
        client = sio or self.sio
        try:
            ack = client.call(event, payload, timeout=ACK_TIMEOUT_S)
        except socketio.exceptions.TimeoutError:
            self.fire(names.ACK, name or event, now_ms() - started, "no ack within 10 s")
            return None
        except (socketio.exceptions.BadNamespaceError, socketio.exceptions.DisconnectedError):
            self.fire(names.ACK, name or event, now_ms() - started, "not connected")
            return None
        elapsed = client.ack_received - started  # the ack's receipt, at the wire
        if isinstance(ack, dict) and ack.get("ok") is True:
            self.fire(names.ACK, name or event, elapsed)
        else:
            code, message, _ = ack_error(ack)
            self.fire(names.ACK, name or event, elapsed, f"{code}: {message}")
        return ack

    def on_stop(self) -> None:
        self.stopping = True
        self.recorder.flush()
        reconnecting = getattr(self, "reconnecting", None)
        if reconnecting is not None:
            reconnecting.kill(block=False)
        if self.connected:
            self.disconnect()
