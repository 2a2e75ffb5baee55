"""Audiences: the Socket.IO rooms a socket is in (named apart from the event's rooms,
:mod:`plenary.rooms`, which they serve). Every socket is in its scope's ``everyone``
audience and in one of ``staff`` (presenters and screens) or ``attendees``; staff are
also in ``presenters`` or ``screens``, so that what only presenters see (live results
before the reveal, entries waiting for moderation, a sealed ballot's live count) can be
told apart from what a big screen shows. A scope is one room of an event
(:mod:`plenary.scopes`), so a room's broadcasts reach that room's people only."""

from __future__ import annotations

from plenary.scopes import is_scope


def everyone(scope: str) -> str:
    return scope


def staff(scope: str) -> str:
    return f"{scope}#staff"


def attendees(scope: str) -> str:
    return f"{scope}#att"


def presenters(scope: str) -> str:
    return f"{scope}#pres"


def screens(scope: str) -> str:
    return f"{scope}#scr"


_GROUPS = ("", "staff", "att", "pres", "scr")


def scope_of(audience: object) -> str | None:
    """The scope of one of the audiences above, or None (e.g. a socket id)."""
    if not isinstance(audience, str):
        return None
    where, _, group = audience.partition("#")
    if group not in _GROUPS:
        return None
    return where if is_scope(where) else None
