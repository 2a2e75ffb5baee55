"""The pure parts of a running quiz: answer slots, the board rebuilt from stored answers
(question by question or all at once, the same), the statuses and views (no answer in
them before the close), and the deadline timers."""

from __future__ import annotations

import asyncio
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from plenary.activities.quiz.board import (
    Board,
    Person,
    advance,
    answer_slot,
    group_answers,
    rebuild,
    split_slot,
    stored_value,
)
from plenary.activities.quiz.deadlines import Deadlines
from plenary.activities.quiz.domain import build_quiz
from plenary.activities.quiz.limits import QuizLimits
from plenary.activities.quiz.players import GivenAnswer, PlayerState
from plenary.activities.quiz.rounds import replay
from plenary.activities.quiz.views import (
    Phase,
    phase_of,
    presenter_item,
    public_view,
    question_message,
    question_status,
    reveal_status,
)
from plenary.clock import now_ms
from plenary.store import Activity
from tests.support.quiz import EVERY_KIND, answer_fields

QUIZ = build_quiz(
    "qz_1",
    {
        "title": "T",
        "teams": "country",
        "questions": [
            {"kind": "single", "question": "1?", "options": ["x", "y"], "correct": ["a"]},
            {"kind": "truefalse", "question": "2?", "correct": True},
            {"kind": "single", "question": "3?", "options": ["x", "y"], "correct": ["b"]},
        ],
    },
    QuizLimits(),
    0,
)
PEOPLE = {
    "a_1": Person("Ada", "PT"),
    "a_2": Person("Bob", "pt"),
    "a_3": Person("Cy", "FR"),
    "a_4": Person("Dee"),
}
CHOICES = {"q1": ["a", "b"], "q2": [True, False], "q3": ["a", "b"]}


def test_slots_and_stored_values_round_trip() -> None:
    slot = answer_slot("a_3fk29x1q", "q12")
    assert slot == "a_3fk29x1q/q12" and split_slot(slot) == ("a_3fk29x1q", "q12")
    assert split_slot("a_1") is None and split_slot("/q1") is None and split_slot("a_1/") is None
    stored = {slot: stored_value("id-1", ["a", "c"], 1234), "a_1": ["x", "y", 1], "a_2/q1": "bad"}
    assert group_answers(stored) == {"a_3fk29x1q": {"q12": GivenAnswer("id-1", ["a", "c"], 1234)}}


answers_strategy = st.dictionaries(
    st.sampled_from(sorted(PEOPLE)),
    st.fixed_dictionaries(
        {},
        optional={
            q: st.tuples(st.sampled_from(CHOICES[q]), st.integers(0, 25_000)) for q in CHOICES
        },
    ),
)


def given_of(raw: dict[str, dict[str, tuple[Any, int]]]) -> dict[str, dict[str, GivenAnswer]]:
    return {
        aid: {q: GivenAnswer(f"{aid}-{q}", c, e) for q, (c, e) in answers.items()}
        for aid, answers in raw.items()
    }


@settings(max_examples=150, deadline=None)
@given(raw=answers_strategy, scored=st.integers(0, 3))
def test_the_board_is_the_replay_of_the_answers(
    raw: dict[str, dict[str, tuple[Any, int]]], scored: int
) -> None:
    """Question by question (as the server closes them), from a board already computed
    for fewer questions, or all at once: the same board, equal to rounds.replay of the
    answers given to the closed questions. Players are those who answered one of them."""
    given = given_of(raw)
    step = Board()
    for _ in range(scored):
        step = advance(QUIZ, step, given, PEOPLE)
    at_once = rebuild(QUIZ, scored, given, PEOPLE)
    halfway = rebuild(QUIZ, scored, given, PEOPLE, rebuild(QUIZ, scored // 2, given, PEOPLE))
    closed = {q.id for q in QUIZ.questions[:scored]}
    players = [
        PlayerState(
            aid, PEOPLE[aid].name, answers={q: a for q, a in answers.items() if q in closed}
        )
        for aid, answers in given.items()
        if closed & set(answers)
    ]
    replayed = replay(QUIZ, players, scored)
    for board in (at_once, halfway):
        assert board.scored == step.scored == scored
        assert {k: v.to_dict() for k, v in board.players.items()} == {
            k: v.to_dict() for k, v in step.players.items()
        }
    assert {k: (v.score, v.streak, v.rank) for k, v in step.players.items()} == {
        k: (v.score, v.streak, v.rank) for k, v in replayed.items()
    }
    if scored:
        assert step.last is not None and step.last.results.keys() == step.players.keys()
        teams = {s.attendee_id: s.team for s in step.players.values()}
        assert all(teams[a] == {"a_1": "PT", "a_2": "pt", "a_3": "FR"}.get(a) for a in teams)


def test_a_board_ends_with_the_podium() -> None:
    given = given_of({"a_1": {"q1": ("a", 0), "q2": (True, 0)}, "a_2": {"q1": ("a", 10_000)}})
    board = rebuild(QUIZ, 2, given, PEOPLE)
    final = board.final(QUIZ)
    assert [(e["name"], e["score"], e["rank"]) for e in final.top] == [
        ("Ada", 2100, 1),
        ("Bob", 750, 2),
    ]
    assert final.results["a_1"]["final"] is True and final.results["a_2"]["rank"] == 2
    assert [t["team"] for t in final.teams] == ["PT"]  # both in one team, spelt two ways
    assert board.state("a_9") == PlayerState("a_9")


def activity(status: str, **meta: Any) -> Activity:
    return Activity(QUIZ.id, QUIZ.to_dict(), status, meta, 3)


def test_statuses_and_phases() -> None:
    assert question_status("q2") == "question:q2" and reveal_status("q2") == "reveal:q2"
    assert phase_of("draft") == (Phase.DRAFT, None)
    assert phase_of("lobby") == (Phase.LOBBY, None)
    assert phase_of("question:q2") == (Phase.QUESTION, "q2")
    assert phase_of("reveal:q3") == (Phase.REVEAL, "q3")
    assert phase_of("closed") == (Phase.ENDED, None)
    assert phase_of("open") == (Phase.ENDED, None)


def test_views_hold_no_answer() -> None:
    quiz = build_quiz("qz_2", EVERY_KIND, QuizLimits(), 0)
    for index, question in enumerate(quiz.questions):
        state = Activity(
            quiz.id, quiz.to_dict(), question_status(question.id), {"opened": {question.id: 1000}}
        )
        view = public_view(quiz, state)
        assert (view["phase"], view["index"], view["opened_at"]) == ("question", index, 1000)
        assert view["deadline"] == 1000 + question.limit_ms
        assert answer_fields(view) == set()
        assert answer_fields(question_message(quiz, index, 1000)) == set()
    assert answer_fields(presenter_item(quiz, activity("lobby"))) == {
        "correct",
        "accept",
        "answer",
        "tolerance",
    }
    lobby = public_view(QUIZ, activity("lobby"))
    assert (lobby["phase"], lobby["question"], lobby["state_seq"]) == ("lobby", None, 3)


async def test_deadline_timers_fire_once_and_can_be_cancelled() -> None:
    fired: list[tuple[str, str, str]] = []
    done = asyncio.Event()

    async def close(scope: str, quiz_id: str, question_id: str) -> bool:
        fired.append((scope, quiz_id, question_id))
        done.set()
        return True

    timers = Deadlines(close)
    soon = now_ms() + 30
    timers.arm("ABCDEF", "qz_1", "q1", soon)
    timers.arm("ABCDEF", "qz_1", "q1", soon)  # armed already: one timer
    timers.arm("ABCDEF", "qz_1", "q2", now_ms() + 60_000)
    assert len(timers) == 2
    timers.cancel("ABCDEF", "qz_1", "q2")
    await asyncio.wait_for(done.wait(), 5)
    await asyncio.sleep(0)
    assert fired == [("ABCDEF", "qz_1", "q1")]
    assert len(timers) == 0 and not timers.armed("ABCDEF", "qz_1", "q1")
    timers.arm("ABCDEF", "qz_1", "q3", now_ms() + 60_000)
    await timers.stop()
    assert len(timers) == 0 and fired == [("ABCDEF", "qz_1", "q1")]
