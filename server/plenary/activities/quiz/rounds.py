"""Closing a question and ending the quiz: every player's outcome, the new scores and
ranks, each player's personal ``quiz:result``, the ``quiz:reveal`` for everyone, the
final standings, and a replay that recomputes it all from the answers (the export).

Payloads here carry no ``ts``: the broadcaster stamps it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from plenary.activities.quiz.answers import Judge, distribution_key
from plenary.activities.quiz.domain import CHOICE_KINDS, Question, QuestionKind, Quiz
from plenary.activities.quiz.players import GivenAnswer, PlayerState, with_fields
from plenary.activities.quiz.ranking import rank_players, team_leaderboard, top_entries
from plenary.activities.quiz.scoring import score_answer

#: Typed answers (text, number) in the reveal's distribution: the most frequent ones.
DISTRIBUTION_TOP = 10


@dataclass(frozen=True)
class Standings:
    """What closing a question (or ending the quiz) gives the service to store and send."""

    players: dict[str, PlayerState]  # new states, by attendee id
    results: dict[str, dict[str, Any]]  # each player's personal quiz:result
    top: list[dict[str, Any]]
    teams: list[dict[str, Any]]  # the team leaderboard; empty unless a team quiz
    reveal: dict[str, Any] | None = None  # quiz:reveal; None at the quiz's end


def score_player(
    quiz: Quiz, index: int, player: PlayerState, judged: Judge | None = None
) -> PlayerState:
    """Apply question ``index`` to one player, in a new state: nothing changes if it was
    already applied (closing twice changes nothing); a question missed in between (a
    player who was away) ends the streak, as a missing answer does."""
    if player.scored > index:
        return with_fields(player)
    question = quiz.questions[index]
    given = player.answers.get(question.id)
    streak = player.streak if player.scored == index else 0
    if given is None:
        return with_fields(player, streak=0, scored=index + 1)
    judgement = judged(given.choice) if judged is not None else None
    score = score_answer(
        question, given.choice, given.elapsed_ms, streak, quiz.streak_bonus, judgement
    )
    answers = dict(player.answers)
    answers[question.id] = GivenAnswer(
        given.answer_id, given.choice, given.elapsed_ms, score.correct, score.total, score.bonus
    )
    # Built field by field rather than copied: this runs for every player of the quiz.
    return PlayerState(
        player.attendee_id,
        player.name,
        player.team,
        player.score + score.total,
        score.streak,
        max(player.best_streak, score.streak),
        player.correct_count + score.correct,
        player.correct_time_ms + (given.elapsed_ms if score.correct else 0),
        player.rank,
        index + 1,
        answers,
    )


def close_question(quiz: Quiz, index: int, players: Iterable[PlayerState]) -> Standings:
    """Score question ``index`` for every player of the quiz (each state as stored, with
    the answers given), rank them, and build the results and the reveal."""
    question = quiz.questions[index]
    judged = Judge(question)
    ranked = rank_players(score_player(quiz, index, p, judged) for p in players)
    count = len(ranked)
    states: dict[str, PlayerState] = {}
    results: dict[str, dict[str, Any]] = {}
    given_answers: list[GivenAnswer] = []
    for rank, player in ranked:
        player.rank = rank  # a new state, made by score_player for this call
        states[player.attendee_id] = player
        given = player.answers.get(question.id)
        if given is not None:
            given_answers.append(given)
        results[player.attendee_id] = {
            "quiz_id": quiz.id,
            "question_id": question.id,
            "correct": bool(given and given.correct),
            "points": given.points or 0 if given else 0,
            "bonus": given.bonus if given else 0,
            "score": player.score,
            "rank": rank,
            "players": count,
            "streak": player.streak,
        }
    top = top_entries(ranked)
    teams = [t.to_dict() for t in team_leaderboard(states.values())] if quiz.teams else []
    reveal: dict[str, Any] = {
        "quiz_id": quiz.id,
        "question_id": question.id,
        "correct": question.revealed(),
        "distribution": distribution(question, given_answers, count),
        "top": top,
    }
    if quiz.teams:
        reveal["teams"] = teams
    return Standings(states, results, top, teams, reveal)


def final_standings(quiz: Quiz, players: Iterable[PlayerState]) -> Standings:
    """The podium: final ranks, each player's final personal ``quiz:result``, the top
    (for ``quiz:ended``) and the team leaderboard."""
    ranked = rank_players(players)
    count = len(ranked)
    states: dict[str, PlayerState] = {}
    results: dict[str, dict[str, Any]] = {}
    for rank, player in ranked:
        states[player.attendee_id] = with_fields(player, rank=rank)
        results[player.attendee_id] = {
            "quiz_id": quiz.id,
            "final": True,
            "score": player.score,
            "rank": rank,
            "players": count,
            "streak": player.streak,
            "best_streak": player.best_streak,
            "correct_count": player.correct_count,
            "questions": len(quiz.questions),
        }
    teams = [t.to_dict() for t in team_leaderboard(states.values())] if quiz.teams else []
    return Standings(states, results, top_entries(ranked), teams)


def distribution(
    question: Question, answers: Iterable[GivenAnswer], players: int
) -> dict[str, Any]:
    """How the room answered: counts per option (every option, zeros included), per
    ``"true"``/``"false"``, or the ``DISTRIBUTION_TOP`` most frequent typed answers (by
    their compared form, with the most common spelling as ``labels``) and ``others``."""
    # Counted by choice first: keys (the compared form of a text) are then made once per
    # distinct choice, not once per answer.
    choices: Counter[Any] = Counter()
    answered = correct = 0
    for given in answers:
        answered += 1
        correct += bool(given.correct)
        choice = given.choice
        choices[tuple(choice) if isinstance(choice, list) else choice] += 1
    counts: Counter[str] = Counter()
    spellings: Counter[tuple[str, str]] = Counter()
    for choice, n in choices.items():
        keys = distribution_key(question, list(choice) if isinstance(choice, tuple) else choice)
        for key in keys:
            counts[key] += n
        if question.kind is QuestionKind.TEXT:
            spellings[(keys[0], choice)] += n
    result: dict[str, Any] = {"players": players, "answered": answered, "correct": correct}
    if question.kind in CHOICE_KINDS:
        result["counts"] = {oid: counts[oid] for oid in question.option_ids}
    elif question.kind is QuestionKind.TRUEFALSE:
        result["counts"] = {"true": counts["true"], "false": counts["false"]}
    else:
        shown = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:DISTRIBUTION_TOP]
        result["counts"] = dict(shown)
        result["others"] = answered - sum(n for _, n in shown)
        if question.kind is QuestionKind.TEXT:
            best: dict[str, tuple[int, str]] = {}
            for (key, text), n in spellings.items():
                if key in result["counts"] and (-n, text) < best.get(key, (1, "")):
                    best[key] = (-n, text)
            result["labels"] = {key: best[key][1] for key in result["counts"]}
    return result


def replay(quiz: Quiz, players: Iterable[PlayerState], closed: int) -> dict[str, PlayerState]:
    """Recompute every player's state from their answers alone (choice and elapsed
    time, as exported), closing the first ``closed`` questions in turn: what the server
    computed question by question, from scratch."""
    fresh: Mapping[str, PlayerState] = {
        p.attendee_id: PlayerState(
            p.attendee_id,
            p.name,
            p.team,
            answers={
                q: GivenAnswer(a.answer_id, a.choice, a.elapsed_ms) for q, a in p.answers.items()
            },
        )
        for p in players
    }
    states = dict(fresh)
    for index in range(closed):
        states = close_question(quiz, index, states.values()).players
    return states
