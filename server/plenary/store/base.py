"""The storage interface every backend implements, and the records it deals in.

Two backends share it: :class:`~plenary.store.memory.MemoryStore` (one process, the
embedded default) and :class:`~plenary.store.redis.RedisStore` (many processes and
hosts). One test suite (``tests/test_store.py``) runs against both, so they cannot drift.

The interface is deliberately generic: an *activity* is a definition (plain data owned
by its activity module) plus a status and a few state fields; an *answer* is a value
plus the *keys* it counts under. Polls, quizzes, café rounds and ballots all fit that
shape, so new activity kinds need no new store methods for answering and counting.
"""

from __future__ import annotations

import abc
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from plenary.scopes import event_code, room_of

# How long a process may go without a heartbeat before its presence counts are ignored.
PRESENCE_TTL_MS = 15_000


@dataclass(frozen=True)
class EventRecord:
    """An event: a join code, a title and the digest of its presenter key."""

    code: str
    title: str
    presenter_key_digest: str
    created_at: int
    ended_at: int | None = None
    #: What the event asks of people who join (plenary.join_form; empty: the defaults).
    join: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class AttendeeRecord:
    """An attendee's identity within one event (no secrets)."""

    id: str
    name: str
    country: str | None = None
    organisation: str | None = None
    joined_at: int = 0


@dataclass(frozen=True)
class RoomRecord:
    """A room of an event's programme (see :mod:`plenary.rooms`). The main room has a
    record only once it was renamed or moved; otherwise it is implied."""

    id: str
    title: str
    #: Place in the programme (lower first); ties go by ``created_at``.
    position: int
    description: str = ""
    starts_at: int | None = None
    ends_at: int | None = None
    #: Digest of the room's own presenter key ("" for none: the main room).
    presenter_key_digest: str = ""
    created_at: int = 0
    closed_at: int | None = None


@dataclass(frozen=True)
class Activity:
    """An activity as stored: its definition, status and state fields (``meta``)."""

    id: str
    definition: Mapping[str, Any]
    status: str
    meta: Mapping[str, Any] = field(default_factory=dict)
    #: +1 on every update_activity: clients detect missed state broadcasts by a gap.
    state_seq: int = 0


@dataclass(frozen=True)
class AnswerRecord:
    """One attendee's current answer to one activity."""

    value: Any
    keys: tuple[str, ...]
    vote_id: str
    ts: int


#: The statuses every activity kind shares: never on stage yet, and done. Any other
#: status (``open``, a quiz's ``question``...) means running: the stage closes it when
#: another activity takes the stage or the event ends.
DRAFT = "draft"
CLOSED = "closed"


@dataclass(frozen=True)
class StageChange:
    """What :meth:`Store.take_stage` did: the activity it closed (as it was before and
    after), and the one on stage now (None: the activity to put on stage is missing,
    and nothing changed)."""

    closed_before: Activity | None = None
    closed: Activity | None = None
    current: Activity | None = None


class RecordOutcome(StrEnum):
    """What :meth:`Store.record_answer` did."""

    STORED = "stored"  # new or replaced answer, counted
    DUPLICATE = "duplicate"  # this vote_id was already stored for this attendee: no change
    NOT_OPEN = "not_open"  # the activity is not accepting answers: no change
    MISSING = "missing"  # no such activity: no change


@dataclass(frozen=True)
class RecordResult:
    """Outcome of recording an answer, with the activity's answer version after it."""

    outcome: RecordOutcome
    version: int = 0


@dataclass(frozen=True)
class Tally:
    """Counts per key, number of respondents, and the version they reflect."""

    counts: dict[str, int]
    total: int
    version: int
    #: counting key -> readable form, as first recorded (free-text answers only)
    labels: dict[str, str] = field(default_factory=dict)


class TicketOutcome(StrEnum):
    """What :meth:`Store.claim_ticket` did."""

    CLAIMED = "claimed"  # the ticket was free: it is the holder's now
    HELD = "held"  # the ticket was already this holder's: no change
    TAKEN = "taken"  # another holder has the ticket: no change
    OTHER = "other"  # this holder has another ticket of the activity: no change
    UNKNOWN = "unknown"  # no such ticket (or no such activity): no change


class JoinOutcome(StrEnum):
    """What :meth:`Store.join_event` did."""

    JOINED = "joined"  # the attendee was added
    UNKNOWN_EVENT = "unknown_event"  # no event has this code: no change
    ENDED = "ended"  # the event has ended: no change
    FULL = "full"  # the event has its maximum of attendees: no change


@dataclass(frozen=True)
class JoinResult:
    """Outcome of :meth:`Store.join_event`, with the event when it exists."""

    outcome: JoinOutcome
    event: EventRecord | None = None


class ClaimKind(StrEnum):
    """Answer of :meth:`Store.claim_broadcast`."""

    GO = "go"  # you broadcast now; ``version`` is what the broadcast must at least show
    WAIT = "wait"  # someone broadcast less than a window ago: ask again after ``wait_ms``
    DONE = "done"  # a broadcast that includes the version you asked about was already made


@dataclass(frozen=True)
class Claim:
    kind: ClaimKind
    version: int = 0
    wait_ms: int = 0


class Store(abc.ABC):
    """Shared state of all events. Every method is safe to call from many processes at
    once; those that must agree across processes are atomic in the backend."""

    backend: str = "abstract"
    #: True when other processes share this store (Redis): a limit that must hold over
    #: all of them asks it (see :meth:`take_token`).
    shared: bool = False

    async def start(self) -> None:  # noqa: B027 - optional hook
        """Open connections and load scripts."""

    async def close(self) -> None:  # noqa: B027 - optional hook
        """Release connections."""

    @abc.abstractmethod
    async def ping(self) -> bool:
        """True when the store can serve requests."""

    # -- events -------------------------------------------------------------
    @abc.abstractmethod
    async def create_event(self, event: EventRecord) -> bool:
        """Store a new event; False if the code is taken."""

    @abc.abstractmethod
    async def get_event(self, code: str) -> EventRecord | None:
        """The event with this join code, if any."""

    @abc.abstractmethod
    async def list_events(self) -> list[EventRecord]:
        """All events, oldest first."""

    @abc.abstractmethod
    async def set_join_form(self, code: str, join: Mapping[str, Any]) -> EventRecord | None:
        """Replace what the event asks of people who join; None if the event is missing."""

    @abc.abstractmethod
    async def end_event(self, code: str, ended_at: int) -> EventRecord | None:
        """Mark the event ended (idempotent: the first end time stays); None if missing."""

    @abc.abstractmethod
    async def expire_event(self, code: str, ttl_s: int) -> None:
        """Let every record of the event disappear ``ttl_s`` seconds from now."""

    @abc.abstractmethod
    async def purge_event(self, code: str) -> None:
        """Remove every record of the event now (its rooms' activities too)."""

    async def sweep(self, now: int) -> None:  # noqa: B027 - optional hook
        """Drop what has expired (backends without native expiry)."""

    # -- attendees ----------------------------------------------------------
    @abc.abstractmethod
    async def join_event(
        self, code: str, attendee: AttendeeRecord, token_digest: str, max_attendees: int
    ) -> JoinResult:
        """Admit a new attendee in one step: if the event exists, has not ended and has
        fewer than ``max_attendees`` attendees, add ``attendee`` and the digest of its
        resume token (which :meth:`find_attendee` looks up). Atomic: concurrent joins on
        many processes never exceed the maximum. A join storm costs one round trip per
        join (in Redis, one script call per round)."""

    @abc.abstractmethod
    async def find_attendee(self, code: str, token_digest: str) -> AttendeeRecord | None:
        """The attendee owning a resume token, if any."""

    @abc.abstractmethod
    async def list_attendees(self, code: str) -> list[AttendeeRecord]:
        """Everyone who ever joined the event."""

    @abc.abstractmethod
    async def count_attendees(self, code: str) -> int:
        """How many attendees ever joined the event."""

    # -- rooms --------------------------------------------------------------
    @abc.abstractmethod
    async def add_room(self, code: str, room: RoomRecord, max_rooms: int) -> bool:
        """Add a room to the event's programme in one step: False (and no change) if the
        event does not exist, already has ``max_rooms`` room records or a room with this
        id. Atomic: concurrent adds on many processes never exceed the maximum."""

    @abc.abstractmethod
    async def put_room(self, code: str, room: RoomRecord) -> None:
        """Store a room's record as it is now (renamed, moved, closed), replacing it."""

    @abc.abstractmethod
    async def get_room(self, code: str, room_id: str) -> RoomRecord | None:
        """One room's record, if stored."""

    @abc.abstractmethod
    async def list_rooms(self, code: str) -> list[RoomRecord]:
        """Every stored room record of the event, in programme order."""

    # -- activities ---------------------------------------------------------
    # ``code`` is a room's scope (plenary.scopes): the event code for its main room.
    @abc.abstractmethod
    async def add_activity(
        self, code: str, activity_id: str, definition: Mapping[str, Any], status: str
    ) -> bool:
        """Store a new activity at the end of the event's running order, in one step:
        False (and no change) when the id is taken, so a retry or two processes adding
        the same id at once leave the first one as it is, answers included."""

    @abc.abstractmethod
    async def get_activity(self, code: str, activity_id: str) -> Activity | None:
        """One activity, if it exists."""

    @abc.abstractmethod
    async def list_activities(self, code: str) -> list[Activity]:
        """All activities of the event in creation order."""

    @abc.abstractmethod
    async def update_activity(
        self,
        code: str,
        activity_id: str,
        status: str | None,
        meta: Mapping[str, Any],
        expect: str | None = None,
        if_seq: int | None = None,
    ) -> Activity | None:
        """Atomically set the status (if given) and merge ``meta``; None if missing.
        A status change takes effect for every answer recorded after it.

        With ``expect``, a compare-and-set: the change happens only if the status is
        ``expect`` at that moment, else nothing changes and the result is None. Of many
        processes making the same transition at once, exactly one gets the activity
        back: the one that made it (e.g. the one that closes a quiz's question). With
        ``if_seq``, likewise only if the activity's ``state_seq`` is still ``if_seq``: a
        read-modify-write of its state that many processes may attempt at once, of
        which exactly one succeeds per state."""

    @abc.abstractmethod
    async def update_definition(
        self, code: str, activity_id: str, definition: Mapping[str, Any], if_status: str
    ) -> tuple[bool, Activity | None]:
        """Atomically replace the activity's definition if its status is ``if_status``
        (e.g. editing a draft). Returns whether it did, and the activity as it is now
        (None if missing)."""

    @abc.abstractmethod
    async def delete_activity(self, code: str, activity_id: str) -> bool:
        """Remove an activity with its answers and counts (and from the stage if it is
        the current one); False if it did not exist."""

    @abc.abstractmethod
    async def reorder_activities(self, code: str, order: list[str]) -> bool:
        """Set the running order: ``order`` must hold every activity id once (else
        False and no change). Atomic against concurrent adds and deletes."""

    @abc.abstractmethod
    async def set_current(self, code: str, activity_id: str | None) -> None:
        """Mark the activity on stage (the one attendees see)."""

    @abc.abstractmethod
    async def get_current(self, code: str) -> str | None:
        """The activity on stage, if any."""

    @abc.abstractmethod
    async def take_stage(
        self,
        code: str,
        activity_id: str | None,
        status: str | None,
        meta: Mapping[str, Any],
        closed_meta: Mapping[str, Any],
    ) -> StageChange:
        """Atomically: close the activity on stage if it is running (status neither
        :data:`DRAFT` nor :data:`CLOSED`, and not ``activity_id`` itself) by setting
        :data:`CLOSED` and merging ``closed_meta``; then, if ``activity_id`` is given,
        set its status (unless None) and merge ``meta``, and put it on stage. With
        ``activity_id`` None only the closing happens (the closed activity stays the
        current one). A missing ``activity_id`` changes nothing. Whatever the kinds, and
        however many processes call it at once, one activity at most is running on
        stage."""

    # -- answers ------------------------------------------------------------
    @abc.abstractmethod
    async def record_answer(
        self,
        code: str,
        activity_id: str,
        attendee_id: str,
        vote_id: str,
        keys: tuple[str, ...],
        value: Any,
        ts: int,
        labels: Mapping[str, str] | None = None,
        open_status: str = "open",
    ) -> RecordResult:
        """Atomically: if ``vote_id`` was already stored for this attendee, change
        nothing (DUPLICATE); else if the activity is open (its status is
        ``open_status``), replace the attendee's answer, moving its counts from the old
        keys to the new ones (STORED). ``labels`` give keys a readable form; the first
        label recorded for a key stays. ``open_status`` lets a kind take answers in a
        status of its own (a quiz: ``question:q2``, so that an answer to question 1
        can never be stored once question 2 is open)."""

    @abc.abstractmethod
    async def get_tally(self, code: str, activity_id: str) -> Tally:
        """Counts per key and respondents, read atomically with the version."""

    @abc.abstractmethod
    async def get_answer(
        self, code: str, activity_id: str, attendee_id: str
    ) -> AnswerRecord | None:
        """One attendee's answer."""

    @abc.abstractmethod
    async def list_answers(self, code: str, activity_id: str) -> dict[str, AnswerRecord]:
        """Every answer, by attendee id."""

    @abc.abstractmethod
    async def claim_broadcast(
        self, code: str, activity_id: str, version: int, window_ms: int
    ) -> Claim:
        """Coalesce result broadcasts across processes: at most one GO per window per
        activity, and a GO or DONE eventually for every version anyone asks about."""

    # -- tickets ------------------------------------------------------------
    # One-use tickets of an activity (a ballot's personal voting codes): each is held by
    # at most one holder, and each holder holds at most one ticket of the activity.
    @abc.abstractmethod
    async def add_tickets(
        self, code: str, activity_id: str, tickets: Collection[str], max_tickets: int
    ) -> int | None:
        """Add free ``tickets`` to the activity in one step (one already there keeps its
        holder): the activity's number of tickets afterwards, or None (and no change)
        when the activity does not exist or would then hold more than ``max_tickets``."""

    @abc.abstractmethod
    async def claim_ticket(
        self, code: str, activity_id: str, ticket: str, holder: str
    ) -> TicketOutcome:
        """Atomically give ``ticket`` to ``holder`` if it is free and ``holder`` holds no
        other ticket of the activity. However many processes claim it at once, one
        holder gets it."""

    @abc.abstractmethod
    async def ticket_of(self, code: str, activity_id: str, holder: str) -> str | None:
        """The ticket ``holder`` holds on the activity, if any."""

    @abc.abstractmethod
    async def count_tickets(self, code: str, activity_id: str) -> tuple[int, int]:
        """How many tickets the activity has, and how many of them are held."""

    # -- rate limits --------------------------------------------------------
    @abc.abstractmethod
    async def take_token(self, bucket: str, rate: float, burst: int) -> int:
        """Take one token from the token bucket named ``bucket``, which refills at
        ``rate`` tokens a second up to ``burst`` (and is full when new): 0 when a token
        was taken, else the milliseconds until one is free (nothing taken). Atomic: the
        processes sharing the store share the bucket. A bucket left alone until it is
        full again is forgotten (in Redis, it expires)."""

    # -- presence -----------------------------------------------------------
    @abc.abstractmethod
    async def set_presence(self, process_id: str, counts: Mapping[str, int], now: int) -> None:
        """Heartbeat of one process with its number of connected attendees per scope
        (per room of each event, see plenary.scopes)."""

    @abc.abstractmethod
    async def count_online(self, code: str, now: int) -> int:
        """Connected attendees of an event (all its rooms) over all live processes."""

    async def online_by_room(self, code: str, now: int) -> dict[str, int]:
        """Connected attendees of each room of an event (room id -> count, rooms with
        nobody left out) over all live processes."""
        return online_by_room(await self.list_presence(), code, now)

    @abc.abstractmethod
    async def list_presence(self) -> dict[str, tuple[int, dict[str, int]]]:
        """Every process's last heartbeat: process id -> (time ms, attendees per event)."""


def online_by_room(
    presence: Mapping[str, tuple[int, Mapping[str, int]]], code: str, now: int
) -> dict[str, int]:
    """The live processes' heartbeats (:meth:`Store.list_presence`) summed per room of
    event ``code``."""
    rooms: dict[str, int] = {}
    for seen, counts in presence.values():
        if now - seen > PRESENCE_TTL_MS:
            continue
        for where, count in counts.items():
            if count and event_code(where) == code:
                room = room_of(where)
                rooms[room] = rooms.get(room, 0) + count
    return rooms
