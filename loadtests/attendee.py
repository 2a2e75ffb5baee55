"""The Locust attendee: joins with a name, a country and an organisation, answers
whatever activity goes live, reconnects with its resume token when dropped and checks
it is still the same attendee with the same answers; in a scenario with rooms, joins its
room by naming it at connect and moves with ``room:enter`` when told (the commands,
sent by the presenter, are carried out by :mod:`loadtests.presenter`'s handlers).

Every attendee notes, for each activity message it receives, which rooms it was in: at
the end every such message must be of an activity of one of them
(:func:`loadtests.coordination.check_rooms`).

No activity kind is named here: what an attendee answers and which broadcasts it follows
come from the kinds' registry (:mod:`loadtests.kinds`, every module loaded by
:mod:`loadtests.catalog`). The connection and its measurements are
:class:`loadtests.connection.PlenaryUser`'s.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import gevent
import gevent.queue
from locust import task
from locust.env import Environment

from loadtests import catalog, coordination, names
from loadtests.connection import (
    JOIN_ATTEMPTS,
    JOIN_TIMEOUT_S,
    PROGRAMME_TIMEOUT_S,
    RESUME_ATTEMPTS,
    SEND_ATTEMPTS,
    PlenaryUser,
    ack_error,
)
from loadtests.coordination import STATE, now_ms
from loadtests.kinds import AttendeeHandler, Kind
from loadtests.people import identity
from loadtests.scenarios import MAIN_ROOM

log = logging.getLogger("plenary.loadtest")


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
