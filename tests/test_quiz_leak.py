"""The answer-leak rule: nothing an attendee or a big screen receives before a question
closes reveals its correct answer. Read from the wire: every frame a phone and a screen
receive (broadcasts, acks, welcomes), with both backends, for every kind of question."""

from __future__ import annotations

import json
import uuid
from typing import Any

import aiohttp

from tests.support import clients
from tests.support.quiz import EVERY_KIND, SECRET_NUMBER, SECRET_TEXT, answer_fields
from tests.support.raw_socketio import RawClient
from tests.support.server import RunningServer

#: Wrong answers (a right one typed by the player would be echoed in their own ack).
WRONG = {"q1": "a", "q2": ["b"], "q3": True, "q4": "Quartz", "q5": 12}
SECRETS = (SECRET_TEXT, str(SECRET_NUMBER))


def payloads(frames: list[str]) -> list[Any]:
    """The JSON of every Socket.IO event and ack frame."""
    found = []
    for frame in frames:
        if frame.startswith(("42", "43")):
            found.append(json.loads(frame[frame.index("[") :]))
    return found


def leaks(frames: list[str]) -> list[str]:
    """What in ``frames`` gives an answer away: answer fields, or an answer's text."""
    problems = [f"field {f!r}" for p in payloads(frames) for f in sorted(answer_fields(p))]
    problems += [f"text {s!r}" for frame in frames for s in SECRETS if s in frame]
    return problems


async def test_nothing_reveals_an_answer_before_the_close(
    server: RunningServer, event: dict[str, str]
) -> None:
    code = event["code"]
    presenter = await clients.presenter(server.url, code, event["presenter_key"])
    async with aiohttp.ClientSession() as http:
        phone = await RawClient(http, server.url).connect(
            {"event": code, "role": "attendee", "name": "Phone"}
        )
        screen = await RawClient(http, server.url).connect({"event": code, "role": "screen"})
        assert "quizzes" not in screen.received("welcome")[0]  # definitions: presenters only
        created = await presenter.call("quiz:create", EVERY_KIND)
        quiz_id = created["quiz"]["id"]
        assert created["quiz"]["questions"][3]["accept"] == [SECRET_TEXT]  # the presenter's
        await presenter.call("quiz:start", {"quiz_id": quiz_id})
        forbidden = await screen.call("quiz:list", {})
        assert forbidden["error"]["code"] == "forbidden"
        seen = {"phone": 0, "screen": 0}
        for index, (question_id, choice) in enumerate(WRONG.items()):
            await presenter.call("quiz:next", {"quiz_id": quiz_id})
            await phone.wait_for("quiz:question", count=index + 1)
            await screen.wait_for("quiz:question", count=index + 1)
            ack = await phone.call(
                "quiz:answer",
                {
                    "quiz_id": quiz_id,
                    "question_id": question_id,
                    "choice": choice,
                    "answer_id": uuid.uuid4().hex,
                },
            )
            assert ack["ok"], ack
            # The snapshots a (re)connecting client gets, during the question.
            assert (await phone.call("state:get", {}))["ok"]
            assert (await screen.call("state:get", {}))["ok"]
            late = await RawClient(http, server.url).connect(
                {"event": code, "role": "attendee", "name": f"Late {index}"}
            )
            open_question = late.received("welcome")[0]["activity"]["quiz"]["question"]
            assert open_question["id"] == question_id
            while not any(m["question_id"] == question_id for m in screen.received("quiz:answers")):
                await screen.wait_for(
                    "quiz:answers", count=len(screen.received("quiz:answers")) + 1
                )
            for name, client in (("phone", phone), ("screen", screen), ("late", late)):
                start = seen.get(name, 0)
                assert leaks(client.frames[start:]) == [], f"{question_id}: {name} saw an answer"
            await late.close()

            await presenter.call("quiz:close", {"quiz_id": quiz_id})
            reveal = (await screen.wait_for("quiz:reveal", count=index + 1))[-1]
            assert reveal["question_id"] == question_id and "correct" in reveal
            mine = (await phone.wait_for("quiz:result", count=index + 1))[-1]
            assert mine["correct"] is False
            await phone.wait_for("quiz:reveal", count=index + 1)
            seen = {"phone": len(phone.frames), "screen": len(screen.frames)}
        # Revealed, the answers are there for all to see.
        revealed = [m["correct"] for m in phone.received("quiz:reveal")]
        assert revealed == [
            ["c"],
            ["a", "c"],
            False,
            [SECRET_TEXT],
            {"answer": SECRET_NUMBER, "tolerance": 0.5},
        ]
        await phone.close()
        await screen.close()
    await presenter.disconnect()
