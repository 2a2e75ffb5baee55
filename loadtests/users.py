"""The Locust users: attendees and the one presenter, speaking Socket.IO over real
websockets on gevent, like the rest of Locust: with the lean client of
:mod:`loadtests.wire` (the default), or python-socketio's synchronous client
(``--plenary-client socketio``, :class:`MeasuredClient`).

Every measurement is a Locust request event:

* ``JOIN attendee`` / ``JOIN attendee (resume)`` / ``JOIN presenter``: connect -> ``welcome``;
* ``RECONNECT attendee``: connection dropped -> ``welcome`` again (the attendee's outage);
* ``FANOUT <event>``: receipt time minus the broadcast's ``ts`` (same clock: same host,
  or NTP-synchronised hosts); the lean client takes the receipt time where the frame is
  read, python-socketio's when its handler is called;
* ``ACK <event>``: emit -> ack, failed when the ack is an error or does not come;
* ``CHECK ...``: resume kept the identity and the answer, a retried vote counted once,
  the welcome and ``room:enter`` put the attendee in its room;
* ``MISSED <event>`` (see :mod:`loadtests.coordination`) and ``SETUP ...`` failures.

In a scenario with rooms (:attr:`~loadtests.scenarios.Scenario.breakout_rooms`) the
presenter adds the rooms over REST and tells every Locust process the programme; each
attendee joins its room by naming it at connect and moves with ``room:enter`` when told.
The presenter acts in each breakout room through a connection of its own there
(:class:`RoomDesk`), and every attendee notes, for each activity message it receives,
which rooms it was in: at the end every such message must be of an activity of one of
them (:func:`loadtests.coordination.check_rooms`).

No activity kind is named here: what an attendee answers, which broadcasts it follows and
what the presenter's verbs send come from the kinds' registry (:mod:`loadtests.kinds`,
every module loaded by :mod:`loadtests.catalog`).
"""

from __future__ import annotations

import functools
import itertools
import logging
import random
import socket
import time
import urllib.error
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any

import engineio
import engineio.packet
import gevent
import gevent.event
import gevent.queue
import socketio
from locust import User, constant, task
from locust.env import Environment

from loadtests import catalog, coordination, names, recording
from loadtests.coordination import STATE, now_ms
from loadtests.kinds import AttendeeHandler, Commander, Kind, StaffHandler
from loadtests.people import identity
from loadtests.scenarios import MAIN_ROOM, Activity, ActivitySpec, ScenarioError
from loadtests.servers import http_json
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
        if self.cfg.handler_delay_s:
            # Tests only: a generator too slow to keep up. The sleep blocks the whole
            # process, as CPU-bound work would, so other users' frames are read late.
            time.sleep(self.cfg.handler_delay_s)
        if isinstance(data, dict) and isinstance(data.get("ts"), int | float):
            self.fire(names.FANOUT, event + self.fanout_suffix, max(0.0, received - data["ts"]))
        return received

    fanout_suffix = ""

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


def on_stage(activity: Any) -> tuple[Kind, dict[str, Any]] | None:
    """The kind and the activity object of ``welcome``'s ``activity``, or None (nothing
    on stage, or a kind without a module in ``loadtests/kinds/``)."""
    if not isinstance(activity, dict):
        return None
    kind = catalog.kind(str(activity.get("type")))
    item = activity.get(kind.key) if kind is not None else None
    if kind is None or not isinstance(item, dict):
        return None
    shown = kind.welcome_activity(item)
    return (kind, shown) if shown is not None else None


@dataclass
class Answer:
    """An answer this attendee sent and the server acked."""

    vote_id: str
    kind: Kind
    payload: dict[str, Any]
    stored: Any


class Attendee(PlenaryUser):
    """Joins with a name, country and organisation; answers whatever activity goes live
    (after a random delay within the scenario's vote window); reconnects with its resume
    token when dropped, checking it is still the same attendee with the same answers."""

    weight = 1

    def __init__(self, environment: Environment) -> None:
        super().__init__(environment)
        self.scenario = self.cfg.scenario
        self.identity = identity(self.rng, self.index)
        self.token: str | None = None
        self.attendee_id: str | None = None
        self.intervals: list[list[float | None]] = []
        self.received: dict[tuple[str, str], float] = {}
        self.values: dict[tuple[str, str], Any] = {}
        self.state_seqs: dict[str, int] = {}
        self.answers: dict[str, Answer] = {}
        self.planned: set[str] = set()
        self.jobs: gevent.queue.Queue[Callable[[], None]] = gevent.queue.Queue()
        self.dropped_at: float | None = None
        self.reconnect_delay_s: float | None = None
        self.reconnecting: gevent.Greenlet | None = None
        #: the room this attendee is in (or joins, or comes back to)
        self.room = MAIN_ROOM
        #: when the rooms this attendee may hear from changed (epoch ms, rooms): one
        #: room, or two while a ``room:enter`` is on its way
        self.rooms_log: list[tuple[float, frozenset[str]]] = []
        self.hearing: frozenset[str] = frozenset({MAIN_ROOM})
        #: (activity id, the rooms it could hear from) of every activity message received
        self.heard: set[tuple[str, frozenset[str]]] = set()
        self.heard_count = 0
        #: kind type -> what the kind's own handlers keep about this attendee
        self.kind_data: dict[str, Any] = {}
        for kind in catalog.all_kinds():
            for event in kind.broadcasts:
                self.sio.on(event, self._tracker(kind, event))
            self.sio.on(kind.results, self._results_tracker(kind))
            for event in kind.watched:
                self.sio.on(event, self._watcher(kind, event))
            for event, handler in kind.attendee_handlers.items():
                self.sio.on(event, self._kind_handler(event, handler))
        self.sio.on("disconnect", self._on_disconnect)
        STATE.attendees.append(self)

    # -- Socket.IO handlers (reader greenlets: keep them short) ---------------------
    def inspect(self, kind: Kind, event: str, data: Any) -> None:
        """Hold a message to its kind's rule (:attr:`Kind.inspect`): a failed ``CHECK``
        when it breaks it."""
        if kind.inspect is None:
            return
        STATE.counters[f"{kind.type} messages inspected"] += 1
        wrong = kind.inspect(event, data)
        if wrong is not None:
            self.fire(names.CHECK, f"{kind.type} rules", 0, wrong)
            coordination.example(f"attendee {self.attendee_id}: {event}: {wrong}")

    def _watcher(self, kind: Kind, event: str) -> Callable[[Any, float], None]:
        def handle(data: Any, received: float) -> None:
            self.fanout(event, data, received)
            self.inspect(kind, event, data)

        return handle

    def _tracker(self, kind: Kind, event: str) -> Callable[[Any, float], None]:
        def handle(data: Any, received: float) -> None:
            self.fanout(event, data, received)
            self.inspect(kind, event, data)
            activity = kind.activity_of(event, data)
            if activity is not None:
                self.hear(str(activity.get("id")))
                key = (event, str(activity.get("id")))
                if event in kind.once:
                    again = key in self.received
                    self.fire(
                        names.CHECK,
                        f"one {event} per activity",
                        0,
                        f"a second {event}" if again else None,
                    )
                    if again:
                        coordination.example(
                            f"attendee {self.attendee_id}: {event} twice for {key[1]}"
                        )
                self.received.setdefault(key, received)
                self.follow_state_seq(kind, activity, event)
                if event == kind.opened:
                    self.plan_answer(kind, activity)

        return handle

    def _kind_handler(self, event: str, handler: AttendeeHandler) -> Callable[[Any, float], None]:
        def handle(data: Any, received: float) -> None:
            handler(self, data, self.fanout(event, data, received))

        return handle

    def note_answer(self, activity_id: str, key: str, keys: list[str] | None) -> None:
        """An acked answer of a kind's own (sent by its commands, not :meth:`send_answer`):
        counted under ``keys`` for the exact tally, as ``key`` (an attendee may hold
        several, e.g. one per question); None takes it back."""
        if keys is None:
            STATE.votes.get(activity_id, {}).pop(key, None)
        else:
            STATE.record_vote(activity_id, key, keys)

    def follow_state_seq(self, kind: Kind, activity: dict[str, Any], event: str | None) -> None:
        """``state_seq`` grows by one per change of an activity: a jump means this
        connection missed a broadcast (a ``MISSED`` failure). ``event`` None: a welcome (a
        new baseline, since what happened while disconnected is in the snapshot)."""
        seq = activity.get("state_seq")
        if not isinstance(seq, int):
            return
        activity_id = str(activity.get("id"))
        last = self.state_seqs.get(activity_id)
        if event is not None and last is not None and seq > last + 1:
            self.fire(names.MISSED, f"{kind.type} state (state_seq gap)", 0, "state_seq jumped")
            coordination.example(
                f"attendee {self.attendee_id}: {event} with state_seq {seq} after {last}"
            )
        if last is None or seq > last:
            self.state_seqs[activity_id] = seq

    def hear(self, activity_id: str) -> None:
        """Note a message about ``activity_id`` and the rooms it may come from now."""
        self.heard.add((activity_id, self.hearing))
        self.heard_count += 1

    def set_room(self, *rooms: str) -> None:
        """From now on this attendee may hear from ``rooms`` (its room; old and new
        while it moves)."""
        self.hearing = frozenset(rooms)
        self.rooms_log.append((now_ms(), self.hearing))

    def _results_tracker(self, kind: Kind) -> Callable[[Any, float], None]:
        def handle(data: Any, received: float) -> None:
            self.fanout(kind.results, data, received)
            self.inspect(kind, kind.results, data)
            if isinstance(data, dict) and kind.id_field in data:
                self.hear(str(data[kind.id_field]))
            if isinstance(data, dict) and data.get("final"):
                key = (kind.final_results, str(data.get(kind.id_field)))
                self.received.setdefault(key, received)
                self.values[key] = {"total": data.get("total"), "seq": data.get("seq")}

        return handle

    def on_welcome(self, received: float) -> None:
        self.welcome_received_at = received
        # A welcome is also re-sent on a live connection (after the server's Redis link
        # came back): that is not a new connection interval.
        if not self.intervals or self.intervals[-1][1] is not None:
            self.intervals.append([received, None])
        found = on_stage(self.welcome_data.get("activity"))
        if found is not None:
            self.follow_state_seq(*found, None)
            self.inspect(found[0], "welcome", self.welcome_data)

    def _on_disconnect(self, reason: Any, when: float) -> None:
        if not self.stopping:
            # e.g. "transport error" (the socket broke), "server disconnect"
            STATE.counters[f"drop_reason: {reason}"] += 1
        if self.intervals and self.intervals[-1][1] is None:
            self.intervals[-1][1] = when
        if self.stopping:
            return
        if self.dropped_at is None:
            self.dropped_at = when
        delay = self.reconnect_delay_s
        if delay is None:
            delay = self.rng.uniform(0.5, 1.5)
        self.reconnect_delay_s = None
        self.welcomed.clear()
        STATE.counters["drops"] += 1
        # Its own greenlet, not the job queue: a pending answer waits for this reconnect.
        if self.reconnecting is None or self.reconnecting.dead:
            self.reconnecting = gevent.spawn(self.reconnect, delay)

    # -- life cycle ----------------------------------------------------------------
    def auth(self) -> dict[str, Any]:
        body = {"event": self.cfg.event, "role": "attendee", **self.identity}
        if self.token:
            body["token"] = self.token
        if self.scenario.breakout_rooms:
            body["room"] = self.room
        return body

    def choose_room(self) -> None:
        """In a scenario with rooms: wait for the programme (bounded), then take a room
        by this attendee's number, so the rooms fill evenly (and, with several server
        processes, each room has attendees on each of them)."""
        if not STATE.programme_ready.wait(timeout=PROGRAMME_TIMEOUT_S):
            self.fire(names.SETUP, "programme", 0, "no programme from the presenter")
        programme = STATE.programme or [MAIN_ROOM]
        self.room = programme[(self.index + self.worker) % len(programme)]
        self.set_room(self.room)

    def on_start(self) -> None:
        if self.scenario.breakout_rooms:
            self.choose_room()
        # Locust hands each worker its share of a second's joins at once; arrive spread
        # over that second instead, like people do (and so the load generator does not
        # spend the second's CPU on one burst of handshakes).
        gevent.sleep(self.rng.uniform(0, 1.0))
        first = now_ms()
        for attempt in range(JOIN_ATTEMPTS):
            if self.connect_once(names.ATTENDEE, since=first) is not None:
                self.after_welcome(resumed=False)
                STATE.counters["joined"] += 1
                return
            self.backoff(attempt)
        STATE.counters["join_gave_up"] += 1

    @task
    def work(self) -> None:
        """Run the next job (an answer, a drop, a reconnect). An idle attendee waits here
        (up to 10 s per round: each round costs the load generator CPU, and thousands of
        idle attendees add up); Locust stops the greenlet at the end of the test."""
        try:
            job = self.jobs.get(timeout=10.0)
        except gevent.queue.Empty:
            return
        job()

    def after_welcome(self, resumed: bool) -> None:
        """Take the welcome in: keep the token, check a resume, answer the live activity."""
        data = self.welcome_data
        attendee = data.get("attendee") or {}
        self.token = data.get("token") or self.token
        if resumed:
            same = attendee.get("id") == self.attendee_id
            self.fire(names.CHECK, "resume keeps identity", 0, None if same else "new identity")
            if not same:
                coordination.example(f"attendee {self.attendee_id} resumed as {attendee.get('id')}")
        else:
            self.attendee_id = attendee.get("id")
        if self.scenario.breakout_rooms:
            here = (data.get("room") or {}).get("id")
            self.fire(
                names.CHECK,
                "welcome is for my room",
                0,
                None if here == self.room else f"asked for room {self.room}, welcome says {here}",
            )
        self.take_stage(data, resumed)

    def take_stage(self, data: dict[str, Any], resumed: bool) -> None:
        """Answer the activity on stage in a ``welcome`` (or ``room:enter``'s state) if it
        is open and this attendee has not answered it; after a resume, check that its
        answer was kept (and retry it, in a scenario that does)."""
        found = on_stage(data.get("activity"))
        if found is None:
            return
        kind, activity = found
        activity_id = str(activity.get("id"))
        mine = self.answers.get(activity_id)
        if mine is not None:
            if not resumed:
                return
            kept = kind.my_answer(activity) == mine.stored
            self.fire(names.CHECK, "resume keeps answer", 0, None if kept else "answer changed")
            if not kept:
                coordination.example(
                    f"attendee {self.attendee_id}: acked {mine.stored!r}, welcome says "
                    f"{kind.my_answer(activity)!r}"
                )
            if self.scenario.revote_after_resume and activity.get("status") == "open":
                self.jobs.put(lambda: self.send_answer(activity_id, mine, retry=True))
        elif activity.get("status") == "open" and kind.my_answer(activity) is None:
            self.plan_answer(kind, activity)

    def plan_answer(self, kind: Kind, activity: dict[str, Any]) -> None:
        """Answer ``activity`` (the object of its kind) once, at a random moment within
        the vote window."""
        activity_id = str(activity.get("id"))
        if activity_id in self.planned or activity.get("status") != "open":
            return
        self.planned.add(activity_id)
        payload = kind.answer(activity, self.rng)
        window_ends = now_ms() + self.scenario.vote_window_s * 1000
        due = self.rng.uniform(now_ms(), window_ends)
        answer = Answer(uuid.uuid4().hex, kind, payload, None)
        self.jobs.put(lambda: self.send_answer(activity_id, answer, due=due))
        if self.rng.random() < self.scenario.change_share:
            # A change of mind: a second answer (a new vote_id) later in the window; the
            # last acked one is what counts.
            again = Answer(uuid.uuid4().hex, kind, kind.answer(activity, self.rng), None)
            later = self.rng.uniform(due, window_ends)
            self.jobs.put(lambda: self.send_answer(activity_id, again, due=later))
            STATE.counters["changes_of_mind"] += 1

    def send_answer(
        self, activity_id: str, answer: Answer, due: float | None = None, retry: bool = False
    ) -> None:
        """Send an answer; retry with the same ``vote_id`` when the ack is lost, the
        connection is down or the server asks to; bounded attempts."""
        if due is not None:
            gevent.sleep(max(0.0, (due - now_ms()) / 1000))
        event = answer.kind.answer_event
        name = f"{event} (retry)" if retry else event
        body = {**answer.payload, answer.kind.answer_id_field: answer.vote_id}
        for _ in range(SEND_ATTEMPTS):
            if not self.connected:
                STATE.counters["answer_waited_for_connection"] += 1
                self.welcomed.wait(timeout=JOIN_TIMEOUT_S)
                continue
            ack = self.call(event, body, name=name)
            if ack is None:
                STATE.counters["ack_lost"] += 1
                continue
            if ack.get("ok") is True:
                answer.stored = answer.kind.stored(ack)
                self.answers[activity_id] = answer
                assert self.attendee_id is not None
                STATE.record_vote(
                    activity_id, self.attendee_id, answer.kind.counted_keys(answer.stored)
                )
                STATE.counters["ack_duplicate" if ack.get("duplicate") else "ack_ok"] += 1
                if retry:
                    self.fire(
                        names.CHECK,
                        "retried vote counts once",
                        0,
                        None
                        if ack.get("duplicate")
                        else "a retry with the same vote_id "
                        "was stored as a new answer (no duplicate: true)",
                    )
                return
            code, _, error = ack_error(ack)
            STATE.counters[f"ack_error_{code}"] += 1
            if code == "rate_limited":
                gevent.sleep(float(error.get("retry_after_ms", 100)) / 1000)
            elif code == "unavailable":
                gevent.sleep(0.5)
            else:
                return
        STATE.counters["answer_gave_up"] += 1

    def drop(self, delay_s: float, after_s: float = 0.0) -> None:
        """In ``after_s``, lose the connection abruptly (no Socket.IO or Engine.IO
        goodbye), like a network drop; the disconnect handler reconnects after ``delay_s``."""
        gevent.sleep(after_s)
        if not self.connected:
            return
        self.reconnect_delay_s = delay_s
        self.dropped_at = now_ms()
        STATE.counters["planned_drops"] += 1
        try:
            self.sio.sever()
        except OSError:
            log.debug("shutdown failed", exc_info=True)

    def reconnect(self, delay_s: float) -> None:
        """Come back with the resume token; bounded attempts with backoff."""
        gevent.sleep(delay_s)
        first = now_ms()
        for attempt in range(RESUME_ATTEMPTS):
            if self.stopping:
                return
            welcomed = self.connect_once(names.ATTENDEE_RESUME, since=first)
            if welcomed is not None:
                if self.dropped_at is not None:
                    self.fire(names.RECONNECT, names.ATTENDEE, welcomed - self.dropped_at)
                self.dropped_at = None
                STATE.counters["resumed"] += 1
                self.after_welcome(resumed=True)
                return
            self.backoff(attempt)
        STATE.counters["resume_gave_up"] += 1

    def enter(self, room: str, after_s: float = 0.0) -> None:
        """In ``after_s``, move to ``room`` with ``room:enter`` (no reconnect): while the
        request is on its way messages of both rooms may come, from its ack on only the
        new room's. A disconnected attendee comes back in ``room`` instead."""
        gevent.sleep(after_s)
        if room == self.room:
            return
        for _ in range(SEND_ATTEMPTS):
            if not self.connected:
                self.welcomed.wait(timeout=JOIN_TIMEOUT_S)
                if not self.connected:
                    break
            before = self.room
            self.set_room(before, room)
            ack = self.call("room:enter", {"room": room})
            if isinstance(ack, dict) and ack.get("ok") is True:
                self.room = room
                self.set_room(room)
                state = ack.get("state") or {}
                here = (state.get("room") or {}).get("id")
                self.fire(
                    names.CHECK,
                    "room:enter lands in the room",
                    0,
                    None if here == room else f"asked for room {room}, state says {here}",
                )
                STATE.counters["room_entered"] += 1
                self.take_stage(state, resumed=False)
                return
            # Refused or no ack: the server did not move it (or the ack was lost).
            self.set_room(before)
            code = ack_error(ack)[0] if ack is not None else "no_ack"
            STATE.counters[f"room_enter_error_{code}"] += 1
            if code not in ("unavailable", "rate_limited", "no_ack"):
                return
            gevent.sleep(0.5)
        # Not connected (or it kept failing): its next connection names the room.
        self.room = room
        self.set_room(room)
        STATE.counters["room_enter_gave_up"] += 1


def _drop_everyone(data: dict[str, Any]) -> None:
    """The ``drop`` command: every connected attendee of this process drops at a random
    moment within ``window_s`` and comes back after ``delay_min_s``-``delay_max_s``."""
    rng = random.Random()
    for user in STATE.attendees:
        if not isinstance(user, Attendee) or not user.connected:
            continue
        at = rng.uniform(0, float(data["window_s"]))
        delay = rng.uniform(float(data["delay_min_s"]), float(data["delay_max_s"]))
        user.jobs.put(functools.partial(user.drop, delay, after_s=at))


def _enter_everyone(data: dict[str, Any]) -> None:
    """The ``enter`` command: every attendee of this process moves to ``room`` at a
    random moment within ``window_s``."""
    rng = random.Random()
    for user in STATE.attendees:
        if isinstance(user, Attendee):
            at = rng.uniform(0, float(data.get("window_s", 0.0)))
            user.jobs.put(functools.partial(user.enter, str(data["room"]), after_s=at))


def _take_programme(data: dict[str, Any]) -> None:
    """The ``programme`` command: the room ids, the main room first; attendees of a
    scenario with rooms wait for it before they join."""
    STATE.programme = [str(room) for room in data["rooms"]]
    STATE.programme_ready.set()


STATE.command_handlers["drop"] = _drop_everyone
STATE.command_handlers["enter"] = _enter_everyone
STATE.command_handlers["programme"] = _take_programme


def _kind_command(command: Commander, data: dict[str, Any]) -> None:
    """A kind's own command (:attr:`~loadtests.kinds.Kind.commands`), for this process's
    attendees."""
    command([user for user in STATE.attendees if isinstance(user, Attendee)], data)


for _kind in catalog.all_kinds():
    for _name, _command in _kind.commands.items():
        STATE.command_handlers[_name] = functools.partial(_kind_command, _command)


class RoomDesk:
    """The presenter's connection to one breakout room (the event-wide key, ``auth.room``):
    what the kinds' verbs use as the staff of that room
    (:class:`~loadtests.kinds.Staff`). Its requests, received results and expectations go
    through the presenter, each expectation naming the room."""

    def __init__(self, presenter: Presenter, room: str, url: str) -> None:
        self.presenter = presenter
        self.room = room
        self.url = url
        self.sio = presenter.new_client()
        self.welcomed = gevent.event.Event()
        self.sio.on("*", presenter._on_other)
        self.sio.on("welcome", lambda *_: self.welcomed.set())
        self.sio.on("error", presenter._on_error)
        for kind in catalog.all_kinds():
            self.sio.on(kind.results, presenter._results_tracker(kind))

    def connect(self) -> None:
        started = now_ms()
        auth = {"event": self.presenter.cfg.event, "role": "presenter"}
        auth |= {"key": self.presenter.cfg.key, "room": self.room}
        try:
            self.sio.connect(
                self.url, auth=auth, transports=["websocket"], wait_timeout=JOIN_TIMEOUT_S
            )
        except (socketio.exceptions.ConnectionError, ValueError) as exc:
            self.presenter.fire(names.JOIN, names.PRESENTER, now_ms() - started, str(exc))
            raise ScenarioError(f"the presenter could not connect to room {self.room}") from exc
        if not self.welcomed.wait(timeout=JOIN_TIMEOUT_S):
            self.presenter.fire(names.JOIN, names.PRESENTER, now_ms() - started, "no welcome")
            raise ScenarioError(f"no welcome for the presenter in room {self.room}")
        self.presenter.fire(names.JOIN, names.PRESENTER, now_ms() - started)

    def close(self) -> None:
        try:
            self.sio.disconnect()
        except Exception:  # a half-closed client: nothing left to close
            log.debug("disconnect failed", exc_info=True)

    # -- Staff ---------------------------------------------------------------------
    def request(self, event: str, payload: dict[str, Any]) -> tuple[dict[str, Any], float]:
        return self.presenter.request(event, payload, sio=self.sio)

    def expect(self, event: str, key: str, sent_at: float, **extra: Any) -> None:
        self.presenter.expect(event, key, sent_at, **{**extra, "room": self.room})

    def entry(self, activity: Activity) -> dict[str, Any]:
        return self.presenter.entry(replace(activity, room=self.room))


class Presenter(PlenaryUser):
    """Exactly one in the whole test (``fixed_count``): runs the scenario's script, in
    the main room on its own connection and in each breakout room through a
    :class:`RoomDesk`."""

    fixed_count = 1
    fanout_suffix = names.STAFF_SUFFIX

    def __init__(self, environment: Environment) -> None:
        super().__init__(environment)
        self.url = self.cfg.urls[0]
        self.online = 0
        self.online_max = 0
        self.totals: dict[str, int] = {}
        self.finished = False
        self.timeline: list[dict[str, Any]] = []
        #: every activity created, with its kind's notes and close tally (see entry())
        self.activities: list[dict[str, Any]] = []
        #: the room ids of the programme, main first (empty: a scenario without rooms)
        self.programme: list[str] = []
        #: attendees online per room (presence's ``rooms_online``)
        self.rooms_online: dict[str, int] = {}
        self.desks: dict[str, RoomDesk] = {}
        self.sio.on("presence", self._on_presence)
        for kind in catalog.all_kinds():
            self.sio.on(kind.results, self._results_tracker(kind))
            for event, handler in kind.staff_handlers.items():
                self.sio.on(event, self._staff_handler(event, handler))

    # -- handlers ------------------------------------------------------------------
    def _on_presence(self, data: Any, received: float) -> None:
        self.fanout("presence", data, received)
        if isinstance(data, dict):
            self._set_online(int(data.get("online", 0)), data.get("rooms_online"))

    def _set_online(self, online: int, rooms: Any = None) -> None:
        """``online``: attendees in the presenter's (main) room; ``rooms``: per room."""
        self.online = online
        if isinstance(rooms, dict):
            self.rooms_online = {str(k): int(v) for k, v in rooms.items()}
        self.online_max = max(self.online_max, online, sum(self.rooms_online.values()))

    def _results_tracker(self, kind: Kind) -> Callable[[Any, float], None]:
        def handle(data: Any, received: float) -> None:
            self.fanout(kind.results, data, received)
            found = kind.count_of(data)
            if found is not None:
                activity_id, total = found
                self.totals[activity_id] = max(self.totals.get(activity_id, 0), total)

        return handle

    def _staff_handler(self, event: str, handler: StaffHandler) -> Callable[[Any, float], None]:
        def handle(data: Any, received: float) -> None:
            handler(data, self.fanout(event, data, received))

        return handle

    def on_welcome(self, received: float) -> None:
        self.welcome_received_at = received
        presence = self.welcome_data.get("presence") or {}
        self._set_online(int(presence.get("online", 0)), self.welcome_data.get("rooms_online"))

    def auth(self) -> dict[str, Any]:
        return {"event": self.cfg.event, "role": "presenter", "key": self.cfg.key}

    def on_start(self) -> None:
        first = now_ms()
        for attempt in range(JOIN_ATTEMPTS):
            if self.connect_once(names.PRESENTER, since=first) is not None:
                return
            self.backoff(attempt)

    @task
    def drive(self) -> None:
        """Run the scenario once, then report to the master and idle."""
        if self.finished:
            gevent.sleep(1.0)
            return
        self.finished = True
        error = None
        scenario = self.cfg.scenario
        self.mark(f"scenario {scenario.name} starts ({self.attendees_expected} attendees)")
        try:
            if not self.connected:
                raise ScenarioError("the presenter could not connect")
            scenario.run(self)
        except ScenarioError as exc:
            error = str(exc)
            self.fire(names.SETUP, "scenario", 0, error)
        except Exception as exc:  # report it rather than hang the test
            log.exception("scenario %s crashed", scenario.name)
            error = f"scenario crashed: {exc!r}"
            self.fire(names.SETUP, "scenario", 0, error)
        self.mark("scenario finished" if error is None else f"scenario failed: {error}")
        coordination.publish(
            self.environment,
            "finished",
            ok=error is None,
            error=error,
            scenario=scenario.name,
            attendees_expected=self.attendees_expected,
            online_max=self.online_max,
            activities=self.activities,
            timeline=self.timeline,
            rooms=self.programme,
        )

    def on_stop(self) -> None:
        for desk in self.desks.values():
            desk.close()
        super().on_stop()

    # -- Director (see loadtests.scenarios) ------------------------------------------
    @property
    def attendees_expected(self) -> int:
        return self.cfg.attendees

    def mark(self, what: str) -> None:
        self.timeline.append({"t": now_ms(), "what": what})
        log.info("scenario: %s", what)

    def sleep(self, seconds: float) -> None:
        gevent.sleep(seconds)

    def wait_for_attendees(self, count: int, timeout_s: float) -> int:
        deadline = now_ms() + timeout_s * 1000
        while self.online < count and now_ms() < deadline:
            gevent.sleep(0.2)
        if self.online < count:
            self.fire(
                names.SETUP,
                "attendees online",
                0,
                f"{self.online}/{count} attendees online after {timeout_s:.0f} s",
            )
        return self.online

    def open_rooms(self, titles: Sequence[str]) -> list[str]:
        base = f"{self.url}/api/events/{self.cfg.event}/rooms"
        rooms = [MAIN_ROOM]
        for title in titles:
            created = self.rest("POST", base, {"title": title})
            rooms.append(str(created["room"]["id"]))
        self.programme = rooms
        self.command_attendees("programme", rooms=rooms)
        for i, room in enumerate(rooms[1:], start=1):
            # Spread over the server processes: the room's staff messages cross Redis too.
            desk = RoomDesk(self, room, self.cfg.urls[i % len(self.cfg.urls)])
            desk.connect()
            self.desks[room] = desk
        return rooms

    def rest(self, method: str, url: str, body: Any = None) -> Any:
        """A REST call with the presenter key; a 429 (the per-IP lookup limit: every
        simulated client shares 127.0.0.1) is tried again, a bounded number of times."""
        for attempt in range(REST_ATTEMPTS):
            try:
                return http_json(method, url, self.cfg.key, body)
            except urllib.error.HTTPError as exc:
                if exc.code != 429 or attempt == REST_ATTEMPTS - 1:
                    detail = exc.read().decode(errors="replace")[:200]
                    raise ScenarioError(f"{method} {url}: {exc.code} {detail}") from exc
                gevent.sleep(0.5)
            except OSError as exc:
                raise ScenarioError(f"{method} {url}: {exc}") from exc
        raise ScenarioError(f"{method} {url}: no answer")

    def wait_for_rooms(self, wanted: dict[str, int] | None, timeout_s: float) -> dict[str, int]:
        expected = self.attendees_expected

        def done() -> bool:
            if wanted is None:
                return sum(self.rooms_online.values()) >= expected
            return all(self.rooms_online.get(room, 0) == n for room, n in wanted.items())

        deadline = now_ms() + timeout_s * 1000
        while not done() and now_ms() < deadline:
            gevent.sleep(0.2)
        if not done():
            want = f"{expected} in any room" if wanted is None else str(wanted)
            self.fire(
                names.SETUP,
                "attendees online",
                0,
                f"rooms_online {self.rooms_online} after {timeout_s:.0f} s (wanted {want})",
            )
        return dict(self.rooms_online)

    def staff(self, room: str) -> Presenter | RoomDesk:
        """Who acts in ``room``: this connection in the main room, else its desk."""
        if room == MAIN_ROOM:
            return self
        desk = self.desks.get(room)
        if desk is None:
            raise ScenarioError(f"no presenter connection in room {room}")
        return desk

    def create(self, spec: ActivitySpec, room: str = MAIN_ROOM) -> Activity:
        activity = self._kind(spec.type).create(self.staff(room), spec)
        return replace(activity, room=room)

    def act(self, activity: Activity, verb: str, **args: Any) -> dict[str, Any]:
        kind = self._kind(activity.type)
        do = kind.verbs.get(verb)
        if do is None:
            known = ", ".join(kind.verbs)
            raise ScenarioError(f"{kind.type} has no presenter verb {verb!r} (known: {known})")
        return do(self.staff(activity.room), activity, **args)

    def act_each(self, activities: Sequence[Activity], verb: str) -> list[dict[str, Any]]:
        def one(activity: Activity) -> dict[str, Any] | ScenarioError:
            try:
                return self.act(activity, verb)
            except ScenarioError as exc:  # raised below, in the presenter's own greenlet
                return exc

        jobs = [gevent.spawn(one, activity) for activity in activities]
        gevent.joinall(jobs, timeout=2 * ACK_TIMEOUT_S)
        acks = []
        for activity, job in zip(activities, jobs, strict=True):
            if not job.successful():
                job.kill(block=False)
                raise ScenarioError(f"{verb} in room {activity.room}: no outcome")
            if isinstance(job.value, ScenarioError):
                raise job.value
            acks.append(job.value)
        return acks

    def _kind(self, type_: str) -> Kind:
        kind = catalog.kind(type_)
        if kind is None:
            raise ScenarioError(f"no activity kind {type_!r} in loadtests/kinds/")
        return kind

    def wait_for_answers(self, activity: Activity, count: int, timeout_s: float) -> int:
        deadline = now_ms() + timeout_s * 1000
        while self.totals.get(activity.id, 0) < count and now_ms() < deadline:
            gevent.sleep(0.2)
        total = self.totals.get(activity.id, 0)
        self.mark(f"{total} answers")
        if total < count:
            self.fire(
                names.SETUP,
                "answers",
                0,
                f"{activity.type} {activity.id}: {total}/{count} answers after {timeout_s:.0f} s",
            )
        return total

    def command_attendees(self, kind: str, **data: Any) -> None:
        coordination.publish(self.environment, "command", command=kind, sent_at=now_ms(), **data)

    # -- Staff (see loadtests.kinds): what the kinds' verbs use -------------------------
    def request(
        self, event: str, payload: dict[str, Any], sio: PlenaryClient | None = None
    ) -> tuple[dict[str, Any], float]:
        sent = now_ms()
        ack = self.call(event, payload, sio=sio)
        if not isinstance(ack, dict) or ack.get("ok") is not True:
            code, message, _ = ack_error(ack) if ack is not None else ("no_ack", "", {})
            raise ScenarioError(f"{event} failed: {code} {message}".strip())
        return ack, sent

    def entry(self, activity: Activity) -> dict[str, Any]:
        for entry in self.activities:
            if entry["type"] == activity.type and entry["id"] == activity.id:
                return entry
        entry = {
            "type": activity.type,
            "id": activity.id,
            "room": activity.room,
            "kind": None,
            "results": None,
        }
        self.activities.append(entry)
        return entry

    def expect(self, event: str, key: str, sent_at: float, **extra: Any) -> None:
        """Every attendee connected at ``sent_at`` (and, with rooms, in ``room``: the
        main room unless a desk names another) must receive it."""
        if self.programme:
            extra.setdefault("room", MAIN_ROOM)
        coordination.publish(
            self.environment,
            "expect",
            event=event,
            key=key,
            sent_at=sent_at,
            deadline_ms=self.cfg.deadline_ms,
            **extra,
        )
