"""Personal messages built where they are delivered (``realtime/personal.py``) and the
frames spliced from payloads already encoded (``wire/frames.py``): pure parts. The
delivery through real servers, one process and two on Redis, is in test_fastpath.py."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import example, given
from hypothesis import strategies as st

from plenary.realtime.personal import as_columns, decoded, encode_json, from_columns
from plenary.realtime.wire.frames import (
    event_packet,
    frame_packet,
    merged_frames,
    packet_frame,
    stamped_frames,
)

TS = 1_796_236_329_091

values = st.one_of(st.none(), st.booleans(), st.integers(-(2**53), 2**53), st.text(max_size=30))
payloads = st.dictionaries(st.sampled_from(["a", "b", "score", "rank", "ok"]), values)


def test_columns_keep_what_all_share_once_and_the_rest_by_attendee() -> None:
    results = {
        f"att_{i}": {"quiz_id": "q1", "question_id": "x", "score": 100 * i, "rank": 3 - i}
        for i in range(3)
    }
    shared = as_columns(results)
    assert shared["common"] == {"quiz_id": "q1", "question_id": "x"}
    assert shared["fields"] == ["score", "rank"]
    assert shared["rows"]["att_2"] == [200, 1]
    built = {a: decoded(p) for a, p in from_columns(shared, ["att_2", "att_0", "someone else"])}
    assert built == {"att_2": results["att_2"], "att_0": results["att_0"]}


@given(st.dictionaries(st.text(min_size=1, max_size=8), payloads, max_size=12))
def test_columns_rebuild_every_payload_whatever_their_keys(
    batch: dict[str, dict[str, Any]],
) -> None:
    shared = as_columns(batch)
    assert {a: decoded(p) for a, p in from_columns(shared, list(batch))} == batch
    assert dict(from_columns(shared, [])) == {}


def test_encode_json_takes_what_orjson_refuses() -> None:
    assert encode_json({"name": "Zoë", "n": 1}) == '{"name":"Zoë","n":1}'.encode()
    lone = encode_json({"name": "\ud800"})
    assert json.loads(lone) == {"name": "\ud800"}


@given(payloads, st.sampled_from(["quiz:result", "cafe:assignment", "é:x"]), st.integers(0, 5))
@example({}, "quiz:result", 0)  # nothing left but {}: no comma after ts
def test_a_spliced_frame_is_the_frame_of_the_payload_with_ts(
    payload: dict[str, Any], event: str, place: int
) -> None:
    # The payload with one more member at any place, cut out again with its comma.
    items = list(payload.items())
    place = min(place, len(items))
    member = b'"zz_cut":"x"'
    encoded = encode_json(dict([*items[:place], ("zz_cut", "x"), *items[place:]]))
    start = encoded.index(member)
    end = start + len(member)
    if place < len(items):
        end += 1  # the comma after it
    elif items:
        start -= 1  # the last: the comma before it
    frame = stamped_frames(event, TS)(encoded, start, end)
    assert frame == packet_frame(event_packet(event, {"ts": TS, **payload}))
    assert stamped_frames(event, TS)(encode_json(payload), 0, 0) == frame


def test_spliced_frames_of_every_length_class() -> None:
    make = stamped_frames("cafe:assignment", TS)
    for size in (0, 50, 200, 70_000):  # a one-byte, two-byte and eight-byte length
        payload = {"text": "x" * size} if size else {}
        frame = make(encode_json(payload), 0, 0)
        packet = frame_packet(frame)
        assert packet == event_packet("cafe:assignment", {"ts": TS, **payload})
        assert frame == packet_frame(packet)


def test_merged_frames_of_every_length_class() -> None:
    make = merged_frames("quiz:result", TS)
    for shared_size, own_size in ((0, 0), (0, 5), (10, 60), (200, 0), (40, 70_000)):
        shared = {"s": "x" * shared_size} if shared_size else {}
        own = {"o": "y" * own_size} if own_size else {}
        frame = make(encode_json(shared), encode_json(own))
        assert frame == packet_frame(event_packet("quiz:result", {"ts": TS, **shared, **own}))


@given(st.lists(st.tuples(st.sampled_from(["table", "whole"]), payloads), max_size=12))
def test_one_splicer_frames_each_payload_whatever_came_before(
    batch: list[tuple[str, dict[str, Any]]],
) -> None:
    # A splicer keeps the stamped packet of the last object it was given: payloads cut
    # from one table's object share it, and any other must get a frame of its own.
    make = stamped_frames("cafe:assignment", TS)
    table = b'{"table":7,"mine":1,"tablemates":[]}'
    mine = table.index(b'"mine"')
    for kind, payload in batch:
        if kind == "table":
            frame = make(table, mine, mine + len('"mine":1,'))
            expected: dict[str, Any] = {"table": 7, "tablemates": []}
        else:
            frame = make(encode_json(payload), 0, 0)
            expected = payload
        assert frame == packet_frame(event_packet("cafe:assignment", {"ts": TS, **expected}))


@given(payloads, payloads, st.sampled_from(["quiz:result", "é:x"]))
def test_a_merged_frame_is_the_frame_of_both_parts_with_ts(
    shared: dict[str, Any], own: dict[str, Any], event: str
) -> None:
    own = {f"own_{k}": v for k, v in own.items()}  # never a key of both
    make = merged_frames(event, TS)
    expected = packet_frame(event_packet(event, {"ts": TS, **shared, **own}))
    first = encode_json(shared)
    assert make(first, encode_json(own)) == expected
    # The shared part kept from the call before, and a new one after it.
    assert make(first, encode_json(own)) == expected
    assert make(encode_json({"x": 1}), encode_json(own)) == packet_frame(
        event_packet(event, {"ts": TS, "x": 1, **own})
    )


def test_merged_frames_quiz_results_from_columns() -> None:
    results = {
        f"att_{i}": {"quiz_id": "q1", "players": 3, "score": 100 * i, "name": "Zoë"[: i + 1]}
        for i in range(3)
    }
    make = merged_frames("quiz:result", TS)
    for aid, payload in from_columns(as_columns(results), list(results)):
        assert isinstance(payload, tuple) and len(payload) == 2
        frame = make(*payload)
        assert frame == packet_frame(event_packet("quiz:result", {"ts": TS, **results[aid]}))


def test_columns_of_integers_and_booleans_are_encoded_by_one_template() -> None:
    results = {
        f"att_{i}": {"quiz_id": "q1", "correct": i == 1, "score": 100 * i, "rank%": 3 - i}
        for i in range(3)
    }
    shared = as_columns(results)
    assert shared["template"] == b'{"correct":%s,"score":%d,"rank%%":%d}'
    assert shared["rows"]["att_1"] == [b"true", 100, 2]
    built = dict(from_columns(shared, list(results)))
    assert built["att_1"] == (b'{"quiz_id":"q1"}', b'{"correct":true,"score":100,"rank%":2}')
    assert {a: decoded(p) for a, p in built.items()} == results


def test_values_equal_in_python_but_not_in_json_are_not_shared() -> None:
    batch = {"a": {"x": True, "y": [1], "z": 1.0}, "b": {"x": 1, "y": [True], "z": 1}}
    shared = as_columns(batch)
    assert shared["common"] == {}
    assert "template" not in shared
    built = {a: decoded(p) for a, p in from_columns(shared, list(batch))}
    assert encode_json(built) == encode_json(batch)


def test_fields_named_by_numbers_take_the_standard_librarys_way() -> None:
    batch = {"a": {1: 10, "x": "same"}, "b": {1: 20, "x": "same"}}
    shared = as_columns(batch)  # type: ignore[arg-type]
    assert "template" not in shared
    built = {a: decoded(p) for a, p in from_columns(shared, ["a", "b"])}
    assert built == {"a": {"1": 10, "x": "same"}, "b": {"1": 20, "x": "same"}}
