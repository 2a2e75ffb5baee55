"""The pure Q&A and reaction rules: ordering, visibility, votes, moderation, emoji sets,
the tap limit and how windows add up across processes."""

from __future__ import annotations

import pytest

from plenary.activities.qa.domain import (
    Action,
    Question,
    Settings,
    Status,
    check_highlightable,
    check_votable,
    listing,
    moderate,
    new_question,
    ordered,
    question_id,
    view,
    visible_to,
)
from plenary.activities.reactions.domain import (
    RoomTaps,
    TapLimiter,
    check_emojis,
    minute_of,
    per_minute,
    sum_counts,
    window_counts,
)
from plenary.errors import PlenaryError


def q(qid: str, created_at: int, status: Status = Status.APPROVED, author: str = "a_1") -> Question:
    return Question(qid, f"text {qid}", author, "Ada", False, created_at, status)


def test_ordering_is_by_votes_then_time_then_id() -> None:
    questions = [q("q_c", 30), q("q_a", 10), q("q_b", 10), q("q_d", 5)]
    votes = {"q_c": 2, "q_a": 1, "q_b": 1}
    assert [x.id for x in ordered(questions, votes)] == ["q_c", "q_a", "q_b", "q_d"]
    assert [x.id for x in ordered(questions, {})] == ["q_d", "q_a", "q_b", "q_c"]


def test_who_sees_what() -> None:
    mine = q("q_1", 1, Status.PENDING, author="a_me")
    other = q("q_2", 2, Status.PENDING, author="a_other")
    public = q("q_3", 3, Status.ANSWERED, author="a_other")
    put_away = q("q_4", 4, Status.ARCHIVED, author="a_other")
    everything = [mine, other, public, put_away]
    assert [v["id"] for v in listing(everything, {}, "a_me")] == ["q_1", "q_3"]
    assert [v["id"] for v in listing(everything, {}, None)] == ["q_1", "q_2", "q_3", "q_4"]
    assert visible_to(put_away, "a_other") and not visible_to(put_away, "a_me")
    assert listing(everything, {}, "a_me")[0]["mine"] is True
    assert "mine" not in listing(everything, {}, None)[0]


def test_an_anonymous_view_has_no_author() -> None:
    secret = Question("q_1", "Why?", "a_sam", "Sam", True, 1)
    for viewer in (None, "a_other", "a_sam"):
        shown = view(secret, 4, viewer)
        assert shown["author"] is None and "Sam" not in str(shown) and "a_sam" not in str(shown)
    assert view(secret, 4, "a_sam")["mine"] is True
    assert view(Question("q_2", "Hi", "a_x", "Xi", False, 1), 0, None)["author"] == "Xi"


def test_asking_follows_the_room_settings() -> None:
    moderated = Settings(anonymous=False, moderation=True)
    made = new_question("q_1", "  Hello\n there ", "a_1", "Ada", False, moderated, 300, 7)
    assert (made.text, made.status, made.created_at) == ("Hello there", Status.PENDING, 7)
    assert new_question("q_1", "Hi", "a_1", "Ada", True, Settings(), 300, 7).anonymous
    assert new_question("q_1", "Hi", "a_1", "Ada", False, Settings(), 300, 7).status == "approved"
    with pytest.raises(PlenaryError) as refused:
        new_question("q_1", "Hi", "a_1", "Ada", True, moderated, 300, 7)
    assert refused.value.code == "bad_request"
    with pytest.raises(PlenaryError) as long:
        new_question("q_1", "x" * 301, "a_1", "Ada", False, Settings(), 300, 7)
    assert long.value.code == "too_long"
    with pytest.raises(PlenaryError):
        new_question("q_1", " \t ", "a_1", "Ada", False, Settings(), 300, 7)


def test_question_ids_are_stable_per_author_and_ask_id() -> None:
    assert question_id("a_1", "x") == question_id("a_1", "x")
    assert len({question_id("a_1", "x"), question_id("a_2", "x"), question_id("a_1", "y")}) == 3


@pytest.mark.parametrize(
    ("status", "action", "expected"),
    [
        (Status.PENDING, Action.APPROVE, Status.APPROVED),
        (Status.PENDING, Action.DISMISS, Status.DISMISSED),
        (Status.APPROVED, Action.ANSWER, Status.ANSWERED),
        (Status.ANSWERED, Action.ANSWER, Status.ANSWERED),
        (Status.ANSWERED, Action.APPROVE, Status.APPROVED),
        (Status.DISMISSED, Action.APPROVE, Status.APPROVED),
        (Status.APPROVED, Action.ARCHIVE, Status.ARCHIVED),
        (Status.PENDING, Action.ANSWER, None),
        (Status.ANSWERED, Action.DISMISS, None),
        (Status.ARCHIVED, Action.ANSWER, None),
    ],
)
def test_moderation_moves(status: Status, action: Action, expected: Status | None) -> None:
    question = q("q_1", 1, status)
    if expected is None:
        with pytest.raises(PlenaryError) as refused:
            moderate(question, action, 99)
        assert refused.value.code == "bad_request"
        return
    new_status, meta = moderate(question, action, 99)
    assert new_status is expected
    first_answer = action is Action.ANSWER and status is not Status.ANSWERED
    assert meta == ({"answered_at": 99} if first_answer else {})


def test_votes_and_highlight_rules() -> None:
    check_votable(q("q_1", 1, Status.APPROVED))
    for status in (Status.PENDING, Status.ANSWERED, Status.DISMISSED, Status.ARCHIVED):
        with pytest.raises(PlenaryError):
            check_votable(q("q_1", 1, status))
    check_highlightable(q("q_1", 1, Status.ANSWERED))
    with pytest.raises(PlenaryError):
        check_highlightable(q("q_1", 1, Status.PENDING))


def test_emoji_sets() -> None:
    assert check_emojis(["👍", " 🎉 ", "👩‍💻", "🇵🇹"], 8) == ("👍", "🎉", "👩‍💻", "🇵🇹")
    for bad in ([], ["👍"] * 2, ["a b"], ["x" * 17], "👍", [1], ["👍"] * 9):
        with pytest.raises(PlenaryError):
            check_emojis(bad, 8)


def test_tap_limit_refills_and_forgets() -> None:
    limiter = TapLimiter(rate=2, burst=3)
    assert [limiter.allow("a", 0) for _ in range(5)] == [True, True, True, False, False]
    assert limiter.allow("b", 0)  # one attendee's flood leaves others alone
    assert limiter.allow("a", 500) and not limiter.allow("a", 500)
    limiter.forget_idle(1000)
    assert len(limiter) == 2  # not full again yet
    limiter.forget_idle(2500)
    assert len(limiter) == 0


def test_taps_add_up_per_window_and_minute() -> None:
    room = RoomTaps()
    for emoji, at in [("👍", 59_000), ("👍", 59_500), ("🎉", 60_100)]:
        room.add(emoji, at)
    running, minutes = room.close_window()
    assert running == {"👍": 2, "🎉": 1}
    assert minutes == {0: {"👍": 2}, 60_000: {"🎉": 1}}
    room.add("🎉", 61_000)
    running, minutes = room.close_window()
    assert running == {"👍": 2, "🎉": 2}
    assert minutes == {60_000: {"🎉": 2}}  # the finished minute is not written again
    assert minute_of(119_999) == 60_000


def test_windows_combine_across_processes() -> None:
    # Two processes' running totals; the last message showed part of them.
    totals = sum_counts([{"👍": 5, "🎉": 1}, {"👍": 2}])
    assert totals == {"👍": 7, "🎉": 1}
    assert window_counts(totals, {"👍": 4, "🎉": 1}) == {"👍": 3}
    assert window_counts(totals, totals) == {}
    assert per_minute([(60_000, {"👍": 2}), (0, {"🎉": 1}), (60_000, {"👍": 1, "🎉": 4})]) == [
        {"minute": 0, "counts": {"🎉": 1}, "total": 1},
        {"minute": 60_000, "counts": {"👍": 3, "🎉": 4}, "total": 7},
    ]
