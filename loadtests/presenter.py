"""The Locust presenter, exactly one in the whole test: runs the scenario's script (the
:class:`~loadtests.scenarios.Director` the scenarios drive), in the main room on its own
connection and, in a scenario with rooms
(:attr:`~loadtests.scenarios.Scenario.breakout_rooms`), in each breakout room through a
connection of its own there (:class:`RoomDesk`), after adding the rooms over REST.

The presenter tells the attendees of every Locust process what to do (drop, move to a
room, here is the programme, a kind's own commands) through Locust's custom messages;
how each process carries those commands out is here too, next to what sends them, and
is registered when this module is imported (the locustfile imports it in every process).

No activity kind is named here: what the presenter's verbs send comes from the kinds'
registry (:mod:`loadtests.kinds`, every module loaded by :mod:`loadtests.catalog`). The
connection and its measurements are :class:`loadtests.connection.PlenaryUser`'s.
"""

from __future__ import annotations

import functools
import logging
import random
import urllib.error
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any

import gevent
import gevent.event
import socketio
from locust import task
from locust.env import Environment

from loadtests import catalog, coordination, names
from loadtests.attendee import Attendee
from loadtests.connection import (
    ACK_TIMEOUT_S,
    JOIN_ATTEMPTS,
    JOIN_TIMEOUT_S,
    REST_ATTEMPTS,
    PlenaryUser,
    ack_error,
)
from loadtests.coordination import STATE, now_ms
from loadtests.kinds import Commander, Kind, StaffHandler
from loadtests.scenarios import MAIN_ROOM, Activity, ActivitySpec, ScenarioError
from loadtests.servers import http_json
from loadtests.wire import PlenaryClient

log = logging.getLogger("plenary.loadtest")


# -- the presenter's commands (Presenter.command_attendees), as every process carries
# them out for its own attendees (loadtests.coordination dispatches them) --------------
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
