"""Room names. Every socket of an event is in its ``everyone`` room and in one of
``staff`` (presenters and screens: they see live results) or ``attendees``."""

from __future__ import annotations

from plenary.ids import JOIN_CODE_ALPHABET, JOIN_CODE_LENGTH


def everyone(code: str) -> str:
    return code


def staff(code: str) -> str:
    return f"{code}#staff"


def attendees(code: str) -> str:
    return f"{code}#att"


def event_of(room: object) -> str | None:
    """The event code of one of the rooms above, or None (e.g. a socket id)."""
    if not isinstance(room, str):
        return None
    code, _, group = room.partition("#")
    if group not in ("", "staff", "att"):
        return None
    if len(code) != JOIN_CODE_LENGTH or not all(c in JOIN_CODE_ALPHABET for c in code):
        return None
    return code
