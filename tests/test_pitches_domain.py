"""The pure pitch session rules: building a session, ratings, feedback, jury scores, and
summing ratings from the store's counting keys."""

from __future__ import annotations

from typing import Any

import pytest

from plenary.activities.pitches import domain
from plenary.activities.pitches.limits import PitchLimits
from plenary.errors import ErrorCode, PlenaryError

LIMITS = PitchLimits()
PITCHES = [
    {"title": "Solar roofs", "organisation": "SunCo", "speaker": "Ana"},
    {"title": "Bike lanes", "organisation": "CycleOrg", "speaker": "Bo", "link": "https://x.org"},
]


def build(**spec: Any) -> domain.Session:
    base: dict[str, Any] = {
        "title": " Pitch  night ",
        "pitches": PITCHES,
        "criteria": ["Impact", "Team"],
    }
    return domain.build_session("s_1", {**base, **spec}, LIMITS, 5)


def code_of(call: Any) -> ErrorCode:
    with pytest.raises(PlenaryError) as info:
        call()
    return info.value.code


def test_a_session_is_built_and_kept() -> None:
    session = build(timer_s=180)
    assert session.title == "Pitch night" and session.pitch_ids() == ["p1", "p2"]
    assert session.criteria == (("k1", "Impact"), ("k2", "Team"))
    assert session.pitches[1].link == "https://x.org" and session.timer_s == 180
    assert domain.Session.from_dict(session.to_dict()) == session
    assert session.position("p2") == 1
    assert code_of(lambda: session.position("p9")) is ErrorCode.BAD_CHOICE


@pytest.mark.parametrize(
    ("spec", "code"),
    [
        ({"pitches": []}, ErrorCode.BAD_REQUEST),
        ({"pitches": [{"title": "T", "organisation": "O"}]}, ErrorCode.BAD_REQUEST),
        ({"pitches": [{**PITCHES[0], "link": "javascript:alert(1)"}]}, ErrorCode.BAD_REQUEST),
        ({"title": "x" * 201}, ErrorCode.TOO_LONG),
        ({"criteria": ["A", "a"]}, ErrorCode.BAD_REQUEST),
        ({"criteria": [str(i) for i in range(9)]}, ErrorCode.BAD_REQUEST),
        ({"timer_s": 0}, ErrorCode.BAD_REQUEST),
        ({"timer_s": 3601}, ErrorCode.BAD_REQUEST),
    ],
)
def test_refusals(spec: dict[str, Any], code: ErrorCode) -> None:
    assert code_of(lambda: build(**spec)) is code


def test_what_attendees_give() -> None:
    session = build()
    assert domain.stars(4) == 4
    for bad in (0, 6, 4.0, True, "4"):
        assert code_of(lambda bad=bad: domain.stars(bad)) is ErrorCode.BAD_CHOICE
    assert domain.feedback("  Great   demo ", LIMITS) == "Great demo"
    assert code_of(lambda: domain.feedback("x" * 501, LIMITS)) is ErrorCode.TOO_LONG
    given = domain.jury_scores(session, {"k2": 7, "k1": 9}, "Strong team", LIMITS)
    assert given == {"scores": {"k1": 9, "k2": 7}, "comment": "Strong team"}
    assert (
        code_of(lambda: domain.jury_scores(session, {"k1": 9}, "", LIMITS)) is ErrorCode.BAD_CHOICE
    )
    assert code_of(lambda: domain.jury_scores(session, {"k1": 11, "k2": 1}, "", LIMITS)) is (
        ErrorCode.BAD_CHOICE
    )


def test_ratings_are_summed_from_counting_keys() -> None:
    session = build()
    assert domain.rating_keys({"p2": 5, "p1": 3}) == ("p1:3", "p2:5")
    summary = domain.rating_summary(session, {"p1:3": 2, "p1:5": 1, "p2:4": 0})
    assert summary["p1"] == {
        "count": 3,
        "average": 3.67,
        "stars": {"1": 0, "2": 0, "3": 2, "4": 0, "5": 1},
    }
    assert summary["p2"]["count"] == 0 and summary["p2"]["average"] is None
    jury = domain.jury_summary(
        session,
        [
            {"jury": {"p1": {"scores": {"k1": 8, "k2": 6}, "comment": ""}}},
            {"jury": {"p1": {"scores": {"k1": 5, "k2": 7}, "comment": "ok"}}},
            {"ratings": {"p1": 4}},
        ],
    )
    assert jury["p1"] == {"jurors": 2, "averages": {"k1": 6.5, "k2": 6.5}}
    assert jury["p2"] == {"jurors": 0, "averages": {"k1": None, "k2": None}}
