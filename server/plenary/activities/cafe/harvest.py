"""Harvests as pure rules: a table's takeaways, written by the people seated there
during a round. No I/O here; where each is stored is :mod:`plenary.activities.cafe.slots`."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, replace
from typing import Any

from plenary.activities.cafe.limits import CafeLimits
from plenary.errors import ErrorCode, PlenaryError, bad_request
from plenary.text import clean_text


@dataclass(frozen=True)
class Harvest:
    """One takeaway of one table in one round, by its author."""

    harvest_id: str
    author: str
    round: int
    table: int
    text: str
    created_at: int
    edited_at: int | None = None
    removed: bool = False

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Harvest:
        return cls(**{k: data[k] for k in cls.__dataclass_fields__ if k in data})

    def edited(self, text: str, now: int) -> Harvest:
        return replace(self, text=text, edited_at=now)

    def gone(self, now: int) -> Harvest:
        return replace(self, removed=True, edited_at=now)

    def view(self, names: Mapping[str, str]) -> dict[str, Any]:
        """As staff and tablemates see it: the author's name beside their id."""
        return {**self.to_dict(), "author_name": names.get(self.author, "")}


def harvest_text(text: Any, limits: CafeLimits) -> str:
    """A harvest's text, cleaned; empty or too long is refused."""
    if not isinstance(text, str):
        raise bad_request("text must be text.")
    cleaned = clean_text(text)
    if not cleaned:
        raise bad_request("text must not be empty: write the table's takeaway.")
    if len(cleaned) > limits.cafe_max_harvest_len:
        raise PlenaryError(
            ErrorCode.TOO_LONG,
            f"A harvest is limited to {limits.cafe_max_harvest_len} characters.",
        )
    return cleaned


def check_changeable(harvest: Harvest, author: str, current_round: int) -> None:
    """An author may change a harvest of theirs while its round is the current one."""
    if harvest.author != author:  # never true for slots named by the author; kept as a guard
        raise PlenaryError(ErrorCode.FORBIDDEN, "Only its author can change a harvest.")
    if harvest.round != current_round:
        raise PlenaryError(
            ErrorCode.NOT_OPEN, f"Round {harvest.round} is over: its harvests can no longer change."
        )


def spotlight_entry(harvest: Harvest, names: Mapping[str, str], topic: str) -> dict[str, Any]:
    """A harvest as the big screen shows it."""
    return {
        "author_id": harvest.author,
        "author_name": names.get(harvest.author, ""),
        "harvest_id": harvest.harvest_id,
        "round": harvest.round,
        "table": harvest.table,
        "topic": topic,
        "text": harvest.text,
    }
