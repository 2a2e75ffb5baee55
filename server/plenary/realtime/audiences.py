"""Audiences: the Socket.IO rooms a socket is in (named apart from the event's rooms,
:mod:`plenary.rooms`, which they serve). Every socket is in its scope's ``everyone``
audience and in one of ``staff`` (presenters and screens: they see live results) or
``attendees``, and presenters also in ``presenters`` (what the console alone may see,
e.g. a sealed ballot's live count, which screens must not show); a scope is one room of
an event (:mod:`plenary.scopes`), so a room's broadcasts reach that room's people only."""

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


def scope_of(audience: object) -> str | None:
    """The scope of one of the audiences above, or None (e.g. a socket id)."""
    if not isinstance(audience, str):
        return None
    where, _, group = audience.partition("#")
    if group not in ("", "staff", "att", "pres"):
        return None
    return where if is_scope(where) else None
