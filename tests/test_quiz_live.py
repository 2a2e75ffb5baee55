"""Quizzes end to end: the real server on a free port, real Socket.IO clients over real
websockets, against both backends (memory and a real Redis). Scores are checked
exactly, from the server-measured times in the acks and the documented formula."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from tests.support import clients
from tests.support.clients import Client
from tests.support.quiz import answer, listen, speed_points, streak_bonus
from tests.support.redis_proc import RedisProcess
from tests.support.server import RunningServer, create_event, running_server

THREE_QUESTIONS: dict[str, Any] = {
    "title": "General knowledge",
    "questions": [
        {
            "kind": "single",
            "question": "Capital of Portugal?",
            "options": ["Porto", "Faro", "Lisbon", "Braga"],
            "correct": ["c"],
            "time_limit_s": 20,
        },
        {
            "kind": "multiple",
            "question": "Which are primes?",
            "options": ["2", "4", "5", "9"],
            "correct": ["a", "c"],
            "time_limit_s": 30,
            "points": 2000,
        },
        {"kind": "truefalse", "question": "The Sun is a planet.", "correct": False},
    ],
}


async def room(
    server: RunningServer, event: dict[str, str], *names: str
) -> tuple[Client, Client, list[Client]]:
    """A presenter, a screen and attendees, all recording the quiz's messages, once the
    presenter sees every attendee online (so "everyone answered" counts them all)."""
    code = event["code"]
    presenter = await clients.presenter(server.url, code, event["presenter_key"])
    screen = await clients.screen(server.url, code)
    people = [await clients.attendee(server.url, code, name) for name in names]
    listen(presenter, screen, *people)
    await presenter.wait_for("presence", lambda m: m["online"] == len(people))
    return presenter, screen, people


async def create_and_start(presenter: Client, definition: dict[str, Any]) -> dict[str, Any]:
    created = await presenter.call("quiz:create", definition)
    assert created["ok"], created
    quiz: dict[str, Any] = created["quiz"]
    started = await presenter.call("quiz:start", {"quiz_id": quiz["id"]})
    assert started["ok"] and started["quiz"]["phase"] == "lobby", started
    return quiz


async def next_question(presenter: Client, quiz_id: str) -> dict[str, Any]:
    opened = await presenter.call("quiz:next", {"quiz_id": quiz_id})
    assert opened["ok"], opened
    message: dict[str, Any] = opened["question"]
    return message


async def result(client: Client, question_id: str) -> dict[str, Any]:
    """The client's quiz:result for the question (see :func:`one_result_each`)."""
    return await client.wait_for("quiz:result", lambda m: m.get("question_id") == question_id)


def one_result_each(client: Client) -> dict[str, int]:
    """How many quiz:result messages the client got per question (each must be 1)."""
    counts: dict[str, int] = {}
    for message in client.received["quiz:result"]:
        key = "final" if message.get("final") else str(message.get("question_id"))
        counts[key] = counts.get(key, 0) + 1
    return counts


async def test_a_quiz_from_create_to_podium(server: RunningServer, event: dict[str, str]) -> None:
    presenter, screen, (ada, bob, cy) = await room(server, event, "Ada", "Bob", "Cy")
    quiz = await create_and_start(presenter, THREE_QUESTIONS)
    quiz_id = quiz["id"]
    assert [q["id"] for q in quiz["questions"]] == ["q1", "q2", "q3"]
    assert quiz["questions"][0]["correct"] == ["c"]  # the presenter's ack: the whole quiz
    created = await screen.wait_for("quiz:created")
    assert "correct" not in str(created) and created["quiz"]["count"] == 3
    started = await cy.wait_for("quiz:started")
    assert (started["quiz"]["id"], started["quiz"]["phase"]) == (quiz_id, "lobby")

    # Question 1: Ada right, Bob wrong, Cy does not answer (and is no player yet).
    q1 = await next_question(presenter, quiz_id)
    shown = await ada.wait_for("quiz:question")
    assert shown == {**q1, "ts": shown["ts"]}
    assert set(shown) == {"quiz_id", "index", "count", "question", "opened_at", "deadline", "ts"}
    assert (shown["index"], shown["count"]) == (0, 3)
    assert shown["deadline"] == shown["opened_at"] + 20_000
    assert shown["question"] == {
        "id": "q1",
        "kind": "single",
        "question": "Capital of Portugal?",
        "options": [
            {"id": "a", "label": "Porto"},
            {"id": "b", "label": "Faro"},
            {"id": "c", "label": "Lisbon"},
            {"id": "d", "label": "Braga"},
        ],
        "time_limit_s": 20,
        "points": 1000,
    }
    a1 = await answer(ada, quiz_id, "q1", "c")
    b1 = await answer(bob, quiz_id, "q1", "a")
    assert a1["ok"] and b1["ok"] and isinstance(a1["elapsed_ms"], int)
    assert (a1["quiz_id"], a1["question_id"], a1["choice"]) == (quiz_id, "q1", "c")
    closed = await presenter.call("quiz:close", {"quiz_id": quiz_id})
    assert closed["ok"], closed
    ada1 = speed_points(1000, a1["elapsed_ms"], 20)
    reveal = closed["reveal"]
    assert reveal["correct"] == ["c"] and reveal["question_id"] == "q1"
    assert reveal["distribution"] == {
        "players": 2,
        "answered": 2,
        "correct": 1,
        "counts": {"a": 1, "b": 0, "c": 1, "d": 0},
    }
    assert [(t["name"], t["score"], t["rank"]) for t in reveal["top"]] == [
        ("Ada", ada1, 1),
        ("Bob", 0, 2),
    ]
    for client in (ada, bob, cy, screen, presenter):
        got = await client.wait_for("quiz:reveal")
        assert got["correct"] == ["c"] and got["top"] == reveal["top"]
    first = await result(ada, "q1")
    assert {k: v for k, v in first.items() if k != "ts"} == {
        "quiz_id": quiz_id,
        "question_id": "q1",
        "correct": True,
        "points": ada1,
        "bonus": 0,
        "score": ada1,
        "rank": 1,
        "players": 2,
        "streak": 1,
    }
    bob_first = await result(bob, "q1")
    assert (bob_first["correct"], bob_first["points"], bob_first["rank"]) == (False, 0, 2)
    assert cy.received["quiz:result"] == []  # not a player until a first answer

    # Question 2 (2,000 points, partial credit): Ada exact (streak 2: +100), Bob half
    # right, Cy one right one wrong (credit 0).
    await next_question(presenter, quiz_id)
    a2 = await answer(ada, quiz_id, "q2", ["c", "a"])
    b2 = await answer(bob, quiz_id, "q2", ["a"])
    c2 = await answer(cy, quiz_id, "q2", ["c", "d"])
    assert a2["choice"] == ["a", "c"] and b2["ok"] and c2["ok"]
    await presenter.call("quiz:close", {"quiz_id": quiz_id})
    ada2 = speed_points(2000, a2["elapsed_ms"], 30) + streak_bonus(2)
    bob2 = speed_points(2000, b2["elapsed_ms"], 30, credit=0.5)
    second = await result(ada, "q2")
    assert (second["points"], second["bonus"], second["streak"]) == (ada2, 100, 2)
    assert (second["score"], second["rank"], second["players"]) == (ada1 + ada2, 1, 3)
    bob_second = await result(bob, "q2")
    assert (bob_second["correct"], bob_second["points"], bob_second["score"]) == (False, bob2, bob2)
    cy_second = await result(cy, "q2")
    assert (cy_second["points"], cy_second["score"], cy_second["rank"]) == (0, 0, 3)

    # Question 3: everyone answers; it closes by itself or by quiz:close, once. Bob,
    # whose streak the partly right answer ended, starts a new one (no bonus).
    await next_question(presenter, quiz_id)
    a3 = await answer(ada, quiz_id, "q3", False)
    b3 = await answer(bob, quiz_id, "q3", False)
    assert (await answer(cy, quiz_id, "q3", True))["ok"]
    await ada.wait_for("quiz:reveal", lambda m: m["question_id"] == "q3")
    closed3 = await presenter.call("quiz:close", {"quiz_id": quiz_id})
    assert closed3["reveal"]["correct"] is False
    ada3 = speed_points(1000, a3["elapsed_ms"], 20) + streak_bonus(3)
    bob3 = speed_points(1000, b3["elapsed_ms"], 20)
    third = await result(ada, "q3")
    assert (third["points"], third["streak"], third["score"]) == (ada3, 3, ada1 + ada2 + ada3)
    bob_third = await result(bob, "q3")
    assert (bob_third["points"], bob_third["bonus"], bob_third["streak"]) == (bob3, 0, 1)
    assert (bob_third["score"], bob_third["rank"]) == (bob2 + bob3, 2)
    cy_third = await result(cy, "q3")
    assert (cy_third["score"], cy_third["streak"], cy_third["rank"]) == (0, 0, 3)

    # The end: the podium for everyone, a final result for each player.
    ended = await presenter.call("quiz:end", {"quiz_id": quiz_id})
    assert ended["ok"] and ended["quiz"]["phase"] == "ended"
    assert [(t["name"], t["score"], t["rank"]) for t in ended["top"]] == [
        ("Ada", ada1 + ada2 + ada3, 1),
        ("Bob", bob2 + bob3, 2),
        ("Cy", 0, 3),
    ]
    for client in (ada, bob, cy, screen):
        podium = await client.wait_for("quiz:ended")
        assert podium["top"] == ended["top"] and podium["players"] == 3
    final = await ada.wait_for("quiz:result", lambda m: m.get("final") is True)
    assert (final["score"], final["rank"], final["best_streak"], final["correct_count"]) == (
        ada1 + ada2 + ada3,
        1,
        3,
        3,
    )
    await bob.wait_for("quiz:result", lambda m: m.get("final") is True)
    await cy.wait_for("quiz:result", lambda m: m.get("final") is True)
    again = await presenter.call("quiz:end", {"quiz_id": quiz_id})
    assert again["ok"] and again["top"] == ended["top"]  # ended already: nothing resent
    late = await clients.attendee(server.url, event["code"], "Dee")
    assert late.welcome["activity"]["quiz"]["ended"]["top"] == ended["top"]
    assert late.welcome["activity"]["quiz"]["me"]["result"] is None
    # Exactly one result per question each (Cy played from question 2), one reveal each.
    assert one_result_each(ada) == one_result_each(bob) == {"q1": 1, "q2": 1, "q3": 1, "final": 1}
    assert one_result_each(cy) == {"q2": 1, "q3": 1, "final": 1}
    assert [m["question_id"] for m in screen.received["quiz:reveal"]] == ["q1", "q2", "q3"]
    for client in (presenter, screen, ada, bob, cy, late):
        await client.disconnect()


async def test_answers_are_checked_and_never_changed(
    server: RunningServer, event: dict[str, str]
) -> None:
    """too_late, duplicates, already_answered and the other errors: each an error ack
    with its code, and nothing changes."""
    presenter, _, (ada, bob, cy) = await room(server, event, "Ada", "Bob", "Cy")
    definition = {
        "title": "Quick",
        "questions": [
            {
                "kind": "single",
                "question": "Pick b",
                "options": ["A", "B"],
                "correct": ["b"],
                "time_limit_s": 5,
            },
            {"kind": "truefalse", "question": "True?", "correct": True},
        ],
    }
    created = await presenter.call("quiz:create", definition)
    quiz_id = created["quiz"]["id"]

    async def code_of(client: Client, payload: dict[str, Any]) -> str:
        ack = await client.call("quiz:answer", payload)
        assert ack["ok"] is False and ack["error"]["message"], ack
        return str(ack["error"]["code"])

    base = {"quiz_id": quiz_id, "question_id": "q1", "choice": "b", "answer_id": "x1"}
    assert await code_of(ada, base) == "not_open"  # a draft: nothing is open
    assert (await presenter.call("quiz:next", {"quiz_id": quiz_id}))["error"]["code"] == "not_open"
    await presenter.call("quiz:start", {"quiz_id": quiz_id})
    assert await code_of(ada, base) == "not_open"  # the lobby
    opened = await next_question(presenter, quiz_id)

    first = await answer(ada, quiz_id, "q1", "b", answer_id="ada-1")
    assert first["ok"] and "duplicate" not in first
    retry = await answer(ada, quiz_id, "q1", "b", answer_id="ada-1")
    assert retry == {**first, "duplicate": True}
    assert await code_of(ada, {**base, "choice": "a", "answer_id": "ada-2"}) == "already_answered"
    assert await code_of(bob, {**base, "choice": "z"}) == "bad_choice"
    assert await code_of(bob, {**base, "choice": ["b"]}) == "bad_choice"
    assert await code_of(bob, {**base, "question_id": "q2", "choice": True}) == "not_open"
    assert await code_of(bob, {**base, "question_id": "q9"}) == "not_found"
    assert await code_of(bob, {**base, "quiz_id": "qz_nope"}) == "not_found"
    assert await code_of(bob, {k: v for k, v in base.items() if k != "answer_id"}) == (
        "bad_request"
    )
    assert await code_of(presenter, base) == "forbidden"
    assert (await presenter.call("quiz:next", {"quiz_id": quiz_id}))["error"]["code"] == (
        "bad_request"  # question 1 is still open
    )

    # The deadline (5 s) plus the grace closes the question: nobody asked.
    reveal = await ada.wait_for("quiz:reveal", timeout=15)
    assert reveal["distribution"]["counts"] == {"a": 0, "b": 1}
    assert reveal["distribution"]["players"] == 1
    assert (await result(ada, "q1"))["correct"] is True
    assert await code_of(bob, {**base, "answer_id": "bob-late"}) == "too_late"
    assert await code_of(cy, {**base, "choice": "a", "answer_id": "cy-late"}) == "too_late"
    # A retry of the answer given in time is still acknowledged as it was.
    assert await answer(ada, quiz_id, "q1", "b", answer_id="ada-1") == retry
    assert await code_of(ada, {**base, "answer_id": "ada-3"}) == "already_answered"
    closed = await presenter.call("quiz:close", {"quiz_id": quiz_id})
    assert closed["reveal"]["distribution"] == reveal["distribution"]
    assert closed["quiz"]["opened_at"] == opened["opened_at"]
    assert [m["question_id"] for m in ada.received["quiz:reveal"]] == ["q1"]

    # The last question, then no further.
    await next_question(presenter, quiz_id)
    await presenter.call("quiz:close", {"quiz_id": quiz_id})
    last = await presenter.call("quiz:next", {"quiz_id": quiz_id})
    assert last["error"]["code"] == "bad_request" and "quiz:end" in last["error"]["message"]
    assert (await presenter.call("quiz:close", {"quiz_id": quiz_id}))["ok"]  # its reveal again
    for client in (presenter, ada, bob, cy):
        await client.disconnect()


async def test_a_player_comes_back_where_they_were(
    server: RunningServer, event: dict[str, str]
) -> None:
    """A reconnecting player keeps score, streak, rank and the answer given to the open
    question; a late joiner plays from the current question."""
    presenter, screen, (ada, bob) = await room(server, event, "Ada", "Bob")
    quiz = await create_and_start(presenter, THREE_QUESTIONS)
    quiz_id = quiz["id"]
    await next_question(presenter, quiz_id)
    a1 = await answer(ada, quiz_id, "q1", "c")
    await answer(bob, quiz_id, "q1", "b")
    await presenter.call("quiz:close", {"quiz_id": quiz_id})
    first = await result(ada, "q1")
    q2 = await next_question(presenter, quiz_id)
    a2 = await answer(ada, quiz_id, "q2", ["a"], answer_id="ada-q2")

    token = ada.welcome["token"]
    await ada.disconnect()
    back = await clients.attendee(server.url, event["code"], token=token)
    shown = back.welcome["activity"]
    assert shown["type"] == "quiz"
    view = shown["quiz"]
    assert (view["id"], view["phase"], view["index"], view["scored"]) == (quiz_id, "question", 1, 1)
    assert view["question"] == q2["question"]
    assert (view["opened_at"], view["deadline"]) == (q2["opened_at"], q2["deadline"])
    assert view["me"] == {
        "score": first["score"],
        "streak": 1,
        "rank": 1,
        "answered": True,
        "choice": ["a"],
        "answer_id": "ada-q2",
        "elapsed_ms": a2["elapsed_ms"],
    }
    assert first["score"] == speed_points(1000, a1["elapsed_ms"], 20)
    assert "correct" not in str(view)

    dee = await clients.attendee(server.url, event["code"], "Dee")
    listen(back, dee)
    late = dee.welcome["activity"]["quiz"]
    assert late["me"] == {"score": 0, "streak": 0, "rank": None, "answered": False}
    assert late["question"]["id"] == "q2"
    d2 = await answer(dee, quiz_id, "q2", ["a", "c"])
    assert d2["ok"]
    staff = (await screen.call("state:get"))["state"]["activity"]["quiz"]
    assert staff["answered"] == 2 and "me" not in staff
    await presenter.call("quiz:close", {"quiz_id": quiz_id})
    mine = await result(back, "q2")
    assert (mine["correct"], mine["streak"], mine["players"]) == (False, 0, 3)
    theirs = await result(dee, "q2")
    assert theirs["score"] == speed_points(2000, d2["elapsed_ms"], 30)
    # After the close, the welcome shows the reveal and the player's own result.
    again = (await back.call("state:get"))["state"]["activity"]["quiz"]
    assert again["phase"] == "reveal" and again["reveal"]["correct"] == ["a", "c"]
    assert again["me"]["result"] == {k: v for k, v in mine.items() if k != "ts"}
    for client in (presenter, screen, back, bob, dee):
        await client.disconnect()


async def test_everyone_answered_closes_the_question(
    server: RunningServer, event: dict[str, str]
) -> None:
    presenter, screen, people = await room(server, event, "Ada", "Bob")
    quiz = await create_and_start(presenter, THREE_QUESTIONS)
    await next_question(presenter, quiz["id"])
    for person in people:
        assert (await answer(person, quiz["id"], "q1", "a"))["ok"]
    reveal = await screen.wait_for("quiz:reveal")  # nobody closed it
    assert reveal["distribution"]["answered"] == 2
    count = await presenter.wait_for("quiz:answers", lambda m: m["answered"] == 2)
    assert (count["question_id"], count["online"]) == ("q1", 2)
    closed = await presenter.call("quiz:close", {"quiz_id": quiz["id"]})
    assert closed["reveal"]["question_id"] == "q1"
    assert [m["question_id"] for m in screen.received["quiz:reveal"]] == ["q1"]
    for client in (presenter, screen, *people):
        await client.disconnect()


@pytest.mark.redis
async def test_a_process_new_to_a_quiz_reads_it_once_for_a_burst_of_answers(
    redis_proc: RedisProcess,
) -> None:
    """The first answers a process takes for a quiz opened elsewhere wait for one read
    of the quiz, which gives its definition and the question's opening time both (a
    second read would hold the whole burst up again)."""
    redis_proc.flush()
    async with running_server(redis_proc.url) as one, running_server(redis_proc.url) as two:
        event = await create_event(one.url)
        code = event["code"]
        presenter = await clients.presenter(one.url, code, event["presenter_key"])
        players = [await clients.attendee(two.url, code, f"Player {i}") for i in range(6)]
        listen(presenter, *players)
        quiz = await create_and_start(presenter, THREE_QUESTIONS)
        await next_question(presenter, quiz["id"])
        answering = two.services.kinds["quiz"].service.answering  # type: ignore[attr-defined]
        second_reads: list[str] = []
        read_opened = answering.read_opened

        async def counted(scope: str, quiz_: Any, question: Any) -> int | None:
            second_reads.append(question.id)
            return await read_opened(scope, quiz_, question)

        answering.read_opened = counted

        acks = await asyncio.gather(*(answer(p, quiz["id"], "q1", "a") for p in players))

        assert [a["ok"] for a in acks] == [True] * 6
        assert second_reads == [], "the opening time came with the definition"
        assert answering._deadlines.armed(code, quiz["id"], "q1"), "its deadline too"
        elapsed = [a["elapsed_ms"] for a in acks]
        assert all(0 <= e < 30_000 for e in elapsed), elapsed
        for client in (presenter, *players):
            await client.disconnect()
