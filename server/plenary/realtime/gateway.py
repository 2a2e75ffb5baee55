"""Connection life cycle: authenticate at connect, join rooms, send ``welcome``;
forget the session at disconnect; answer ``state:get`` with the same snapshot."""

from __future__ import annotations

import asyncio
import logging
from typing import Any, Protocol

import socketio

from plenary.clock import now_ms
from plenary.errors import ErrorCode, PlenaryError, StoreUnavailable
from plenary.event_service import EventService
from plenary.metrics import Metrics
from plenary.realtime import audiences
from plenary.realtime.admission import Admission
from plenary.realtime.broadcast import Broadcaster
from plenary.realtime.presence import Presence
from plenary.realtime.ratelimit import TokenBucket
from plenary.realtime.router import NoPayload, Router
from plenary.realtime.session import Session, Sessions
from plenary.realtime.wire import ClientManager, SocketServer
from plenary.roles import Role
from plenary.scopes import scope
from plenary.settings import Limits
from plenary.store import Activity, Store
from plenary.tasks import TaskOwner

log = logging.getLogger(__name__)

WELCOME_RETRY_MAX_S = 10.0


class ActivityViews(Protocol):
    """What the activity kinds show a connection (implemented by
    :class:`plenary.stage.kinds.Kinds`; the transport names no kind)."""

    async def state(self, code: str, session: Session, on_stage: Activity | None) -> dict[str, Any]:
        """The activity fields of a ``welcome``: ``activity`` and each kind's overview."""


class RoomViews(Protocol):
    """What the programme shows a connection (implemented by
    :class:`plenary.rooms.programme.Programme`)."""

    async def welcome(self, code: str, room: str) -> dict[str, Any]:
        """The room fields of a ``welcome``: ``room`` (the one the client is in) and
        ``rooms`` (the programme)."""


class Gateway:
    """Owns the connect/disconnect handlers and the per-connection snapshot."""

    def __init__(
        self,
        sio: SocketServer,
        store: Store,
        sessions: Sessions,
        events: EventService,
        views: ActivityViews,
        rooms: RoomViews,
        broadcaster: Broadcaster,
        presence: Presence,
        limits: Limits,
        metrics: Metrics,
        trust_forwarded_for: bool = False,
    ) -> None:
        self._metrics = metrics
        self._sio = sio
        self._store = store
        self._sessions = sessions
        self._events = events
        self._views = views
        self._rooms = rooms
        self._out = broadcaster
        self._presence = presence
        self._limits = limits
        # Per-IP limits of new connections (also asked by the engine for every new
        # session) and of REST join-code lookups.
        self.admission = Admission(store, limits, metrics, trust_forwarded_for)
        self._manager: ClientManager = sio.manager
        self.tasks = TaskOwner("welcome")

    def attach(self, router: Router) -> None:
        self._sio.on("connect", self.connect)
        self._sio.on("disconnect", self.disconnect)

        @router.on("state:get", roles=set(Role), model=NoPayload)
        async def state(session: Session, _: NoPayload) -> dict[str, Any]:
            return {"state": await self.snapshot(session)}

    async def connect(self, sid: str, environ: Any, auth: Any = None) -> bool:
        identity = None
        try:
            await self.admission.admit_join(environ)
            identity = await self._events.authenticate(auth)
            # Listen to the room's channel before joining its audiences: no broadcast
            # between now and the welcome snapshot can be missed. A process that cannot
            # listen refuses the client (which retries) rather than admit it deaf.
            await self._manager.follow(scope(identity.event.code, identity.room))
        except PlenaryError as exc:
            self._metrics.refused.labels(str(exc.code)).inc()
            log.info("connection refused: %s", exc.code, extra={"event": _event_field(auth)})
            payload = exc.to_payload()
            if identity is not None and identity.token is not None:
                payload["token"] = identity.token  # a new attendee resumes as itself
            raise socketio.exceptions.ConnectionRefusedError(exc.message, payload) from None
        code = identity.event.code
        session = Session(
            sid=sid,
            role=identity.role,
            code=code,
            title=identity.event.title,
            limiter=TokenBucket(self._limits.events_per_second, self._limits.events_burst),
            attendee=identity.attendee,
            token=identity.token,
            room=identity.room,
            key_room=identity.key_room,
        )
        self._enter_audiences(session)
        self._sessions.add(session)
        self._metrics.add(self._metrics.joins, 1, identity.role.value)
        self._metrics.add(self._metrics.connected, 1, identity.role.value, code)
        # The welcome must follow the CONNECT packet that python-socketio sends once this
        # handler returns; rooms are joined first so nothing falls in between.
        self._sio.after_connect(sid, lambda: self._first_welcome(session))
        return True

    async def disconnect(self, sid: str, *_: Any) -> None:
        session = self._sessions.remove(sid)
        if session is None:
            return
        self._metrics.add(self._metrics.disconnects, 1, session.role.value)
        self._metrics.add(self._metrics.connected, -1, session.role.value, session.code)
        await self._manager.unfollow(session.scope)

    def _audiences(self, session: Session) -> tuple[str, ...]:
        where = session.scope
        if session.role is Role.ATTENDEE:
            return audiences.everyone(where), audiences.attendees(where)
        # Staff: presenters and screens together, and each apart (a screen is not told
        # what only presenters see, e.g. results before the reveal).
        own = audiences.presenters if session.role is Role.PRESENTER else audiences.screens
        return audiences.everyone(where), audiences.staff(where), own(where)

    def _enter_audiences(self, session: Session) -> None:
        # The socket is on this process: the manager's local entry, without the
        # coroutine layers of AsyncServer.enter_room.
        for audience in self._audiences(session):
            self._manager.basic_enter_room(session.sid, "/", audience)

    async def move(self, session: Session, room: str) -> dict[str, Any]:
        """Move a connected socket to another room of its event, without reconnecting:
        listen to the new room's channel first (so nothing sent there from now on is
        missed; ``unavailable`` if it cannot), swap audiences, stop listening to the old
        room's, and return the new room's snapshot."""
        if room == session.room:
            return await self.snapshot(session)
        before, after = session.scope, scope(session.code, room)
        await self._manager.follow(after)
        if self._sessions.get(session.sid) is not session:
            # It disconnected while the channel was being confirmed: nothing to move.
            await self._manager.unfollow(after)
            raise PlenaryError(ErrorCode.UNAUTHORIZED, "Connect with an auth payload first.")
        for audience in self._audiences(session):
            self._manager.basic_leave_room(session.sid, "/", audience)
        self._sessions.move(session, room)
        self._enter_audiences(session)
        await self._manager.unfollow(before)
        return await self.snapshot(session)

    async def _first_welcome(self, session: Session) -> None:
        """The welcome, right after CONNECT, in the connecting client's own task; if
        the store is unavailable, a task keeps trying (so the client's reader does not
        wait for Redis to come back)."""
        try:
            state = await self.snapshot(session)
        except StoreUnavailable:
            self.tasks.spawn(self._welcome(session), name=f"welcome:{session.sid}")
            return
        await self._out.to_socket(session.sid, "welcome", state)

    async def _welcome(self, session: Session) -> None:
        delay = 0.1
        while True:
            try:
                state = await self.snapshot(session)
                break
            except StoreUnavailable as exc:
                # The store is down (e.g. Redis restarting): keep trying for a while,
                # the client is better served by a late welcome than by none.
                if delay > WELCOME_RETRY_MAX_S or self._sessions.get(session.sid) is None:
                    # One line per client would flood the log in an outage, which the
                    # store reports once.
                    log.debug("welcome for %s failed: %s", session.code, exc.code)
                    body: dict[str, Any] = {"error": exc.to_payload()}
                    if session.token is not None:
                        body["token"] = session.token  # so a new attendee can resume
                    await self._out.to_socket(session.sid, "error", body)
                    return
                await asyncio.sleep(delay)
                delay *= 2
        await self._out.to_socket(session.sid, "welcome", state)

    async def resync_all(self) -> None:
        """Send every client of this process a fresh ``welcome``: used after this
        process may have missed broadcasts (its Redis link was down)."""
        self._resync(None)

    async def resync_event(self, where: str) -> None:
        """Send this process's clients in scope ``where`` a fresh ``welcome``: used
        after its channel was found unsubscribed (they may have missed broadcasts)."""
        self._resync(where)

    def _resync(self, where: str | None) -> None:
        for sid in self._sessions.sids():
            session = self._sessions.get(sid)
            if session is not None and (where is None or session.scope == where):
                self.tasks.spawn(self._welcome(session), name=f"resync:{sid}")

    async def snapshot(self, session: Session) -> dict[str, Any]:
        """Everything a (re)connecting client needs to show the current state."""
        code = session.code
        state: dict[str, Any] = {
            "role": str(session.role),
            "event": {"code": code, "title": session.title},
            "server_time": now_ms(),
        }
        if session.attendee is not None:
            # A flat record of plain values: a copy of its fields is dataclasses.asdict()
            # without the recursive deep copy.
            state["attendee"] = dict(vars(session.attendee))
            state["token"] = session.token
        where = session.scope
        state.update(await self._rooms.welcome(code, session.room))
        current_id = await self._store.get_current(where)
        on_stage = await self._store.get_activity(where, current_id) if current_id else None
        state.update(await self._views.state(where, session, on_stage))
        if session.role is not Role.ATTENDEE:
            state["presence"], state["rooms_online"] = await self._presence.counts(where)
        if session.role is Role.PRESENTER:
            # The room a room's own key is for (None: the event-wide key).
            state["key_room"] = session.key_room
        return state


def _event_field(auth: Any) -> str | None:
    """The event code a refused client asked for, for the log line (never a secret)."""
    code = auth.get("event") if isinstance(auth, dict) else None
    return code[:16] if isinstance(code, str) else None
