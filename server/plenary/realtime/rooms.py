"""Room names. Every socket of an event is in its ``everyone`` room and in one of
``staff`` (presenters and screens: they see live results) or ``attendees``."""

from __future__ import annotations


def everyone(code: str) -> str:
    return code


def staff(code: str) -> str:
    return f"{code}#staff"


def attendees(code: str) -> str:
    return f"{code}#att"
