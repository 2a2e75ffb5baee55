"""Connection roles, chosen in the Socket.IO connect ``auth`` payload."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    ATTENDEE = "attendee"
    PRESENTER = "presenter"
    SCREEN = "screen"


STAFF_ROLES = frozenset({Role.PRESENTER, Role.SCREEN})
