"""A world café's definition as pure rules: building and checking it from a presenter's
values, the topic of each table and its video-room link. No I/O here; the seating rules
are in :mod:`plenary.activities.cafe.seating`."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any
from urllib.parse import quote

from plenary.activities.cafe.limits import CafeLimits
from plenary.activities.cafe.seating import TablePlan, table_plan
from plenary.errors import ErrorCode, PlenaryError, bad_request
from plenary.text import clean_text

ACTIVITY_TYPE = "cafe"
DEFAULT_TITLE = "World café"
#: The placeholders a room link template may hold.
PLACEHOLDERS = ("{event}", "{table}")
_BRACED = re.compile(r"\{[^{}]*\}")


class CafeStatus(StrEnum):
    """A café's life cycle: draft -> open (on stage, rounds run) -> closed."""

    DRAFT = "draft"
    OPEN = "open"
    CLOSED = "closed"


@dataclass(frozen=True)
class Cafe:
    """A café's definition; it never changes once created. Its rounds live in the
    store beside it (see :mod:`plenary.activities.cafe.rounds`)."""

    id: str
    title: str
    rounds: int
    round_s: int
    topics: tuple[str, ...]
    plan: TablePlan
    room_url: str | None = None
    created_at: int = 0

    def to_dict(self) -> dict[str, Any]:
        """Plain data for the store and the wire."""
        plan = self.plan
        return {
            "type": ACTIVITY_TYPE,
            "id": self.id,
            "title": self.title,
            "rounds": self.rounds,
            "round_s": self.round_s,
            "topics": list(self.topics),
            "tables": plan.tables,
            "table_size": plan.table_size,
            "min_size": plan.min_size,
            "max_size": plan.max_size,
            "hosts": list(plan.hosts),
            "spread": list(plan.spread),
            "room_url": self.room_url,
            "created_at": self.created_at,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Cafe:
        """Inverse of :meth:`to_dict`."""
        plan = TablePlan(
            tables=data.get("tables"),
            table_size=data.get("table_size"),
            min_size=data["min_size"],
            max_size=data["max_size"],
            hosts=tuple(data.get("hosts") or ()),
            spread=tuple(data.get("spread") or ()),
        )
        return cls(
            id=data["id"],
            title=data["title"],
            rounds=data["rounds"],
            round_s=data["round_s"],
            topics=tuple(data["topics"]),
            plan=plan,
            room_url=data.get("room_url"),
            created_at=data.get("created_at", 0),
        )

    def topic(self, table: int) -> str:
        """The topic of table ``table`` (numbered from 1): the topics in turn, so one
        topic gives every table the same question."""
        return self.topics[(table - 1) % len(self.topics)]

    def room_link(self, event: str, table: int) -> str | None:
        """The table's video room: the template with ``{event}`` and ``{table}`` filled."""
        if self.room_url is None:
            return None
        return self.room_url.replace("{event}", quote(event, safe="")).replace(
            "{table}", str(table)
        )


def _whole(value: Any, name: str, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise bad_request(f"{name} must be a whole number from {low} to {high}.")
    return value


def _text(value: Any, name: str, longest: int) -> str:
    if not isinstance(value, str) or not clean_text(value):
        raise bad_request(f"{name} must be non-empty text.")
    text = clean_text(value)
    if len(text) > longest:
        raise PlenaryError(ErrorCode.TOO_LONG, f"{name} is longer than {longest} characters.")
    return text


def _topics(topics: Any, limits: CafeLimits) -> tuple[str, ...]:
    if not isinstance(topics, list) or not topics:
        raise bad_request("topics must be a list of at least one topic.")
    if len(topics) > limits.cafe_max_topics:
        raise bad_request(f"A café has at most {limits.cafe_max_topics} topics.")
    return tuple(_text(t, "a topic", limits.cafe_max_topic_len) for t in topics)


def _room_url(template: Any, limits: CafeLimits) -> str | None:
    if template is None:
        return None
    if not isinstance(template, str) or not template.startswith(("https://", "http://")):
        raise bad_request("room_url must be a link starting with https:// (or http://).")
    if len(template) > limits.cafe_max_room_url_len:
        raise PlenaryError(
            ErrorCode.TOO_LONG,
            f"room_url is longer than {limits.cafe_max_room_url_len} characters.",
        )
    if any(ch.isspace() or not ch.isprintable() for ch in template):
        raise bad_request("room_url must not contain spaces or control characters.")
    unknown = [p for p in _BRACED.findall(template) if p not in PLACEHOLDERS]
    if unknown or _BRACED.sub("", template).count("{") or _BRACED.sub("", template).count("}"):
        raise bad_request("room_url may hold only the placeholders {event} and {table}.")
    return template


def build_cafe(
    cafe_id: str,
    values: Mapping[str, Any],
    limits: CafeLimits,
    now: int,
) -> Cafe:
    """Check a presenter's ``cafe:create`` values (docs/protocol.md) and return the café.
    Whether the hosts are attendees of the event is the service's check (it needs the
    store)."""
    title = values.get("title")
    title = DEFAULT_TITLE if title is None else _text(title, "title", limits.cafe_max_title_len)
    plan = table_plan(
        tables=values.get("tables"),
        table_size=values.get("table_size"),
        min_size=values.get("min_size"),
        max_size=values.get("max_size"),
        hosts=values.get("hosts") or (),
        spread=values.get("spread"),
    )
    rounds = _whole(values.get("rounds"), "rounds", 1, limits.cafe_max_rounds)
    round_s = _whole(
        values.get("round_s"), "round_s", limits.cafe_min_round_s, limits.cafe_max_round_s
    )
    return Cafe(
        id=cafe_id,
        title=title,
        rounds=rounds,
        round_s=round_s,
        topics=_topics(values.get("topics"), limits),
        plan=plan,
        room_url=_room_url(values.get("room_url"), limits),
        created_at=now,
    )


def unknown_hosts(hosts: Sequence[str], attendees: set[str]) -> list[str]:
    """The hosts who are not attendees of the event, in the order given."""
    return [h for h in hosts if h not in attendees]


def warning_at(ends_at: int, round_s: int, warning_s: int) -> int:
    """When everyone is warned that a round ends: ``warning_s`` before its end, but
    never earlier than halfway through it."""
    return ends_at - min(warning_s * 1000, round_s * 1000 // 2)
