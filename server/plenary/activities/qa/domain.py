"""Q&A rules as pure functions: asking, who sees which question, ordering, votes and
moderation. Plain data in and out; the service stores the results.

A question's status is one of :class:`Status`. With moderation on, a new question is
``pending``: only its author and the presenters see it until it is approved or
dismissed. ``approved`` and ``answered`` questions are public; only ``approved`` ones
take votes. An anonymous question's author is known to the server (for "my questions"
and the per-attendee limits) and is never shown to anyone but the author.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from plenary.errors import ErrorCode, PlenaryError, bad_request
from plenary.text import clean_text

#: The kind's type, and the ``type`` of its stored records: one per room holding the
#: settings, the highlight and the upvotes (as answers), and one per question.
ACTIVITY_TYPE = "qa"
ROOM_RECORD_TYPE = "qa_room"
ROOM_RECORD_ID = "qa"
QUESTION_TYPE = "qa_question"
#: A room's change log: one answer per question, replaced at every change of it, so
#: its version tells a process whether its copy of the room's questions is current.
LOG_TYPE = "qa_log"
LOG_ID = "qa-log"


class Status(StrEnum):
    PENDING = "pending"  # waiting for moderation: author and presenters only
    APPROVED = "approved"  # public, takes votes
    ANSWERED = "answered"  # public, votes frozen
    DISMISSED = "dismissed"  # refused by a moderator: author and presenters only
    ARCHIVED = "archived"  # put away: author and presenters only


PUBLIC = frozenset({Status.APPROVED, Status.ANSWERED})


class Action(StrEnum):
    APPROVE = "approve"
    DISMISS = "dismiss"
    ANSWER = "answer"
    ARCHIVE = "archive"


#: Which statuses each moderation action may start from (its target status is the
#: action's own: approve -> approved...). Repeating an action is allowed and changes
#: nothing, so a retried message is harmless.
ACTION_TARGET = {
    Action.APPROVE: Status.APPROVED,
    Action.DISMISS: Status.DISMISSED,
    Action.ANSWER: Status.ANSWERED,
    Action.ARCHIVE: Status.ARCHIVED,
}
ACTION_FROM = {
    Action.APPROVE: frozenset(Status),
    Action.DISMISS: frozenset({Status.PENDING, Status.APPROVED}),
    Action.ANSWER: frozenset({Status.APPROVED, Status.ANSWERED}),
    Action.ARCHIVE: frozenset(Status),
}


@dataclass(frozen=True)
class Settings:
    """A room's Q&A settings, set by its presenters."""

    anonymous: bool = True  # attendees may ask without their name
    moderation: bool = False  # new questions wait for approval

    def to_dict(self) -> dict[str, bool]:
        return {"anonymous": self.anonymous, "moderation": self.moderation}

    @classmethod
    def from_meta(cls, meta: Mapping[str, Any]) -> Settings:
        return cls(bool(meta.get("anonymous", True)), bool(meta.get("moderation", False)))


@dataclass(frozen=True)
class Question:
    """A question as stored: its definition (never changes) plus status and state."""

    id: str
    text: str
    author_id: str
    author_name: str
    anonymous: bool
    created_at: int
    status: Status = Status.APPROVED
    #: +1 with every change (the store's ``state_seq``): clients keep the highest.
    rev: int = 0
    edited: bool = False
    reply: str | None = None
    replied_at: int | None = None
    answered_at: int | None = None
    highlighted_at: int | None = None

    def definition(self) -> dict[str, Any]:
        """What the store keeps as the question's definition."""
        return {
            "type": QUESTION_TYPE,
            "id": self.id,
            "text": self.text,
            "author_id": self.author_id,
            "author_name": self.author_name,
            "anonymous": self.anonymous,
            "created_at": self.created_at,
        }

    @classmethod
    def from_record(
        cls, definition: Mapping[str, Any], status: str, meta: Mapping[str, Any], rev: int
    ) -> Question:
        return cls(
            id=definition["id"],
            text=meta.get("text") or definition["text"],
            author_id=definition["author_id"],
            author_name=definition.get("author_name", ""),
            anonymous=bool(definition.get("anonymous")),
            created_at=definition.get("created_at", 0),
            status=Status(status),
            rev=rev,
            edited=bool(meta.get("edited", False)),
            reply=meta.get("reply"),
            replied_at=meta.get("replied_at"),
            answered_at=meta.get("answered_at"),
            highlighted_at=meta.get("highlighted_at"),
        )

    @property
    def public(self) -> bool:
        return self.status in PUBLIC


def question_id(attendee_id: str, ask_id: str) -> str:
    """The id of the question an attendee asks with ``ask_id``: the same for every retry,
    on any process, so that storing it is idempotent."""
    digest = hashlib.sha256(f"{attendee_id}\x1f{ask_id}".encode()).hexdigest()
    return f"q_{digest[:12]}"


def clean_question_text(text: str, max_len: int, what: str = "question") -> str:
    """A question's (or reply's) text, cleaned, or an error for empty or too long."""
    cleaned = clean_text(text)
    if not cleaned:
        raise bad_request(f"The {what} is empty.")
    if len(cleaned) > max_len:
        raise PlenaryError(ErrorCode.TOO_LONG, f"A {what} is at most {max_len} characters.")
    return cleaned


def new_question(
    qid: str,
    text: str,
    author_id: str,
    author_name: str,
    anonymous: bool,
    settings: Settings,
    max_len: int,
    now: int,
) -> Question:
    """Check an attendee's question against the room's settings and make it."""
    if anonymous and not settings.anonymous:
        raise bad_request("Anonymous questions are turned off in this room.")
    return Question(
        id=qid,
        text=clean_question_text(text, max_len),
        author_id=author_id,
        author_name=author_name,
        anonymous=anonymous,
        created_at=now,
        status=Status.PENDING if settings.moderation else Status.APPROVED,
    )


def moderate(question: Question, action: Action, now: int) -> tuple[Status, dict[str, Any]]:
    """The status and state fields a moderation action gives ``question`` (an error if
    the action does not apply to its status)."""
    if question.status not in ACTION_FROM[action]:
        raise bad_request(f"A {question.status} question cannot be given '{action}'.")
    meta: dict[str, Any] = {}
    if action is Action.ANSWER and question.status is not Status.ANSWERED:
        meta["answered_at"] = now
    return ACTION_TARGET[action], meta


def check_votable(question: Question) -> None:
    """Only approved questions take votes (and their withdrawal)."""
    if question.status is not Status.APPROVED:
        raise PlenaryError(ErrorCode.NOT_OPEN, f"This question is {question.status}: no votes.")


def check_highlightable(question: Question) -> None:
    if not question.public:
        raise bad_request("Only approved or answered questions can be highlighted.")


def visible_to(question: Question, attendee_id: str | None) -> bool:
    """Whether a viewer sees the question: presenters and screens (``attendee_id``
    None) see every one, attendees the public ones and their own."""
    return attendee_id is None or question.public or question.author_id == attendee_id


def view(question: Question, votes: int, viewer: str | None) -> dict[str, Any]:
    """A question as a client sees it. ``viewer`` is the attendee id of an attendee
    (None for presenters and screens). The author's name appears only on questions
    that are not anonymous; ``mine`` tells the author which are theirs."""
    out: dict[str, Any] = {
        "id": question.id,
        "text": question.text,
        "votes": votes,
        "status": str(question.status),
        "anonymous": question.anonymous,
        "author": None if question.anonymous else question.author_name,
        "created_at": question.created_at,
        "edited": question.edited,
        "reply": question.reply,
        "replied_at": question.replied_at,
        "answered_at": question.answered_at,
        "rev": question.rev,
    }
    if viewer is not None:
        out["mine"] = question.author_id == viewer
    return out


def ordered(questions: Iterable[Question], votes: Mapping[str, int]) -> list[Question]:
    """Most votes first; equal votes, the earlier question first (then by id, so the
    order is total)."""
    return sorted(questions, key=lambda q: (-votes.get(q.id, 0), q.created_at, q.id))


def listing(
    questions: Iterable[Question], votes: Mapping[str, int], viewer: str | None
) -> list[dict[str, Any]]:
    """The questions a viewer sees, ordered, as views."""
    shown = [q for q in questions if visible_to(q, viewer)]
    return [view(q, votes.get(q.id, 0), viewer) for q in ordered(shown, votes)]
