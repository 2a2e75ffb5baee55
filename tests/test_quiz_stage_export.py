"""Quizzes on the shared stage (another activity or the event's end closes them, with
the podium), in the export (every answer, the rankings, replayable), and imported
from JSON and CSV files over REST and from the console; both backends."""

from __future__ import annotations

import csv
import io
from typing import Any

from plenary.activities.quiz.domain import Quiz
from plenary.activities.quiz.players import GivenAnswer, PlayerState
from plenary.activities.quiz.rounds import replay
from tests.support import clients
from tests.support.quiz import answer, listen, speed_points
from tests.support.server import RunningServer, end_event
from tests.test_http_api import request
from tests.test_quiz_live import THREE_QUESTIONS, create_and_start, next_question, result, room


async def test_another_activity_on_stage_ends_the_quiz(
    server: RunningServer, event: dict[str, str]
) -> None:
    presenter, screen, (ada, bob) = await room(server, event, "Ada", "Bob")
    quiz = await create_and_start(presenter, THREE_QUESTIONS)
    quiz_id = quiz["id"]
    await next_question(presenter, quiz_id)
    a1 = await answer(ada, quiz_id, "q1", "c")

    # A poll takes the stage mid-question: the question counts, then the podium.
    poll = await presenter.call("poll:create", {"question": "Next?", "kind": "rating"})
    assert (await presenter.call("poll:open", {"poll_id": poll["poll"]["id"]}))["ok"]
    reveal = await screen.wait_for("quiz:reveal")
    assert reveal["distribution"]["answered"] == 1
    mine = await result(ada, "q1")
    assert mine["score"] == speed_points(1000, a1["elapsed_ms"], 20)
    ended = await bob.wait_for("quiz:ended")
    assert [(t["name"], t["score"]) for t in ended["top"]] == [("Ada", mine["score"])]
    final = await ada.wait_for("quiz:result", lambda m: m.get("final") is True)
    assert (final["rank"], final["players"]) == (1, 1)
    late = await answer(bob, quiz_id, "q1", "c")
    assert late["error"]["code"] == "too_late"
    again = await presenter.call("quiz:start", {"quiz_id": quiz_id})
    assert again["error"]["code"] == "not_open"
    state = (await ada.call("state:get"))["state"]
    assert state["activity"]["type"] == "poll"

    # A quiz in its lobby when the event ends: closed, its (empty) podium shown.
    other = await create_and_start(presenter, THREE_QUESTIONS)
    await end_event(server.url, event["code"])
    podium = await screen.wait_for("quiz:ended", lambda m: m["quiz_id"] == other["id"])
    assert (podium["top"], podium["players"]) == ([], 0)
    stored = await server.services.store.get_activity(event["code"], other["id"])
    assert stored is not None and stored.status == "closed"
    for client in (presenter, screen, ada, bob):
        await client.disconnect()


def replayed_scores(item: dict[str, Any]) -> dict[str, int]:
    """Every player's score recomputed from the export's answers alone."""
    quiz = Quiz.from_dict(item)
    players: dict[str, PlayerState] = {}
    for question in item["questions"]:
        for a in question["answers"]:
            state = players.setdefault(a["attendee_id"], PlayerState(a["attendee_id"], a["name"]))
            given = GivenAnswer(a["answer_id"], a["choice"], a["elapsed_ms"])
            state.answers = {**state.answers, question["id"]: given}
    states = replay(quiz, players.values(), item["scored"])
    return {attendee_id: state.score for attendee_id, state in states.items()}


async def test_the_export_holds_every_answer_and_the_rankings(
    server: RunningServer, event: dict[str, str]
) -> None:
    code = event["code"]
    presenter = await clients.presenter(server.url, code, event["presenter_key"])
    ada = await clients.attendee(server.url, code, "Ada", country="PT")
    bob = await clients.attendee(server.url, code, "Bob", country=" pt ")
    cy = await clients.attendee(server.url, code, "=Cy", country="FR")
    listen(presenter, ada, bob, cy)
    quiz = await create_and_start(presenter, {**THREE_QUESTIONS, "teams": "country"})
    quiz_id = quiz["id"]
    await next_question(presenter, quiz_id)
    acks = {
        "Ada": await answer(ada, quiz_id, "q1", "c"),
        "Bob": await answer(bob, quiz_id, "q1", "a"),
        "=Cy": await answer(cy, quiz_id, "q1", "c"),
    }
    await presenter.call("quiz:close", {"quiz_id": quiz_id})
    await next_question(presenter, quiz_id)
    a2 = await answer(ada, quiz_id, "q2", ["a", "c"])
    ended = await presenter.call("quiz:end", {"quiz_id": quiz_id})
    assert ended["teams"][0]["team"] in ("FR", "PT")

    url = f"{server.url}/api/events/{code}/export"
    status, data, _ = await request("GET", url, event["presenter_key"])
    assert status == 200
    [item] = data["quizzes"]
    assert (item["id"], item["phase"], item["scored"]) == (quiz_id, "ended", 2)
    names = {a["id"]: a["name"] for a in data["attendees"]}
    first = item["questions"][0]
    assert first["correct"] == ["c"] and first["opened_at"] <= first["closed_at"]
    rows = {names[a["attendee_id"]]: a for a in first["answers"]}
    for name, ack in acks.items():
        row = rows[name]
        assert (row["choice"], row["elapsed_ms"]) == (ack["choice"], ack["elapsed_ms"])
        right = ack["choice"] == "c"
        assert row["correct"] is right
        assert row["points"] == (speed_points(1000, ack["elapsed_ms"], 20) if right else 0)
    assert rows["Ada"]["answer"] == "Lisbon"
    [second] = item["questions"][1]["answers"]
    # points: the bonus included (as in quiz:result), and given apart
    assert second["points"] == speed_points(2000, a2["elapsed_ms"], 30) + 100
    assert second["bonus"] == 100
    ranking = {names[r["attendee_id"]]: r for r in item["ranking"]}
    assert ranking["Ada"]["score"] == rows["Ada"]["points"] + second["points"]
    assert ranking["Ada"]["rank"] == 1 and ranking["Bob"]["score"] == 0
    assert replayed_scores(item) == {r["attendee_id"]: r["score"] for r in item["ranking"]}
    teams = {t["team"]: t for t in item["team_ranking"]}
    assert set(teams) == {"PT", "FR"} and teams["PT"]["members"] == 2
    assert teams["PT"]["score"] == round(ranking["Ada"]["score"] / 2, 1)

    status, text, _ = await request("GET", url + "?format=csv", event["presenter_key"])
    table = [r for r in csv.DictReader(io.StringIO(text.lstrip("\ufeff"))) if r["quiz_id"]]
    assert {r["activity_type"] for r in table} == {"quiz"}
    kinds = [r["row"] for r in table]
    assert kinds == ["answer"] * 4 + ["player"] * 3 + ["team"] * 2
    cy_rows = [r for r in table if r["attendee_name"] == "'=Cy"]  # a formula, neutralised
    assert [r["row"] for r in cy_rows] == ["answer", "player"]
    for client in (presenter, ada, bob, cy):
        await client.disconnect()


CSV_FILE = (
    "Kind;Question;Time limit s;Points;Option A;Option B;Correct;Accept;Answer;Tolerance\n"
    "single;Capital of Portugal?;20;1000;Porto;Lisbon;b;;;\n"
    "number;Pi, two decimals?;;;;;;;3,14;0,01\n"
)


async def test_quizzes_are_imported_over_rest_and_from_the_console(
    server: RunningServer, event: dict[str, str]
) -> None:
    code, key = event["code"], event["presenter_key"]
    url = f"{server.url}/api/events/{code}/quizzes"
    presenter = await clients.presenter(server.url, code, key)
    listen(presenter)

    status, body, _ = await request("POST", url, key, json=THREE_QUESTIONS)
    assert status == 201, body
    assert [q["kind"] for q in body["quiz"]["questions"]] == ["single", "multiple", "truefalse"]
    csv_headers = {"Content-Type": "text/csv"}
    status, body, _ = await request(
        "POST", url + "?title=From%20a%20sheet&teams=country", key, csv_headers, data=CSV_FILE
    )
    assert status == 201, body
    imported = body["quiz"]
    assert (imported["title"], imported["teams"], imported["streak_bonus"]) == (
        "From a sheet",
        "country",
        True,
    )
    assert imported["questions"][1] == {
        "id": "q2",
        "kind": "number",
        "question": "Pi, two decimals?",
        "time_limit_s": 20,
        "points": 1000,
        "answer": 3.14,
        "tolerance": 0.01,
    }

    broken = CSV_FILE.replace("single;", "singel;")
    status, body, _ = await request("POST", url + "?title=X", key, csv_headers, data=broken)
    assert (status, body["error"]["code"]) == (400, "bad_request")
    assert body["error"]["message"].startswith("row 2")
    for token, expected in [(None, 401), ("wrong", 403)]:
        assert (await request("POST", url, token, json=THREE_QUESTIONS))[0] == expected
    html = {"Content-Type": "text/html"}
    assert (await request("POST", url, key, html, data="<p>"))[0] == 400
    huge = "x" * (262_144 + 1)
    assert (await request("POST", url, key, csv_headers, data=huge))[0] == 400
    status, body, _ = await request(
        "POST", url + "?streak_bonus=maybe", key, csv_headers, data=CSV_FILE
    )
    assert (status, body["error"]["code"]) == (400, "bad_request")

    from_console = await presenter.call(
        "quiz:import",
        {"format": "csv", "data": CSV_FILE, "title": "Console", "streak_bonus": False},
    )
    assert from_console["ok"] and from_console["quiz"]["streak_bonus"] is False
    as_json = await presenter.call(
        "quiz:import",
        {
            "format": "json",
            "data": '[{"kind": "truefalse", "question": "Q?", "correct": true}]',
            "title": "Bare list",
        },
    )
    assert as_json["ok"] and as_json["quiz"]["title"] == "Bare list"
    bad = await presenter.call("quiz:import", {"format": "json", "data": "{", "title": "X"})
    assert bad["error"]["code"] == "bad_request" and "line 1" in bad["error"]["message"]
    listed = await presenter.call("quiz:list")
    assert [q["title"] for q in listed["quizzes"]] == [
        "General knowledge",
        "From a sheet",
        "Console",
        "Bare list",
    ]
    await presenter.disconnect()
