"""What a quiz may hold: this kind's limits, configurable like every other setting once
the kind is installed (``--quiz-max-questions``, ``PLENARY_QUIZ_MAX_QUESTIONS``...).
Every name starts with ``quiz_`` so that no flag collides with another kind's."""

from __future__ import annotations

from dataclasses import dataclass

from plenary.options import option


@dataclass(frozen=True)
class QuizLimits:
    """Quiz limits. Bounds on quiz definitions, imports and answers, each enforced with an
    error ack."""

    quiz_max_per_event: int = option(200, "most quizzes in one event")
    quiz_max_questions: int = option(100, "most questions in one quiz")
    quiz_max_title_len: int = option(200, "longest quiz title")
    quiz_max_question_len: int = option(300, "longest quiz question")
    quiz_max_option_len: int = option(120, "longest quiz answer option label")
    quiz_max_accept: int = option(10, "most accepted answers of a text question")
    quiz_max_accept_len: int = option(120, "longest accepted answer of a text question")
    quiz_max_text_answer_len: int = option(120, "longest typed answer to a text question")
    quiz_max_import_bytes: int = option(262_144, "largest quiz file to import (JSON or CSV)")
    quiz_answer_grace_ms: int = option(
        500, "how long after a question's deadline an answer still counts (network delay)"
    )


#: This kind's limits, read by the settings (see plenary/activities/__init__.py).
LIMITS = QuizLimits
