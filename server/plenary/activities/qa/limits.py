"""What Q&A allows: this kind's limits, configurable like every other setting
(``--qa-max-question-len``, ``PLENARY_QA_MAX_QUESTION_LEN``...; docs/configuration.md)."""

from __future__ import annotations

from dataclasses import dataclass

from plenary.options import option


@dataclass(frozen=True)
class QALimits:
    """Bounds on questions and replies, each enforced with an error ack."""

    qa_max_question_len: int = option(300, "longest Q&A question")
    qa_max_reply_len: int = option(1000, "longest presenter reply to a Q&A question")
    qa_questions_per_minute: int = option(
        3, "questions one attendee may ask per minute in a room (bursts of as many)"
    )
    qa_max_questions_per_room: int = option(1000, "most Q&A questions in one room")
    qa_update_interval_ms: int = option(
        500, "Q&A list changes and vote counts go out at most once per this many ms per room"
    )


#: This kind's limits, read by the settings (see plenary/activities/__init__.py).
LIMITS = QALimits
