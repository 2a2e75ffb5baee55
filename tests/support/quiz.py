"""Helpers for the quiz tests: clients that record the quiz's messages, a quiz to play,
and the scoring rule written out independently of the server's modules (so a test
compares the server with the documented formula, not with itself)."""

from __future__ import annotations

import uuid
from typing import Any

from tests.support.clients import Client

QUIZ_MESSAGES = (
    "quiz:created",
    "quiz:started",
    "quiz:question",
    "quiz:answers",
    "quiz:reveal",
    "quiz:result",
    "quiz:ended",
)


def listen(*people: Client) -> None:
    """Record the quiz's messages too (the clients record those of polls)."""
    for client in people:
        for name in QUIZ_MESSAGES:
            if name not in client.received:
                client.received[name] = []
                client.sio.on(name, client._recorder(name))


async def answer(
    client: Client, quiz_id: str, question_id: str, choice: Any, answer_id: str | None = None
) -> dict[str, Any]:
    return await client.call(
        "quiz:answer",
        {
            "quiz_id": quiz_id,
            "question_id": question_id,
            "choice": choice,
            "answer_id": answer_id or uuid.uuid4().hex,
        },
    )


def speed_points(points: int, elapsed_ms: int, limit_s: int, credit: float = 1.0) -> int:
    """docs/quiz.md: round(points x (1 - (elapsed / limit) / 2)), halves up, full points
    within the first 0.5 s, the elapsed time capped at the limit."""
    limit_ms = limit_s * 1000
    elapsed = min(elapsed_ms, limit_ms)
    if elapsed <= 500:
        elapsed = 0
    exact = points * (1 - (elapsed / limit_ms) / 2) * credit
    whole = int(exact)
    return whole + 1 if exact - whole >= 0.5 - 1e-9 else whole


def streak_bonus(streak: int) -> int:
    """docs/quiz.md: 100 per correct answer in a row from the second, at most 500."""
    return 0 if streak < 2 else min(100 * (streak - 1), 500)


#: A quiz of every kind, whose answers appear nowhere else in it (the leak test looks
#: for them in every frame).
SECRET_TEXT = "Zanzibarite"
SECRET_NUMBER = 987654.321
EVERY_KIND: dict[str, Any] = {
    "title": "Every kind",
    "questions": [
        {
            "kind": "single",
            "question": "Which one?",
            "options": ["North", "South", "East", "West"],
            "correct": ["c"],
            "time_limit_s": 20,
        },
        {
            "kind": "multiple",
            "question": "Which ones?",
            "options": ["Red", "Green", "Blue", "Grey"],
            "correct": ["a", "c"],
            "time_limit_s": 20,
            "points": 2000,
        },
        {"kind": "truefalse", "question": "Is it so?", "correct": False},
        {"kind": "text", "question": "The mineral?", "accept": [SECRET_TEXT]},
        {
            "kind": "number",
            "question": "The figure?",
            "answer": SECRET_NUMBER,
            "tolerance": 0.5,
            "points": 0,
        },
    ],
}

#: What the answer-leak test looks for: the fields that carry an answer.
ANSWER_FIELDS = frozenset({"correct", "accept", "answer", "tolerance"})


def answer_fields(value: Any) -> set[str]:
    """Every key of ``value`` (nested) that names an answer."""
    found: set[str] = set()
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            found |= ANSWER_FIELDS & set(item)
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return found
