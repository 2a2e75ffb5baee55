"""Who is on the other end of a socket: role, event and (for attendees) identity."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from plenary.realtime.ratelimit import TokenBucket
from plenary.roles import Role
from plenary.scopes import MAIN_ROOM, scope
from plenary.store import AttendeeRecord


@dataclass
class Session:
    """One connected socket in this process."""

    sid: str
    role: Role
    code: str
    limiter: TokenBucket
    #: The event's title, read once at connect (a title never changes), so that a
    #: welcome costs no store read for it.
    title: str = ""
    attendee: AttendeeRecord | None = None
    #: The attendee's resume token, kept for this connection only so that every
    #: welcome and state:get can hand it back (it is never stored in clear).
    token: str | None = None
    #: The room of the event this socket is in (``room:enter`` moves it).
    room: str = MAIN_ROOM
    #: For a presenter connected with a room's own key: the only room it may act in.
    key_room: str | None = None
    #: Which room's activities this socket sees and acts on: ``code`` for the main
    #: room, ``code/room`` otherwise (see :mod:`plenary.scopes`).
    scope: str = ""

    def __post_init__(self) -> None:
        if not self.scope:
            self.scope = scope(self.code, self.room)

    @property
    def attendee_record(self) -> AttendeeRecord:
        """The attendee; only valid for attendee sessions (the router lets only them
        reach the handlers that ask)."""
        if self.attendee is None:
            raise RuntimeError("not an attendee session")
        return self.attendee

    @property
    def attendee_id(self) -> str:
        """The attendee's id; only valid for attendee sessions."""
        return self.attendee_record.id


class Sessions:
    """The sockets connected to this process, and attendee counts per scope (per room
    of each event)."""

    def __init__(self) -> None:
        self._by_sid: dict[str, Session] = {}
        self.attendees_online: Counter[str] = Counter()
        self.changed_events: set[str] = set()
        #: scope -> attendee id -> their sockets here (a tuple, replaced on change)
        self._attendee_sids: dict[str, dict[str, tuple[str, ...]]] = {}

    def add(self, session: Session) -> None:
        self._by_sid[session.sid] = session
        self._count(session, 1)

    def remove(self, sid: str) -> Session | None:
        session = self._by_sid.pop(sid, None)
        if session is not None:
            self._count(session, -1)
        return session

    def move(self, session: Session, room: str) -> None:
        """``session`` is now in ``room`` of its event."""
        self._count(session, -1)
        session.room = room
        session.scope = scope(session.code, room)
        self._count(session, 1)

    def attendee_sockets(self, where: str) -> dict[str, tuple[str, ...]]:
        """The attendees of scope ``where`` connected here, each with their sockets (a
        copy: it stays as it is while the caller writes to them)."""
        return dict(self._attendee_sids.get(where, {}))

    def _count(self, session: Session, change: int) -> None:
        where = session.scope
        if session.role is Role.ATTENDEE:
            self.attendees_online[where] += change
            if self.attendees_online[where] <= 0:
                del self.attendees_online[where]
            if session.attendee is not None:
                self._index(where, session.attendee.id, session.sid, change > 0)
        self.changed_events.add(where)

    def _index(self, where: str, attendee_id: str, sid: str, added: bool) -> None:
        attendees = self._attendee_sids.setdefault(where, {})
        sids = attendees.get(attendee_id, ())
        if added:
            attendees[attendee_id] = (*sids, sid)
            return
        left = tuple(s for s in sids if s != sid)
        if left:
            attendees[attendee_id] = left
        else:
            attendees.pop(attendee_id, None)
            if not attendees:
                del self._attendee_sids[where]

    def get(self, sid: str) -> Session | None:
        return self._by_sid.get(sid)

    def sids(self) -> list[str]:
        return list(self._by_sid)

    def __len__(self) -> int:
        return len(self._by_sid)

    def take_changed(self) -> set[str]:
        """Scopes whose local attendee count changed since the last call."""
        changed, self.changed_events = self.changed_events, set()
        return changed
