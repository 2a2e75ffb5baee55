"""Events and identities: creating events, and turning a connect ``auth`` payload into a
verified role (presenter key check, attendee join or resume)."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, replace
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from plenary import ids
from plenary.clock import now_ms
from plenary.errors import ErrorCode, PlenaryError, bad_request
from plenary.join_form import JoinForm, guest_name, parse_join_form
from plenary.roles import Role
from plenary.scopes import MAIN_ROOM, ROOM_ID, scope
from plenary.settings import Limits
from plenary.store import AttendeeRecord, EventRecord, JoinOutcome, Store
from plenary.text import clean_text
from plenary.validation import validation_error

log = logging.getLogger(__name__)

ROLE_VALUES = frozenset(r.value for r in Role)
#: How long a process keeps an event's join form before reading it again.
JOIN_FORM_TTL_S = 2.0


class ConnectAuth(BaseModel):
    """The Socket.IO connect ``auth`` payload."""

    model_config = ConfigDict(strict=True)

    event: str
    role: Annotated[Role, Field(strict=False)]
    name: str | None = None
    country: str | None = None
    organisation: str | None = None
    token: str | None = None
    key: str | None = None
    room: str | None = None


@dataclass(frozen=True)
class Identity:
    """A verified connection: role, event, and for attendees who they are."""

    role: Annotated[Role, Field(strict=False)]
    event: EventRecord
    attendee: AttendeeRecord | None = None
    token: str | None = None
    #: The room of the event the connection starts in.
    room: str = MAIN_ROOM
    #: For a presenter with a room's own key: that room, the only one it may act in
    #: (None: the event-wide key).
    key_room: str | None = None


class EventService:
    """Creates events and authenticates connections."""

    def __init__(self, store: Store, limits: Limits) -> None:
        self._store = store
        self._limits = limits
        #: join code -> (loop time it expires, the event's join form): a join storm
        #: reads each event's form once every JOIN_FORM_TTL_S, not once per join.
        self._forms: dict[str, tuple[float, JoinForm]] = {}

    async def create_event(self, title: Any, join: Any = None) -> tuple[EventRecord, str]:
        """A new event with a fresh join code; returns it with its presenter key."""
        form = parse_join_form(join) if join is not None else JoinForm()
        if not isinstance(title, str) or not clean_text(title):
            raise bad_request("title must be a non-empty string.")
        title = clean_text(title)
        if len(title) > self._limits.max_title_len:
            raise PlenaryError(
                ErrorCode.TOO_LONG, f"title is longer than {self._limits.max_title_len} characters."
            )
        key = ids.new_secret()
        for _ in range(20):
            record = EventRecord(
                ids.new_join_code(), title, ids.digest(key), now_ms(), join=form.to_dict()
            )
            if await self._store.create_event(record):
                log.info("event created", extra={"event": record.code})
                return record, key
        raise PlenaryError(ErrorCode.INTERNAL, "Could not find a free join code; try again.")

    async def set_join_form(self, code: str, value: Any) -> JoinForm:
        """Change what the event asks of people who join (fields left out stay)."""
        event = await self.event_or_error(code)
        form = parse_join_form(value, JoinForm.from_dict(event.join))
        await self._store.set_join_form(event.code, form.to_dict())
        self._forms.pop(event.code, None)
        return form

    async def join_form(self, code: str) -> JoinForm:
        """The event's join form, read at most every JOIN_FORM_TTL_S on this process."""
        now = time.monotonic()
        found = self._forms.get(code)
        if found is not None and found[0] > now:
            return found[1]
        event = await self._store.get_event(code)
        form = JoinForm.from_dict(event.join if event else None)
        if len(self._forms) >= 4096:
            self._forms.clear()
        self._forms[code] = (now + JOIN_FORM_TTL_S, form)
        return form

    async def event_or_error(self, code: Any, allow_ended: bool = True) -> EventRecord:
        if not isinstance(code, str) or not code.strip():
            raise bad_request("event must be a join code.")
        event = await self._store.get_event(ids.normalise_join_code(code))
        if event is None:
            raise PlenaryError(
                ErrorCode.UNKNOWN_EVENT, "No event has this join code; check the code and retry."
            )
        if event.ended_at is not None and not allow_ended:
            raise PlenaryError(ErrorCode.EVENT_ENDED, "This event has ended. Thank you!")
        return event

    async def check_presenter_key(
        self, code: Any, key: Any, allow_ended: bool = True
    ) -> EventRecord:
        """The event, if ``key`` is its presenter key."""
        event = await self.event_or_error(code, allow_ended)
        if not isinstance(key, str) or not ids.secret_matches(key, event.presenter_key_digest):
            raise PlenaryError(ErrorCode.BAD_KEY, "The presenter key is wrong for this event.")
        return event

    async def authenticate(self, auth: Any) -> Identity:
        """Verify a connect ``auth`` payload (see docs/protocol.md, "Connecting")."""
        if not isinstance(auth, dict):
            raise bad_request('Connect with an auth object such as {"event": CODE, "role": ...}.')
        try:
            role_value = auth.get("role")
            if role_value not in ROLE_VALUES:
                raise PlenaryError(
                    ErrorCode.BAD_ROLE, "role must be 'attendee', 'presenter' or 'screen'."
                )
            payload = ConnectAuth.model_validate(auth)
        except ValidationError as exc:
            raise validation_error(exc) from None
        if payload.room is not None and not ROOM_ID.match(payload.room):
            raise bad_request("room must be a room id from the event's programme, e.g. 'main'.")
        if payload.role is Role.PRESENTER:
            return await self._presenter(payload)
        if payload.role is Role.ATTENDEE and not payload.token:
            # The room first: a refusal must not leave a new attendee behind.
            room = await self._room(ids.normalise_join_code(payload.event), payload.room)
            return replace(await self._join(payload), room=room)
        event = await self.event_or_error(payload.event, allow_ended=False)
        room = await self._room(event.code, payload.room)
        if payload.role is Role.SCREEN:
            return Identity(Role.SCREEN, event, room=room)
        known = await self._store.find_attendee(event.code, ids.digest(payload.token or ""))
        if known is not None:
            return Identity(Role.ATTENDEE, event, known, payload.token, room=room)
        if not payload.name:
            raise PlenaryError(
                ErrorCode.BAD_TOKEN, "This resume token is not known here; join with a name."
            )
        return replace(await self._join(payload), room=room)

    async def presenter_scope(self, code: Any, key: Any, room: Any) -> tuple[EventRecord, str]:
        """For a presenter's REST request: the event and the scope the key may act in:
        the room named (default the main room) with the event-wide key, or a room's own
        key's room (naming another is ``forbidden``)."""
        if room is not None and (not isinstance(room, str) or not ROOM_ID.match(room)):
            raise bad_request("room must be a room id from the event's programme.")
        if not isinstance(code, str):
            raise bad_request("event must be a join code.")
        identity = await self._presenter(
            ConnectAuth(
                event=code,
                role=Role.PRESENTER,
                key=key if isinstance(key, str) else None,
                room=room,
            )
        )
        return identity.event, scope(identity.event.code, identity.room)

    async def _presenter(self, auth: ConnectAuth) -> Identity:
        """A presenter with the event-wide key (any room), or a room's own key (that
        room only; the key names its room, so ``room`` may be left out)."""
        event = await self.event_or_error(auth.event, allow_ended=False)
        key = auth.key
        if isinstance(key, str) and ids.secret_matches(key, event.presenter_key_digest):
            return Identity(Role.PRESENTER, event, room=await self._room(event.code, auth.room))
        if isinstance(key, str):
            for room in await self._store.list_rooms(event.code):
                if room.presenter_key_digest and ids.secret_matches(key, room.presenter_key_digest):
                    if auth.room not in (None, room.id):
                        raise PlenaryError(
                            ErrorCode.FORBIDDEN,
                            "This presenter key is for another room; connect without "
                            "'room' or with the key of the room you name.",
                        )
                    if room.closed_at is not None:
                        raise PlenaryError(ErrorCode.NOT_FOUND, "This room is closed.")
                    return Identity(Role.PRESENTER, event, room=room.id, key_room=room.id)
        raise PlenaryError(ErrorCode.BAD_KEY, "The presenter key is wrong for this event.")

    async def _room(self, code: str, room_id: str | None) -> str:
        """The room a connection starts in: the one it names if that is open; the main
        room if it names none, or names a room that was closed meanwhile (an attendee
        coming back later); ``not_found`` for a room the event never had."""
        if room_id is None or room_id == MAIN_ROOM:
            return MAIN_ROOM
        room = await self._store.get_room(code, room_id)
        if room is None:
            await self.event_or_error(code, allow_ended=False)  # unknown or ended: says so
            raise PlenaryError(
                ErrorCode.NOT_FOUND,
                f"Room {room_id!r} is not in this event's programme; connect without "
                "'room' to enter the main room.",
            )
        return MAIN_ROOM if room.closed_at is not None else room.id

    async def _join(self, auth: ConnectAuth) -> Identity:
        """A new attendee: checked here, then admitted by the store in one step (event
        known and not ended, not full, attendee added)."""
        try:
            form = await self.join_form(ids.normalise_join_code(auth.event))
            attendee = self._new_attendee(auth, form)
        except PlenaryError:
            # A wrong or ended event is the first thing to tell (it needs another code).
            await self.event_or_error(auth.event, allow_ended=False)
            raise
        token = ids.new_secret()
        code = ids.normalise_join_code(auth.event)
        joined = await self._store.join_event(
            code, attendee, ids.digest(token), self._limits.max_attendees_per_event
        )
        if joined.outcome is JoinOutcome.JOINED and joined.event is not None:
            return Identity(Role.ATTENDEE, joined.event, attendee, token)
        if joined.outcome is JoinOutcome.FULL:
            raise PlenaryError(
                ErrorCode.EVENT_FULL, "This event is full; ask the organiser for a place."
            )
        await self.event_or_error(auth.event, allow_ended=False)  # unknown or ended: says so
        raise PlenaryError(ErrorCode.UNKNOWN_EVENT, "No event has this join code.")

    def _new_attendee(self, auth: ConnectAuth, form: JoinForm) -> AttendeeRecord:
        name = self._text(auth.name, "name", self._limits.max_name_len)
        if form.name == "none":
            name = ""  # an anonymous event: a name given anyway is not kept
        if not name:
            if form.name == "required":
                raise PlenaryError(ErrorCode.NAME_REQUIRED, "Enter a name to join.")
            name = guest_name()
        country = self._text(auth.country, "country", 60) if form.country else ""
        organisation = self._text(auth.organisation, "organisation", 120)
        return AttendeeRecord(
            id=ids.new_id("a"),
            name=name,
            country=country or None,
            organisation=(organisation if form.organisation else "") or None,
            joined_at=now_ms(),
        )

    @staticmethod
    def _text(value: str | None, field: str, max_len: int) -> str:
        text = clean_text(value or "")
        if len(text) > max_len:
            raise PlenaryError(ErrorCode.TOO_LONG, f"{field} is longer than {max_len} characters.")
        return text
