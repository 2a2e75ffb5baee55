"""In-process store: the embedded default. Single event loop, so no locks are needed:
no method awaits between reading and writing, which makes each call atomic."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from plenary.scopes import event_code
from plenary.store.base import (
    CLOSED,
    DRAFT,
    Activity,
    AnswerRecord,
    AttendeeRecord,
    Claim,
    ClaimKind,
    EventRecord,
    JoinOutcome,
    JoinResult,
    RecordOutcome,
    RecordResult,
    RoomRecord,
    StageChange,
    Store,
    Tally,
    TicketOutcome,
    online_by_room,
)


@dataclass
class _ActivityState:
    definition: Mapping[str, Any]
    status: str
    meta: dict[str, Any] = field(default_factory=dict)
    answers: dict[str, AnswerRecord] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)
    labels: dict[str, str] = field(default_factory=dict)
    vote_ids: set[str] = field(default_factory=set)
    version: int = 0
    emitted_version: int = 0
    window_until_ms: int = 0
    state_seq: int = 0
    #: ticket -> holder ("" while free), and holder -> ticket
    tickets: dict[str, str] = field(default_factory=dict)
    holders: dict[str, str] = field(default_factory=dict)

    def snapshot(self, activity_id: str) -> Activity:
        return Activity(activity_id, self.definition, self.status, dict(self.meta), self.state_seq)


@dataclass
class _EventState:
    record: EventRecord
    attendees: dict[str, AttendeeRecord] = field(default_factory=dict)
    tokens: dict[str, str] = field(default_factory=dict)
    rooms: dict[str, RoomRecord] = field(default_factory=dict)


@dataclass
class _StageState:
    """One room's activities and what is on its stage (keyed by scope)."""

    activities: dict[str, _ActivityState] = field(default_factory=dict)
    current: str | None = None


class MemoryStore(Store):
    """All state in Python dicts, for one server process."""

    backend = "memory"

    def __init__(self, clock_ms: Any = None) -> None:
        from plenary.clock import now_ms

        self._now = clock_ms or now_ms
        self._events: dict[str, _EventState] = {}
        self._stages: dict[str, _StageState] = {}
        self._expiry_ms: dict[str, int] = {}
        self._presence: dict[str, tuple[int, dict[str, int]]] = {}
        #: bucket -> (tokens, time ms of the last take, time ms it is full again)
        self._buckets: dict[str, tuple[float, int, int]] = {}

    async def ping(self) -> bool:
        return True

    def _event(self, code: str) -> _EventState | None:
        return self._events.get(code)

    def _activity(self, code: str, activity_id: str) -> _ActivityState | None:
        stage = self._stages.get(code)
        return stage.activities.get(activity_id) if stage else None

    # -- events -------------------------------------------------------------
    async def create_event(self, event: EventRecord) -> bool:
        if event.code in self._events:
            return False
        self._events[event.code] = _EventState(event)
        return True

    async def get_event(self, code: str) -> EventRecord | None:
        event = self._event(code)
        return event.record if event else None

    async def list_events(self) -> list[EventRecord]:
        return sorted((e.record for e in self._events.values()), key=lambda r: r.created_at)

    async def set_join_form(self, code: str, join: Mapping[str, Any]) -> EventRecord | None:
        event = self._event(code)
        if event is None:
            return None
        event.record = replace(event.record, join=dict(join))
        return event.record

    async def end_event(self, code: str, ended_at: int) -> EventRecord | None:
        event = self._event(code)
        if event is None:
            return None
        if event.record.ended_at is None:
            event.record = replace(event.record, ended_at=ended_at)
        return event.record

    async def expire_event(self, code: str, ttl_s: int) -> None:
        if code in self._events:
            self._expiry_ms[code] = self._now() + ttl_s * 1000

    async def purge_event(self, code: str) -> None:
        self._events.pop(code, None)
        self._expiry_ms.pop(code, None)
        for scope in [s for s in self._stages if event_code(s) == code]:
            del self._stages[scope]

    async def sweep(self, now: int) -> None:
        for code, when in list(self._expiry_ms.items()):
            if when <= now:
                await self.purge_event(code)
        full = [bucket for bucket, (_, _, full_at) in self._buckets.items() if full_at <= now]
        for bucket in full:
            del self._buckets[bucket]

    # -- attendees ----------------------------------------------------------
    async def join_event(
        self, code: str, attendee: AttendeeRecord, token_digest: str, max_attendees: int
    ) -> JoinResult:
        event = self._event(code)
        if event is None:
            return JoinResult(JoinOutcome.UNKNOWN_EVENT)
        if event.record.ended_at is not None:
            return JoinResult(JoinOutcome.ENDED, event.record)
        if len(event.attendees) >= max_attendees:
            return JoinResult(JoinOutcome.FULL, event.record)
        event.attendees[attendee.id] = attendee
        event.tokens[token_digest] = attendee.id
        return JoinResult(JoinOutcome.JOINED, event.record)

    async def find_attendee(self, code: str, token_digest: str) -> AttendeeRecord | None:
        event = self._event(code)
        if event is None or token_digest not in event.tokens:
            return None
        return event.attendees.get(event.tokens[token_digest])

    async def list_attendees(self, code: str) -> list[AttendeeRecord]:
        event = self._event(code)
        return list(event.attendees.values()) if event else []

    async def count_attendees(self, code: str) -> int:
        event = self._event(code)
        return len(event.attendees) if event else 0

    # -- rooms --------------------------------------------------------------
    async def add_room(self, code: str, room: RoomRecord, max_rooms: int) -> bool:
        event = self._event(code)
        if event is None or len(event.rooms) >= max_rooms or room.id in event.rooms:
            return False
        event.rooms[room.id] = room
        return True

    async def put_room(self, code: str, room: RoomRecord) -> None:
        event = self._event(code)
        if event is not None:
            event.rooms[room.id] = room

    async def get_room(self, code: str, room_id: str) -> RoomRecord | None:
        event = self._event(code)
        return event.rooms.get(room_id) if event else None

    async def list_rooms(self, code: str) -> list[RoomRecord]:
        event = self._event(code)
        rooms = event.rooms.values() if event else ()
        return sorted(rooms, key=lambda r: (r.position, r.created_at, r.id))

    # -- activities ---------------------------------------------------------
    async def add_activity(
        self, code: str, activity_id: str, definition: Mapping[str, Any], status: str
    ) -> bool:
        if event_code(code) not in self._events:
            return False  # the event was purged meanwhile
        stage = self._stages.setdefault(code, _StageState())
        if activity_id in stage.activities:
            return False
        stage.activities[activity_id] = _ActivityState(dict(definition), status)
        return True

    async def get_activity(self, code: str, activity_id: str) -> Activity | None:
        state = self._activity(code, activity_id)
        return state.snapshot(activity_id) if state else None

    async def list_activities(self, code: str) -> list[Activity]:
        stage = self._stages.get(code)
        if stage is None:
            return []
        return [state.snapshot(aid) for aid, state in stage.activities.items()]

    async def update_activity(
        self,
        code: str,
        activity_id: str,
        status: str | None,
        meta: Mapping[str, Any],
        expect: str | None = None,
        if_seq: int | None = None,
    ) -> Activity | None:
        state = self._activity(code, activity_id)
        if (
            state is None
            or (expect is not None and state.status != expect)
            or (if_seq is not None and state.state_seq != if_seq)
        ):
            return None
        if status is not None:
            state.status = status
        state.meta.update(meta)
        state.state_seq += 1
        return state.snapshot(activity_id)

    async def update_definition(
        self, code: str, activity_id: str, definition: Mapping[str, Any], if_status: str
    ) -> tuple[bool, Activity | None]:
        state = self._activity(code, activity_id)
        if state is None:
            return False, None
        if state.status != if_status:
            return False, state.snapshot(activity_id)
        state.definition = dict(definition)
        state.state_seq += 1
        return True, state.snapshot(activity_id)

    async def delete_activity(self, code: str, activity_id: str) -> bool:
        stage = self._stages.get(code)
        if stage is None or stage.activities.pop(activity_id, None) is None:
            return False
        if stage.current == activity_id:
            stage.current = None
        return True

    async def reorder_activities(self, code: str, order: list[str]) -> bool:
        stage = self._stages.get(code)
        known = list(stage.activities) if stage else []
        if len(order) != len(known) or set(order) != set(known):
            return False
        if stage is not None:
            stage.activities = {aid: stage.activities[aid] for aid in order}
        return True

    async def set_current(self, code: str, activity_id: str | None) -> None:
        self._stages.setdefault(code, _StageState()).current = activity_id

    async def get_current(self, code: str) -> str | None:
        stage = self._stages.get(code)
        return stage.current if stage else None

    async def take_stage(
        self,
        code: str,
        activity_id: str | None,
        status: str | None,
        meta: Mapping[str, Any],
        closed_meta: Mapping[str, Any],
    ) -> StageChange:
        # No await in here: atomic within the process, as the embedded mode needs.
        stage = self._stages.get(code)
        target = stage.activities.get(activity_id) if stage and activity_id else None
        if stage is None or (activity_id is not None and target is None):
            return StageChange()
        before = after = None
        previous = stage.current
        running = stage.activities.get(previous) if previous else None
        if (
            previous
            and previous != activity_id
            and running is not None
            and running.status not in (DRAFT, CLOSED)
        ):
            before = running.snapshot(previous)
            running.status = CLOSED
            running.meta.update(closed_meta)
            running.state_seq += 1
            after = running.snapshot(previous)
        current = None
        if activity_id is not None and target is not None:
            if status is not None or meta:
                if status is not None:
                    target.status = status
                target.meta.update(meta)
                target.state_seq += 1
            stage.current = activity_id
            current = target.snapshot(activity_id)
        return StageChange(before, after, current)

    # -- answers ------------------------------------------------------------
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
        state = self._activity(code, activity_id)
        if state is None:
            return RecordResult(RecordOutcome.MISSING)
        vote_key = f"{attendee_id}:{vote_id}"
        if vote_key in state.vote_ids:
            return RecordResult(RecordOutcome.DUPLICATE, state.version)
        if state.status != open_status:
            return RecordResult(RecordOutcome.NOT_OPEN, state.version)
        state.vote_ids.add(vote_key)
        previous = state.answers.get(attendee_id)
        if previous is not None:
            for key in previous.keys:
                left = state.counts.get(key, 0) - 1
                if left > 0:
                    state.counts[key] = left
                else:
                    state.counts.pop(key, None)
        for key in keys:
            state.counts[key] = state.counts.get(key, 0) + 1
        for key, label in (labels or {}).items():
            state.labels.setdefault(key, label)
        state.answers[attendee_id] = AnswerRecord(value, tuple(keys), vote_id, ts)
        state.version += 1
        return RecordResult(RecordOutcome.STORED, state.version)

    async def get_tally(self, code: str, activity_id: str) -> Tally:
        state = self._activity(code, activity_id)
        if state is None:
            return Tally({}, 0, 0)
        return Tally(dict(state.counts), len(state.answers), state.version, dict(state.labels))

    async def get_answer(
        self, code: str, activity_id: str, attendee_id: str
    ) -> AnswerRecord | None:
        state = self._activity(code, activity_id)
        return state.answers.get(attendee_id) if state else None

    async def list_answers(self, code: str, activity_id: str) -> dict[str, AnswerRecord]:
        state = self._activity(code, activity_id)
        return dict(state.answers) if state else {}

    async def claim_broadcast(
        self, code: str, activity_id: str, version: int, window_ms: int
    ) -> Claim:
        state = self._activity(code, activity_id)
        if state is None or state.emitted_version >= version:
            return Claim(ClaimKind.DONE)
        now = self._now()
        if now < state.window_until_ms:
            return Claim(ClaimKind.WAIT, wait_ms=state.window_until_ms - now)
        state.window_until_ms = now + window_ms
        state.emitted_version = state.version
        return Claim(ClaimKind.GO, version=state.version)

    # -- tickets ------------------------------------------------------------
    async def add_tickets(
        self, code: str, activity_id: str, tickets: Collection[str], max_tickets: int
    ) -> int | None:
        state = self._activity(code, activity_id)
        if state is None:
            return None
        new = {t for t in tickets if t not in state.tickets}
        if len(state.tickets) + len(new) > max_tickets:
            return None
        state.tickets.update(dict.fromkeys(new, ""))
        return len(state.tickets)

    async def claim_ticket(
        self, code: str, activity_id: str, ticket: str, holder: str
    ) -> TicketOutcome:
        state = self._activity(code, activity_id)
        if state is None or ticket not in state.tickets:
            return TicketOutcome.UNKNOWN
        owner = state.tickets[ticket]
        if owner == holder:
            return TicketOutcome.HELD
        if owner:
            return TicketOutcome.TAKEN
        if holder in state.holders:
            return TicketOutcome.OTHER
        state.tickets[ticket] = holder
        state.holders[holder] = ticket
        return TicketOutcome.CLAIMED

    async def ticket_of(self, code: str, activity_id: str, holder: str) -> str | None:
        state = self._activity(code, activity_id)
        return state.holders.get(holder) if state else None

    async def count_tickets(self, code: str, activity_id: str) -> tuple[int, int]:
        state = self._activity(code, activity_id)
        return (len(state.tickets), len(state.holders)) if state else (0, 0)

    # -- rate limits --------------------------------------------------------
    async def take_token(self, bucket: str, rate: float, burst: int) -> int:
        now = self._now()
        found = self._buckets.get(bucket)
        tokens = float(burst)
        if found is not None:
            tokens = min(burst, found[0] + max(0, now - found[1]) * rate / 1000)
        if tokens < 1:
            return int((1 - tokens) * 1000 / rate) + 1
        tokens -= 1
        self._buckets[bucket] = (tokens, now, now + int((burst - tokens) * 1000 / rate) + 1)
        return 0

    # -- presence -----------------------------------------------------------
    async def set_presence(self, process_id: str, counts: Mapping[str, int], now: int) -> None:
        self._presence[process_id] = (now, dict(counts))

    async def list_presence(self) -> dict[str, tuple[int, dict[str, int]]]:
        return {pid: (seen, dict(counts)) for pid, (seen, counts) in self._presence.items()}

    async def count_online(self, code: str, now: int) -> int:
        return sum(online_by_room(self._presence, code, now).values())
