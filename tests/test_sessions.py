"""The sockets of this process by attendee (``realtime/session.py``): the index personal
messages are delivered through, kept right as sockets come, move rooms and go."""

from __future__ import annotations

from plenary.realtime.ratelimit import TokenBucket
from plenary.realtime.session import Session, Sessions
from plenary.roles import Role
from plenary.store import AttendeeRecord


def session(sid: str, attendee: str | None, role: Role = Role.ATTENDEE) -> Session:
    who = AttendeeRecord(id=attendee, name=attendee) if attendee else None
    return Session(sid=sid, role=role, code="EVT", limiter=TokenBucket(10, 10), attendee=who)


def test_attendee_sockets_follow_connections_rooms_and_leaving() -> None:
    sessions = Sessions()
    first, second_tab, other = session("s1", "a"), session("s2", "a"), session("s3", "b")
    for s in (first, second_tab, other, session("s4", None, Role.PRESENTER)):
        sessions.add(s)
    assert sessions.attendee_sockets("EVT") == {"a": ("s1", "s2"), "b": ("s3",)}

    snapshot = sessions.attendee_sockets("EVT")
    sessions.move(second_tab, "hall-b")
    assert snapshot == {"a": ("s1", "s2"), "b": ("s3",)}, "a copy, unchanged"
    assert sessions.attendee_sockets("EVT") == {"a": ("s1",), "b": ("s3",)}
    assert sessions.attendee_sockets("EVT/hall-b") == {"a": ("s2",)}

    sessions.remove("s1")
    sessions.remove("s3")
    sessions.remove("s3")  # twice: nothing more
    assert sessions.attendee_sockets("EVT") == {}
    sessions.remove("s2")
    assert sessions.attendee_sockets("EVT/hall-b") == {}
    assert sessions._attendee_sids == {}, "nothing kept for scopes nobody is in"
