"""Where an activity lives: the stage of one room of an event.

An event has a main room and the rooms its organiser adds (see :mod:`plenary.rooms`).
Everything that belongs to one room's stage (its activities, answers and tallies in the
store; the Socket.IO audiences its broadcasts go to; its Redis pub/sub channel) is keyed
by the room's *scope*: the event's join code for the main room, so that an event without
rooms is stored, broadcast and exported exactly as before rooms existed, and
``CODE/ROOM`` for any other room. What belongs to the whole event (the event record,
attendees, the rooms themselves) stays keyed by the join code.

Activity kinds receive a scope wherever their interface says ``code`` and pass it back
to the store and the broadcaster unchanged; :func:`event_code` gives them the event's
code for event-wide records (attendee names).
"""

from __future__ import annotations

import re

from plenary.ids import JOIN_CODE_ALPHABET, JOIN_CODE_LENGTH

#: The id of the room every event has, and where clients that name no room are.
MAIN_ROOM = "main"
SEPARATOR = "/"
#: What a room id looks like (``main`` or one made by :func:`plenary.ids.new_id`).
ROOM_ID = re.compile(r"^[a-z0-9][a-z0-9_-]{0,31}$")


def scope(code: str, room: str = MAIN_ROOM) -> str:
    """The scope of ``room`` in event ``code``."""
    return code if room == MAIN_ROOM else f"{code}{SEPARATOR}{room}"


def event_code(scope_: str) -> str:
    """The join code of the event a scope belongs to."""
    return scope_.partition(SEPARATOR)[0]


def room_of(scope_: str) -> str:
    """The room id of a scope."""
    return scope_.partition(SEPARATOR)[2] or MAIN_ROOM


def is_scope(value: object) -> bool:
    """True for a well-formed scope (a join code, optionally ``/ROOM``)."""
    if not isinstance(value, str):
        return False
    code, sep, room = value.partition(SEPARATOR)
    if len(code) != JOIN_CODE_LENGTH or not all(c in JOIN_CODE_ALPHABET for c in code):
        return False
    return not sep or (room != MAIN_ROOM and ROOM_ID.match(room) is not None)
