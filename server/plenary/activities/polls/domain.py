"""Poll rules as pure functions: building a poll, validating an answer, summarising counts.

No I/O here. Answers are reduced to *counting keys* (option ids, a rating value, a
normalised word) that the store counts atomically; results are derived from those counts.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Any

from plenary.activities.polls.limits import PollLimits
from plenary.errors import ErrorCode, PlenaryError, bad_request
from plenary.text import clean_text, normalise_word

ACTIVITY_TYPE = "poll"
RATING_SCALES = (5, 10)
#: How many words an attendee may give to a word cloud unless the poll says otherwise.
DEFAULT_MAX_WORDS = 3
TOP_ENTRIES = 50  # word clouds and open text: live results show the most frequent entries


class PollKind(StrEnum):
    """What kind of answer a poll takes."""

    SINGLE = "single"
    MULTIPLE = "multiple"
    RATING = "rating"
    WORDCLOUD = "wordcloud"
    OPEN_TEXT = "open_text"


class PollStatus(StrEnum):
    """A poll's life cycle: draft -> open <-> closed."""

    DRAFT = "draft"
    OPEN = "open"
    CLOSED = "closed"


CHOICE_KINDS = (PollKind.SINGLE, PollKind.MULTIPLE)
TEXT_KINDS = (PollKind.WORDCLOUD, PollKind.OPEN_TEXT)


@dataclass(frozen=True)
class PollOption:
    """One answer option of a choice poll."""

    id: str
    label: str


@dataclass(frozen=True)
class Poll:
    """A poll's definition. Status lives in the store, beside it, so that it can change
    atomically with respect to votes."""

    id: str
    question: str
    kind: PollKind
    options: tuple[PollOption, ...] = ()
    scale: int | None = None
    created_at: int = 0
    #: Word clouds: how many words one attendee may give (each counted once).
    max_words: int | None = None
    type: str = field(default=ACTIVITY_TYPE)

    def to_dict(self) -> dict[str, Any]:
        """Plain data for the store and the wire."""
        data = asdict(self)
        data["kind"] = str(self.kind)
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Poll:
        """Inverse of :meth:`to_dict`."""
        return cls(
            id=data["id"],
            question=data["question"],
            kind=PollKind(data["kind"]),
            options=tuple(PollOption(o["id"], o["label"]) for o in data.get("options", ())),
            scale=data.get("scale"),
            created_at=data.get("created_at", 0),
            # Word clouds made before several words were allowed took one.
            max_words=data.get("max_words", 1 if data["kind"] == PollKind.WORDCLOUD else None),
        )

    @functools.cached_property
    def _option_ids(self) -> tuple[str, ...]:
        # Computed once per (immutable) poll: votes check it, and a burst has many.
        return tuple(o.id for o in self.options)

    def option_ids(self) -> tuple[str, ...]:
        return self._option_ids


def option_id(index: int) -> str:
    """Option ids are short and stable: ``a``, ``b``, ... in the order given."""
    return chr(ord("a") + index)


def build_poll(
    poll_id: str,
    question: Any,
    kind: Any,
    options: Any,
    scale: Any,
    limits: PollLimits,
    now: int,
    max_words: Any = None,
) -> Poll:
    """Validate a presenter's poll definition and return the poll."""
    if not isinstance(question, str) or not clean_text(question):
        raise bad_request("question must be a non-empty string.")
    question = clean_text(question)
    if len(question) > limits.max_question_len:
        raise PlenaryError(
            ErrorCode.TOO_LONG, f"question is longer than {limits.max_question_len} characters."
        )
    try:
        poll_kind = PollKind(kind)
    except ValueError:
        allowed = ", ".join(k.value for k in PollKind)
        raise bad_request(f"kind must be one of: {allowed}.") from None

    poll_options: tuple[PollOption, ...] = ()
    poll_scale: int | None = None
    if poll_kind in CHOICE_KINDS:
        poll_options = _build_options(options, limits)
    elif options not in (None, []):
        raise bad_request(f"a {poll_kind} poll takes no options.")
    if poll_kind is PollKind.RATING:
        poll_scale = 5 if scale is None else scale
        if type(poll_scale) is not int or poll_scale not in RATING_SCALES:
            raise bad_request("scale must be 5 or 10.")
    elif scale is not None:
        raise bad_request("only rating polls take a scale.")
    words: int | None = None
    if poll_kind is PollKind.WORDCLOUD:
        words = DEFAULT_MAX_WORDS if max_words is None else max_words
        if type(words) is not int or not 1 <= words <= limits.max_words:
            raise bad_request(f"max_words must be a whole number from 1 to {limits.max_words}.")
    elif max_words is not None:
        raise bad_request("only word clouds take max_words.")
    return Poll(
        id=poll_id,
        question=question,
        kind=poll_kind,
        options=poll_options,
        scale=poll_scale,
        created_at=now,
        max_words=words,
    )


def _build_options(options: Any, limits: PollLimits) -> tuple[PollOption, ...]:
    if not isinstance(options, list) or not all(isinstance(o, str) for o in options):
        raise bad_request("options must be a list of strings.")
    labels = [clean_text(o) for o in options]
    if len(labels) < 2 or len(labels) > limits.max_options:
        raise bad_request(f"a choice poll needs 2 to {limits.max_options} options.")
    if any(not label for label in labels):
        raise bad_request("options must not be empty.")
    if any(len(label) > limits.max_option_len for label in labels):
        raise PlenaryError(
            ErrorCode.TOO_LONG, f"an option is longer than {limits.max_option_len} characters."
        )
    if len({label.casefold() for label in labels}) != len(labels):
        raise bad_request("options must be different from each other.")
    return tuple(PollOption(option_id(i), label) for i, label in enumerate(labels))


@dataclass(frozen=True)
class Answer:
    """A validated answer: the value to store, the keys to count, and for free text the
    readable form of each key (as first typed) to show instead of the normalised key."""

    value: Any
    keys: tuple[str, ...]
    labels: dict[str, str] = field(default_factory=dict)


def validate_answer(poll: Poll, choice: Any, limits: PollLimits) -> Answer:
    """Check an attendee's choice against the poll and reduce it to counting keys."""
    kind = poll.kind
    if kind is PollKind.SINGLE:
        if not isinstance(choice, str):
            raise bad_request("choice must be an option id (a string).")
        _check_option(poll, choice)
        return Answer(choice, (choice,))
    if kind is PollKind.MULTIPLE:
        if not isinstance(choice, list) or not all(isinstance(c, str) for c in choice):
            raise bad_request("choice must be a list of option ids.")
        if not choice:
            raise PlenaryError(ErrorCode.BAD_CHOICE, "Choose at least one option.")
        if len(set(choice)) != len(choice):
            raise PlenaryError(ErrorCode.BAD_CHOICE, "Each option can be chosen once.")
        for c in choice:
            _check_option(poll, c)
        ordered = tuple(o for o in poll.option_ids() if o in choice)
        return Answer(list(ordered), ordered)
    if kind is PollKind.RATING:
        if type(choice) is not int:
            raise bad_request("choice must be a whole number.")
        scale = poll.scale or 5
        if not 1 <= choice <= scale:
            raise PlenaryError(ErrorCode.BAD_CHOICE, f"Rate from 1 to {scale}.")
        return Answer(choice, (str(choice),))
    if kind is PollKind.WORDCLOUD and isinstance(choice, list):
        return _words(poll, choice, limits)
    # Word cloud (one word) and open text: free text, counted by its normalised form.
    if not isinstance(choice, str):
        raise bad_request("choice must be text.")
    max_len = limits.max_word_len if kind is PollKind.WORDCLOUD else limits.max_text_len
    text, key = _entry(choice, max_len)
    return Answer(text, (key,), {key: text})


def _entry(choice: str, max_len: int) -> tuple[str, str]:
    """One free-text entry, cleaned, and the key it counts under."""
    text = clean_text(choice)
    if len(text) > max_len:
        raise PlenaryError(ErrorCode.TOO_LONG, f"Answers are limited to {max_len} characters.")
    key = normalise_word(text)
    if not key:
        raise PlenaryError(ErrorCode.BAD_CHOICE, "The answer is empty.")
    return text, key


def _words(poll: Poll, choice: list[Any], limits: PollLimits) -> Answer:
    """Several words for a word cloud: each counted once, however it is spelled."""
    allowed = poll.max_words or 1
    if not choice or not all(isinstance(c, str) for c in choice):
        raise bad_request("choice must be a word, or a list of words.")
    if len(choice) > allowed:
        raise PlenaryError(ErrorCode.BAD_CHOICE, f"Give at most {allowed} words.")
    entries = [_entry(c, limits.max_word_len) for c in choice]
    keys = tuple(dict.fromkeys(key for _, key in entries))
    if len(keys) != len(entries):
        raise PlenaryError(ErrorCode.BAD_CHOICE, "Give each word once.")
    return Answer([text for text, _ in entries], keys, {key: text for text, key in entries})


def _check_option(poll: Poll, choice: str) -> None:
    if choice not in poll.option_ids():
        raise PlenaryError(ErrorCode.BAD_CHOICE, f"{choice!r} is not an option of this poll.")


def summarise(
    poll: Poll,
    counts: Mapping[str, int],
    total: int,
    labels: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """Results as shown to people: counts per option (every option, zeros included) or
    per entry, the number of respondents, the mean for ratings, and for free text the
    readable form of each shown entry."""
    positive = {k: v for k, v in counts.items() if v > 0}
    result: dict[str, Any] = {"total": total}
    if poll.kind in CHOICE_KINDS:
        result["counts"] = {oid: positive.get(oid, 0) for oid in poll.option_ids()}
    elif poll.kind is PollKind.RATING:
        scale = poll.scale or 5
        per_value = {str(v): positive.get(str(v), 0) for v in range(1, scale + 1)}
        result["counts"] = per_value
        votes = sum(per_value.values())
        weighted = sum(int(k) * n for k, n in per_value.items())
        result["mean"] = round(weighted / votes, 2) if votes else None
    else:
        ranked = sorted(positive.items(), key=lambda kv: (-kv[1], kv[0]))
        result["counts"] = dict(ranked[:TOP_ENTRIES])
        result["distinct"] = len(ranked)
        known = labels or {}
        result["labels"] = {key: known.get(key, key) for key in result["counts"]}
    return result


def answer_labels(poll: Poll, value: Any) -> list[str]:
    """Human-readable form of a stored answer, for exports."""
    if poll.kind in CHOICE_KINDS:
        labels = {o.id: o.label for o in poll.options}
        values: Sequence[Any] = value if isinstance(value, list) else [value]
        return [labels.get(v, str(v)) for v in values]
    if isinstance(value, list):  # several words of a word cloud
        return [str(v) for v in value]
    return [str(value)]
