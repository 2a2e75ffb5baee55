"""The one-pass decoding of client events and connects (``parse_event`` and
``parse_connect`` in ``plenary.realtime.wire.server``): what they take, and everything they
leave to python-socketio's decoder."""

from __future__ import annotations

from typing import Any

import pytest
from socketio.packet import Packet

from plenary.realtime.wire.server import parse_connect, parse_event


@pytest.mark.parametrize(
    ("frame", "parsed"),
    [
        (
            '2["poll:vote",{"poll_id":"p_1","choice":"a"}]',
            (None, ["poll:vote", {"poll_id": "p_1", "choice": "a"}]),
        ),
        ('27["state:get",{}]', (7, ["state:get", {}])),
        ('2123456789["x"]', (123456789, ["x"])),
        ('20["x",1,null,[2]]', (0, ["x", 1, None, [2]])),
        ('2["ünïcødé ✓"]', (None, ["ünïcødé ✓"])),
    ],
)
def test_default_namespace_events_are_decoded(frame: str, parsed: Any) -> None:
    assert parse_event(frame) == parsed


@pytest.mark.parametrize(
    "frame",
    [
        "",
        "2",
        "2[",
        '2["poll:vote"',  # truncated JSON
        "2[]",  # no event name
        "2[42]",  # a name that is not a string
        '2{"a":1}',  # not an array
        '2/admin,["x"]',  # another namespace
        '21-["x",{"_placeholder":true,"num":0}]',  # binary attachments
        '51-["x",{"_placeholder":true,"num":0}]',
        '3["ack"]',  # not an event
        '21234567890123["x"]',  # an id longer than parse_event reads
        '2²["x"]',  # a digit that int() would not read
        '2[NaN, "x"]',  # JSON orjson declines: python-socketio's decoder decides
        '2["\\ud800"]',  # a lone surrogate: the same
        b'2["x"]',  # bytes are a binary message
        None,
    ],
)
def test_everything_else_is_left_to_python_socketio(frame: Any) -> None:
    assert parse_event(frame) is None


@pytest.mark.parametrize(
    ("frame", "auth"),
    [
        ("0", (None,)),
        (
            '0{"event":"ABCDEF","role":"attendee","name":"Ada"}',
            ({"event": "ABCDEF", "role": "attendee", "name": "Ada"},),
        ),
        ("0{}", ({},)),
        ('0{"name":"Zoë ✓"}', ({"name": "Zoë ✓"},)),
    ],
)
def test_default_namespace_connects_are_decoded(frame: str, auth: Any) -> None:
    assert parse_connect(frame) == auth
    # What python-socketio's own decoder makes of the same frame.
    packet = Packet(encoded_packet=frame)
    assert (packet.packet_type, packet.namespace, packet.data) == (0, None, auth[0])


@pytest.mark.parametrize(
    "frame",
    [
        "0/admin,",  # another namespace
        '0/admin,{"a":1}',
        "0[1]",  # not an object: python-socketio's decoder decides
        "0{",  # truncated JSON
        '0{"a":NaN}',  # JSON orjson declines
        '2["x"]',  # not a connect
        b"0{}",  # bytes are a binary message
        None,
        "1",
    ],
)
def test_other_connects_are_left_to_python_socketio(frame: Any) -> None:
    assert parse_connect(frame) is None
