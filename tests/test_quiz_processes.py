"""A quiz across two `plenary serve` processes sharing one real Redis: both agree on
the deadline, the answers and the scores; each question closes once (one reveal, one
result per player); a process killed mid-question loses no acked answer."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from tests.support import clients
from tests.support.clients import Client
from tests.support.quiz import answer, listen, speed_points, streak_bonus
from tests.support.server import ServerProcess, create_event_sync
from tests.test_http_api import request
from tests.test_quiz_stage_export import replayed_scores

pytestmark = pytest.mark.redis

QUIZ: dict[str, Any] = {
    "title": "Across",
    "questions": [
        {
            "kind": "single",
            "question": "Pick c",
            "options": ["A", "B", "C"],
            "correct": ["c"],
            "time_limit_s": 5,
        },
        {"kind": "truefalse", "question": "True?", "correct": True, "time_limit_s": 30},
        {"kind": "truefalse", "question": "False?", "correct": False, "time_limit_s": 30},
    ],
}


def results_for(client: Client, question_id: str) -> list[dict[str, Any]]:
    return [m for m in client.received["quiz:result"] if m.get("question_id") == question_id]


async def test_two_processes_agree_on_one_quiz(
    two_servers: tuple[ServerProcess, ServerProcess],
) -> None:
    one, two = two_servers
    event = await asyncio.to_thread(create_event_sync, one.url)
    code, key = event["code"], event["presenter_key"]
    presenter = await clients.presenter(one.url, code, key)
    screen = await clients.screen(two.url, code)
    on_one = [await clients.attendee(one.url, code, f"One{i}") for i in range(4)]
    on_two = [await clients.attendee(two.url, code, f"Two{i}") for i in range(4)]
    everyone = [*on_one, *on_two]
    listen(presenter, screen, *everyone)
    await presenter.wait_for("presence", lambda m: m["online"] == 8, timeout=15)
    quiz_id = (await presenter.call("quiz:create", QUIZ))["quiz"]["id"]
    await presenter.call("quiz:start", {"quiz_id": quiz_id})

    # Question 1 (5 s), opened on process one; the last attendee of each process does
    # not answer. Both processes' deadline timers fire; one closes it.
    await presenter.call("quiz:next", {"quiz_id": quiz_id})
    players = [*on_one[:3], *on_two[:3]]
    choices = ["c", "a", "c", "c", "b", "c"]
    acks = await asyncio.gather(
        *(answer(p, quiz_id, "q1", c) for p, c in zip(players, choices, strict=True))
    )
    assert all(ack["ok"] for ack in acks), acks
    reveal = await screen.wait_for("quiz:reveal", timeout=15)
    assert reveal["distribution"]["counts"] == {"a": 1, "b": 1, "c": 4}
    scores = {}
    for player, choice, ack in zip(players, choices, acks, strict=True):
        mine = await player.wait_for("quiz:result", lambda m: m.get("question_id") == "q1")
        expected = speed_points(1000, ack["elapsed_ms"], 5) if choice == "c" else 0
        assert (mine["points"], mine["score"], mine["players"]) == (expected, expected, 6)
        scores[player.welcome["attendee"]["id"]] = expected

    # Question 2: everyone answers true (right); the count closes it, on one process.
    await presenter.call("quiz:next", {"quiz_id": quiz_id})
    acks2 = await asyncio.gather(*(answer(p, quiz_id, "q2", True) for p in everyone))
    for person, ack in zip(everyone, acks2, strict=True):
        mine = await person.wait_for("quiz:result", lambda m: m.get("question_id") == "q2")
        attendee_id = person.welcome["attendee"]["id"]
        streak = 2 if person in players and choices[players.index(person)] == "c" else 1
        points = speed_points(1000, ack["elapsed_ms"], 30) + streak_bonus(streak)
        assert (mine["points"], mine["streak"]) == (points, streak)
        scores[attendee_id] = scores.get(attendee_id, 0) + points
        assert mine["score"] == scores[attendee_id]
    await screen.wait_for("quiz:reveal", lambda m: m["question_id"] == "q2", timeout=15)

    # Question 3: process two's attendees answer, then process two is killed. Nothing
    # acked is lost: process one closes the question with their answers.
    await presenter.call("quiz:next", {"quiz_id": quiz_id})
    acks3 = await asyncio.gather(*(answer(p, quiz_id, "q3", False) for p in on_two))
    assert all(ack["ok"] for ack in acks3)
    await asyncio.to_thread(two.kill)
    closed = await presenter.call("quiz:close", {"quiz_id": quiz_id})
    assert closed["reveal"]["distribution"]["answered"] == 4
    assert closed["reveal"]["distribution"]["counts"] == {"true": 0, "false": 4}

    # Each question closed once: one reveal each, one result per player and question.
    for person in on_one:
        assert [m["question_id"] for m in person.received["quiz:reveal"]] == ["q1", "q2", "q3"]
    for person in everyone:
        for question_id in ("q1", "q2"):
            expected = 1 if question_id == "q2" or person in players else 0
            assert len(results_for(person, question_id)) == expected
    ended = await presenter.call("quiz:end", {"quiz_id": quiz_id})
    status, data, _ = await request("GET", f"{one.url}/api/events/{code}/export", key)
    assert status == 200
    [item] = data["quizzes"]
    server_scores = {r["attendee_id"]: r["score"] for r in item["ranking"]}
    assert replayed_scores(item) == server_scores
    for person in on_one:
        assert (
            server_scores[person.welcome["attendee"]["id"]]
            == scores[person.welcome["attendee"]["id"]]
        )
    assert [t["score"] for t in ended["top"]] == sorted(server_scores.values(), reverse=True)[:10]
    for client in (presenter, *on_one):
        await client.disconnect()
