"""The world café's pure rules beside the seating engine (tests/test_cafe_domain.py): the
café's definition and its checks, the rounds' state and what each person is told, the
latecomer and leaver changes, and the harvests' rules. Plain values in and out."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from plenary.activities.cafe.domain import Cafe, build_cafe, unknown_hosts, warning_at
from plenary.activities.cafe.harvest import Harvest, check_changeable, harvest_text
from plenary.activities.cafe.limits import CafeLimits
from plenary.activities.cafe.records import checked_in, kept_rounds
from plenary.activities.cafe.rounds import (
    RoundState,
    Seating,
    assignment,
    assignments,
    assignments_from_sheet,
    history,
    next_state,
    round_sheet,
    tables_view,
    with_latecomer,
    without,
)
from plenary.activities.cafe.seating import Person
from plenary.activities.cafe.slots import author_key, harvest_slot
from plenary.errors import ErrorCode, PlenaryError
from plenary.realtime.personal import decoded
from plenary.store import AnswerRecord

LIMITS = CafeLimits()
BASE: dict[str, Any] = {"tables": 3, "rounds": 2, "round_s": 600, "topics": ["Energy", "Food"]}


def cafe(**change: Any) -> Cafe:
    return build_cafe("c_1", {**BASE, **change}, LIMITS, 1000)


def error(**change: Any) -> tuple[ErrorCode, str]:
    with pytest.raises(PlenaryError) as info:
        cafe(**change)
    return info.value.code, info.value.message


def test_a_cafe_round_trips_and_fills_its_defaults() -> None:
    made = cafe(hosts=["a_1"], room_url="https://v.example/{event}/t{table}?x={table}")
    assert made.title == "World café" and made.plan.min_size == 2
    assert made.plan.spread == ("organisation", "country")
    assert Cafe.from_dict(made.to_dict()) == made
    assert made.to_dict()["type"] == "cafe"
    assert [made.topic(t) for t in (1, 2, 3, 4)] == ["Energy", "Food", "Energy", "Food"]
    assert made.room_link("K7Q2MX", 12) == "https://v.example/K7Q2MX/t12?x=12"
    assert cafe().room_link("K7Q2MX", 1) is None


@pytest.mark.parametrize(
    ("change", "code", "message"),
    [
        ({"rounds": 21}, ErrorCode.BAD_REQUEST, "rounds must be a whole number from 1 to 20."),
        ({"rounds": True}, ErrorCode.BAD_REQUEST, "rounds must be a whole number from 1 to 20."),
        (
            {"round_s": 29},
            ErrorCode.BAD_REQUEST,
            "round_s must be a whole number from 30 to 14400.",
        ),
        (
            {"topics": "Energy"},
            ErrorCode.BAD_REQUEST,
            "topics must be a list of at least one topic.",
        ),
        ({"topics": ["a"] * 201}, ErrorCode.BAD_REQUEST, "A café has at most 200 topics."),
        ({"topics": [3]}, ErrorCode.BAD_REQUEST, "a topic must be non-empty text."),
        ({"title": ""}, ErrorCode.BAD_REQUEST, "title must be non-empty text."),
        (
            {"room_url": "https://x/" + "y" * 300},
            ErrorCode.TOO_LONG,
            "room_url is longer than 300 characters.",
        ),
        (
            {"room_url": "https://x/}{"},
            ErrorCode.BAD_REQUEST,
            "room_url may hold only the placeholders {event} and {table}.",
        ),
        (
            {"room_url": "https://x/\u0007"},
            ErrorCode.BAD_REQUEST,
            "room_url must not contain spaces or control characters.",
        ),
        (
            {"room_url": 5},
            ErrorCode.BAD_REQUEST,
            "room_url must be a link starting with https:// (or http://).",
        ),
    ],
)
def test_a_bad_value_says_what_to_change(
    change: dict[str, Any], code: ErrorCode, message: str
) -> None:
    assert error(**change) == (code, message)


def test_hosts_and_the_warning_time() -> None:
    assert unknown_hosts(["a_1", "a_9", "a_2"], {"a_1", "a_2"}) == ["a_9"]
    assert warning_at(100_000, 600, 60) == 40_000  # a minute before the end
    assert warning_at(100_000, 60, 60) == 70_000  # never earlier than halfway


def state(number: int = 1, tables: list[list[str]] | None = None) -> RoundState:
    return RoundState(
        number=number,
        tables=tables or [["a", "b"], ["c", "d"], ["e", "f"]],
        previous=[["a", "c"], ["b", "e"], ["d", "f"]],
        started_at=1000,
        ends_at=61_000,
        stats={"repeat_pairs": 0, "same_org_pairs": 0, "min_size": 2, "max_size": 2},
    )


def test_the_round_state_lives_in_the_activity_fields() -> None:
    now = state()
    assert RoundState.from_meta(now.to_meta()) == now
    assert RoundState.from_meta({}) == RoundState()
    assert now.running(60_999) and not now.running(61_000) and not RoundState().running(0)
    assert (now.seat_of("d"), now.seat_of("z")) == (1, None)
    assert now.seated() == set("abcdef")
    following = next_state(now, Seating([["a", "d"]], {"repeat_pairs": 0}), 70_000, 60)
    assert (following.number, following.tables, following.previous) == (2, [["a", "d"]], now.tables)
    assert (following.started_at, following.ends_at) == (70_000, 130_000)


def test_history_takes_the_last_two_rounds_from_the_state() -> None:
    third = state(number=3)
    assert history(third, {1: [["x", "y"]]}) == [[["x", "y"]], third.previous, third.tables]
    assert history(third, {}) == [[], third.previous, third.tables]  # a lost record
    assert history(RoundState(), {}) == []


def test_what_each_person_is_told() -> None:
    made = cafe(hosts=["c"], room_url="https://v.example/{event}-{table}")
    cards = {
        m: {"id": m, "name": m.upper(), "organisation": None, "country": "PT"} for m in "abcdef"
    }
    told = assignment(made, state(), 0, "b", cards, "EVT234")
    assert told == {
        "cafe_id": "c_1",
        "round": 1,
        "rounds": 2,
        "table": 1,
        "topic": "Energy",
        "tablemates": [{"id": "a", "name": "A", "organisation": None, "country": "PT"}],
        "ends_at": 61_000,
        "room_url": "https://v.example/EVT234-1",
    }
    # Host "c" hosts table 1, but sits at table 2 here (absent hosts leave it hostless).
    assert "host" not in told
    hosted = assignment(made, state(tables=[["c", "a"], ["b", "d"]]), 0, "a", cards, "EVT234")
    assert hosted["host"] == "c"
    unknown = assignment(cafe(), state(), 0, "a", {}, "EVT234")
    assert unknown["tablemates"] == [{"id": "b", "name": "", "organisation": None, "country": None}]
    everyone = assignments(made, state(), cards, "EVT234")
    assert sorted(everyone) == list("abcdef")
    assert sorted(assignments(made, state(), cards, "EVT234", only=[2])) == ["e", "f"]
    assert tables_view(made, [["c", "a"], ["b"]]) == [
        {"table": 1, "topic": "Energy", "members": ["c", "a"], "host": "c"},
        {"table": 2, "topic": "Food", "members": ["b"]},
    ]


@given(
    st.lists(st.integers(1, 12), min_size=1, max_size=8),
    st.lists(st.text(max_size=12), min_size=1, max_size=60),
    st.booleans(),
)
def test_spliced_assignments_are_each_member_s_own_table(
    sizes: list[int], names: list[str], with_room: bool
) -> None:
    """A round's assignments are spliced from each table's cards encoded once: each is
    exactly the member's table with everyone else at it, names of any characters."""
    ids = iter(f"p{n}" for n in range(sum(sizes)))
    tables = [[next(ids) for _ in range(size)] for size in sizes]
    people = [m for table in tables for m in table]
    cards = {
        m: {"id": m, "name": names[k % len(names)], "organisation": None, "country": "PT"}
        for k, m in enumerate(people)
    }
    made = cafe(
        tables=len(tables),
        hosts=[tables[0][-1]],
        room_url="https://v.example/{event}-{table}" if with_room else None,
    )
    now = state(tables=tables)
    sheet = round_sheet(made, now, cards, "EVT234")
    wanted = set(people[::2])
    built = {m: decoded(cut) for m, cut in assignments_from_sheet(sheet, wanted)}
    assert set(built) == wanted
    for t, table in enumerate(tables):
        for member in set(table) & wanted:
            expected = {
                "cafe_id": "c_1",
                "round": 1,
                "rounds": 2,
                "ends_at": 61_000,
                "table": t + 1,
                "topic": made.topic(t + 1),
                "tablemates": [cards[m] for m in table if m != member],
            }
            if t == 0:
                expected["host"] = table[-1]
            if with_room:
                expected["room_url"] = f"https://v.example/EVT234-{t + 1}"
            assert built[member] == expected


def test_latecomers_sit_at_a_smallest_table_and_leavers_go() -> None:
    now = state(tables=[["a", "b", "c"], ["d", "e"], ["f", "g", "h"]])
    people = [Person(m, None, None) for m in "abcdefghz"]
    t, after = with_latecomer(cafe(), now, Person("z"), people, history(now, {}))
    assert t == 1 and after.tables == [["a", "b", "c"], ["d", "e", "z"], ["f", "g", "h"]]
    assert now.tables[1] == ["d", "e"]  # the state given is not changed
    assert with_latecomer(cafe(), after, Person("z"), people, history(after, {})) == (1, after)
    gone = without(after, "e")
    assert gone is not None and gone[0] == 1 and gone[1].tables[1] == ["d", "z"]
    assert without(after, "nobody") is None


def test_records_read_back() -> None:
    answers = {
        "in:a_2": AnswerRecord({"in": True}, (), "v", 1),
        "in:a_1": AnswerRecord({"in": True}, (), "v", 1),
        "in:a_3": AnswerRecord({"in": False}, (), "v", 1),
        "r:1": AnswerRecord({"round": 1, "tables": [["a_1", "a_2"]]}, (), "kept", 1),
        "h:a_1:h1": AnswerRecord({"text": "x"}, ("by:a_1:1",), "new", 1),
    }
    assert checked_in(answers) == ["a_1", "a_2"]
    assert kept_rounds(answers) == {1: [["a_1", "a_2"]]}


def test_harvest_rules() -> None:
    assert harvest_text("  Share \n the  cars ", LIMITS) == "Share the cars"
    with pytest.raises(PlenaryError) as empty:
        harvest_text(" \t ", LIMITS)
    assert empty.value.code is ErrorCode.BAD_REQUEST
    with pytest.raises(PlenaryError) as long:
        harvest_text("x" * 501, LIMITS)
    assert long.value.code is ErrorCode.TOO_LONG
    first = Harvest("h1", "a_1", 2, 5, "Cars", 100)
    assert Harvest.from_dict(first.to_dict()) == first
    assert first.edited("Bikes", 200) == Harvest("h1", "a_1", 2, 5, "Bikes", 100, 200)
    assert first.gone(300).removed and first.gone(300).text == "Cars"
    assert first.view({"a_1": "Ada"})["author_name"] == "Ada"
    check_changeable(first, "a_1", 2)
    with pytest.raises(PlenaryError) as over:
        check_changeable(first, "a_1", 3)
    assert over.value.code is ErrorCode.NOT_OPEN
    assert harvest_slot("a_1", "x:y") == "h:a_1:x:y" and author_key("a_1", 2) == "by:a_1:2"
