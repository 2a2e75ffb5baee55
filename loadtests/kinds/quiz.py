"""Quizzes in the load tests: every question of a quiz is a *round* (an activity of the
load tests, ``<quiz id>/<question id>``) that every attendee answers once, within the
vote window of its opening; the presenter opens, closes and ends; the checks are the
issue's (docs/loadtest.md, "quiz_burst"):

* every answer acked (an error ack is a failure);
* every attendee receives ``quiz:question``, ``quiz:reveal`` and exactly one
  ``quiz:result`` per round (``MISSED`` when none, a ``CHECK`` failure for a second),
  then ``quiz:ended`` and one final result;
* each round's tally: the answers the server counted at the close (the reveal's
  ``distribution``) = the answers acked = the answers in the export;
* every player's score, recomputed here from the export's answers (choice and
  server-measured time) with the documented rules, equals the server's ranking.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any, ClassVar

from loadtests import kinds, scenarios
from loadtests.kinds import Kind, RoundsScenario, Staff, announced, created, spec_of
from loadtests.scenarios import Activity, ActivitySpec, Director

TYPE = "quiz"
OPTIONS = ("Red", "Green", "Blue", "Yellow")


@dataclass(frozen=True)
class QuizSpec:
    """A quiz of single-choice questions the presenter creates."""

    type: ClassVar[str] = TYPE

    title: str
    questions: int = 5
    time_limit_s: int = 20

    def payload(self) -> dict[str, Any]:
        """The ``quiz:create`` payload: question i's answer is option i (mod 4)."""
        return {
            "title": self.title,
            "questions": [
                {
                    "kind": "single",
                    "question": f"Question {i + 1}: which colour?",
                    "options": list(OPTIONS),
                    "correct": [chr(ord("a") + i % len(OPTIONS))],
                    "time_limit_s": self.time_limit_s,
                }
                for i in range(self.questions)
            ],
        }


def round_id(quiz_id: str, question_id: str) -> str:
    """A question of a quiz, as an activity of the load tests."""
    return f"{quiz_id}/{question_id}"


# -- what attendees follow --------------------------------------------------------------
def activity_in(event: str, data: dict[str, Any]) -> dict[str, Any] | None:
    """The round (or the quiz) a quiz message is about."""
    quiz_id = str(data.get("quiz_id"))
    if event == "quiz:question":
        question = data.get("question") or {}
        return {**question, "id": round_id(quiz_id, str(question.get("id"))), "status": "open"}
    if event == "quiz:result" and data.get("final"):
        return {"id": round_id(quiz_id, "final"), "status": "closed"}
    if event in ("quiz:reveal", "quiz:result"):
        return {"id": round_id(quiz_id, str(data.get("question_id"))), "status": "closed"}
    if event == "quiz:started":
        quiz = data.get("quiz") or {}
        return {"id": str(quiz.get("id")), "status": "lobby"}
    if event == "quiz:ended":
        return {"id": quiz_id, "status": "closed"}
    return None


def from_welcome(quiz: dict[str, Any]) -> dict[str, Any] | None:
    """The open question of a quiz on stage (with the player's answer), or the quiz."""
    question = quiz.get("question")
    if quiz.get("phase") != "question" or not isinstance(question, dict):
        return {"id": str(quiz.get("id")), "status": str(quiz.get("phase"))}
    me = quiz.get("me") or {}
    return {
        **question,
        "id": round_id(str(quiz.get("id")), str(question.get("id"))),
        "status": "open",
        "my_answer": me.get("choice") if me.get("answered") else None,
    }


def answer(round_: dict[str, Any], rng: random.Random) -> dict[str, Any]:
    """The ``quiz:answer`` payload (without ``answer_id``): a random option."""
    quiz_id, _, question_id = str(round_["id"]).rpartition("/")
    options = [option["id"] for option in round_.get("options") or []]
    return {"quiz_id": quiz_id, "question_id": question_id, "choice": rng.choice(options)}


def results_count(data: dict[str, Any]) -> tuple[str, int] | None:
    """``quiz:answers`` (presenters): the round and how many answered it."""
    return round_id(str(data.get("quiz_id")), str(data.get("question_id"))), int(
        data.get("answered", 0)
    )


# -- the presenter's verbs ----------------------------------------------------------------
def create(staff: Staff, spec: ActivitySpec) -> Activity:
    return created(staff, spec_of(spec, QuizSpec, "quiz"), "quiz:create", "quiz")[0]


def start(staff: Staff, quiz: Activity) -> dict[str, Any]:
    return announced(staff, "quiz:start", {"quiz_id": quiz.id}, "quiz:started", quiz.id)


def next_question(staff: Staff, quiz: Activity) -> dict[str, Any]:
    """Open the next question: every attendee must receive it."""
    ack, sent = staff.request("quiz:next", {"quiz_id": quiz.id})
    key = round_id(quiz.id, str(ack["question"]["question"]["id"]))
    staff.entry(Activity(TYPE, key))["kind"] = "single"
    staff.expect("quiz:question", key, sent)
    return ack


def close(staff: Staff, quiz: Activity, question_id: str) -> dict[str, Any]:
    """Close the question (it may have closed already: everyone answered). The reveal's
    distribution is the round's tally; every attendee must get the reveal and their
    result."""
    ack, sent = staff.request("quiz:close", {"quiz_id": quiz.id})
    key = round_id(quiz.id, question_id)
    distribution = ack["reveal"]["distribution"]
    staff.entry(Activity(TYPE, key))["results"] = {
        "total": distribution["answered"],
        "counts": distribution["counts"],
    }
    staff.expect("quiz:reveal", key, sent)
    staff.expect("quiz:result", key, sent)
    return ack


def end(staff: Staff, quiz: Activity) -> dict[str, Any]:
    ack, sent = staff.request("quiz:end", {"quiz_id": quiz.id})
    staff.expect("quiz:ended", quiz.id, sent)
    staff.expect("quiz:result", round_id(quiz.id, "final"), sent)
    return ack


# -- the export -----------------------------------------------------------------------------
def export_totals(items: list[dict[str, Any]]) -> dict[str, tuple[Any, Any]]:
    """Each round's answers in the export (listed, and counted the same way)."""
    return {
        round_id(item["id"], question["id"]): (len(question["answers"]),) * 2
        for item in items
        for question in item["questions"]
    }


def speed_points(points: int, elapsed_ms: int, limit_ms: int) -> int:
    """docs/quiz.md: round(points x (1 - (elapsed / limit) / 2)), halves up, the full
    points within 0.5 s, elapsed capped at the limit; in integers."""
    elapsed = min(max(elapsed_ms, 0), limit_ms)
    if elapsed <= 500:
        elapsed = 0
    num, den = points * (2 * limit_ms - elapsed), 2 * limit_ms
    return (2 * num + den) // (2 * den)


def replayed_scores(item: dict[str, Any]) -> dict[str, int]:
    """Every player's score from the export's answers alone (single-choice and
    true/false questions), as docs/quiz.md says: speed points for a right answer, the
    streak bonus (100 per right answer in a row from the second, at most 500)."""
    scores: dict[str, int] = {}
    streaks: dict[str, int] = {}
    for question in item["questions"][: item["scored"]]:
        if question["kind"] not in ("single", "truefalse"):
            raise ValueError(f"cannot replay a {question['kind']} question")
        given = {a["attendee_id"]: a for a in question["answers"]}
        for attendee_id in given:
            scores.setdefault(attendee_id, 0)
        for attendee_id in scores:
            mine = given.get(attendee_id)
            correct = question["correct"]
            right = mine is not None and (
                mine["choice"] in correct
                if isinstance(correct, list)
                else mine["choice"] is correct
            )
            if mine is None or not right:
                streaks[attendee_id] = 0
                continue
            streak = streaks[attendee_id] = streaks.get(attendee_id, 0) + 1
            bonus = (
                min(100 * (streak - 1), 500) if item["streak_bonus"] and question["points"] else 0
            )
            limit = question["time_limit_s"] * 1000
            scores[attendee_id] += (
                speed_points(question["points"], mine["elapsed_ms"], limit) + bonus
            )
    return scores


def check_export(items: list[dict[str, Any]]) -> list[str]:
    """Scores replayed from the export's answers must equal the server's ranking."""
    problems = []
    for item in items:
        server = {row["attendee_id"]: row["score"] for row in item["ranking"]}
        try:
            replayed = replayed_scores(item)
        except ValueError as exc:
            problems.append(f"quiz {item['id']}: {exc}")
            continue
        wrong = sorted(
            a for a in server.keys() | replayed.keys() if server.get(a) != replayed.get(a)
        )
        if wrong:
            first = wrong[0]
            problems.append(
                f"quiz {item['id']}: {len(wrong)} scores differ, e.g. {first}: server "
                f"{server.get(first)}, replayed {replayed.get(first)}"
            )
    return problems


QUIZ = kinds.register(
    Kind(
        type=TYPE,
        key="quiz",
        id_field="question_id",
        broadcasts=("quiz:started", "quiz:question", "quiz:reveal", "quiz:result", "quiz:ended"),
        opened="quiz:question",
        results="quiz:answers",
        answer_event="quiz:answer",
        answer=answer,
        stored=lambda ack: ack.get("choice"),
        counted_keys=lambda choice: [str(choice)],
        create=create,
        verbs={"start": start, "next": next_question, "close": close, "end": end},
        export_key="quizzes",
        activity_in=activity_in,
        from_welcome=from_welcome,
        answer_id_field="answer_id",
        once=("quiz:result",),
        results_count=results_count,
        export_totals=export_totals,
        check_export=check_export,
    )
)


# -- the scenario ---------------------------------------------------------------------------
@dataclass(frozen=True)
class QuizRounds(RoundsScenario):
    """All attendees join; the quiz starts; each question opens, every attendee answers
    within the vote window, it closes (by itself once everyone answered, else by the
    presenter), the results show for ``hold_s``; then the podium."""

    rounds_field = "questions"
    hold_s: float = 1.0

    def run(self, d: Director) -> None:
        self.gather(d)
        for spec in self.activities:
            quiz = d.create(spec)
            d.act(quiz, "start")
            for _ in range(getattr(spec, "questions", 0)):
                opened = d.act(quiz, "next")
                question_id = str(opened["question"]["question"]["id"])
                d.mark(f"{quiz.type} opened")
                self.wait_for_everyone(d, Activity(quiz.type, round_id(quiz.id, question_id)))
                d.act(quiz, "close", question_id=question_id)
                d.mark(f"{quiz.type} {question_id} closed")
                d.sleep(self.hold_s)
            d.act(quiz, "end")
            d.mark(f"{quiz.type} ended")


scenarios.register(
    QuizRounds(
        name="quiz_burst",
        summary="all attendees join (50/s), a quiz of 5 questions: every attendee answers "
        "each within 2 s of its opening, exactly one result per question each, scores "
        "replayed from the export equal the server's",
        vote_window_s=2.0,
        activities=(QuizSpec("Load-test quiz"),),
    ),
)
