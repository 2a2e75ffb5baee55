"""A café's rounds as pure rules: the state of the current round (kept in the activity's
state fields), seating the next round, seating someone mid-round or letting them go,
and what each person and the staff are told. No I/O here.

Tables are lists of attendee ids; ``tables[k]`` is table ``k + 1``, its host first."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from typing import Any

from plenary.activities.cafe.domain import Cafe
from plenary.activities.cafe.seating import (
    Person,
    round_stats,
    seat_latecomer,
    seat_round,
)
from plenary.realtime.personal import Cut, decoded, encode_json

Tables = list[list[str]]
#: What a person shows of themselves to their tablemates: id, name, organisation, country.
Card = Mapping[str, Any]


@dataclass(frozen=True)
class RoundState:
    """The current round, as the activity's state fields hold it: its number (0 before
    the first), its tables as they are now (latecomers in, leavers out), the previous
    round's final tables (the rounds before are kept as their own records), when it
    started and ends, and the stats of its seating."""

    number: int = 0
    tables: Tables = field(default_factory=list)
    previous: Tables = field(default_factory=list)
    started_at: int = 0
    ends_at: int = 0
    stats: Mapping[str, int] = field(default_factory=dict)

    @classmethod
    def from_meta(cls, meta: Mapping[str, Any]) -> RoundState:
        return cls(
            number=int(meta.get("round") or 0),
            tables=[list(t) for t in meta.get("tables") or ()],
            previous=[list(t) for t in meta.get("previous") or ()],
            started_at=int(meta.get("round_started_at") or 0),
            ends_at=int(meta.get("ends_at") or 0),
            stats=dict(meta.get("stats") or {}),
        )

    def to_meta(self) -> dict[str, Any]:
        return {
            "round": self.number,
            "tables": self.tables,
            "previous": self.previous,
            "round_started_at": self.started_at,
            "ends_at": self.ends_at,
            "stats": dict(self.stats),
        }

    def running(self, now: int) -> bool:
        """Whether a round is under way (started, and its time not up)."""
        return self.number > 0 and now < self.ends_at

    def seat_of(self, attendee_id: str) -> int | None:
        """The index of the table ``attendee_id`` sits at this round, if any."""
        for t, members in enumerate(self.tables):
            if attendee_id in members:
                return t
        return None

    def seated(self) -> set[str]:
        return {m for members in self.tables for m in members}


def history(state: RoundState, older: Mapping[int, Tables]) -> list[Tables]:
    """Every round so far, oldest first: ``older`` holds the rounds before the previous
    one by number (a missing one counts as nobody having met), the state the last two."""
    rounds: list[Tables] = []
    for number in range(1, state.number + 1):
        if number == state.number:
            rounds.append(state.tables)
        elif number == state.number - 1:
            rounds.append(state.previous)
        else:
            rounds.append(older.get(number, []))
    return rounds


@dataclass(frozen=True)
class Seating:
    """A new round's tables and the figures of its seating."""

    tables: Tables
    stats: dict[str, int]


def seat_next_round(cafe: Cafe, people: Sequence[Person], rounds: Sequence[Tables]) -> Seating:
    """The next round for the people present; seeded by the café, so every process
    computes the same tables from the same input."""
    tables = seat_round(people, cafe.plan, rounds, seed=cafe.id)
    return Seating(tables, round_stats(tables, people, rounds))


def next_state(state: RoundState, seating: Seating, now: int, round_s: int) -> RoundState:
    """The state once the next round starts now."""
    return RoundState(
        number=state.number + 1,
        tables=seating.tables,
        previous=state.tables,
        started_at=now,
        ends_at=now + round_s * 1000,
        stats=seating.stats,
    )


def with_latecomer(
    cafe: Cafe,
    state: RoundState,
    person: Person,
    people: Iterable[Person],
    rounds: Sequence[Tables],
) -> tuple[int, RoundState]:
    """Seat someone who arrives while the round runs, nobody else moving: the table
    index and the new state (unchanged if they were seated already)."""
    t = seat_latecomer(state.tables, person, people, cafe.plan, rounds[:-1])
    if person.id in state.tables[t]:
        return t, state
    tables = [list(members) for members in state.tables]
    tables[t].append(person.id)
    return t, _replace_tables(state, tables)


def without(state: RoundState, attendee_id: str) -> tuple[int, RoundState] | None:
    """Take someone who leaves off their table (nobody else moves): the table index and
    the new state, or None if they were not seated."""
    t = state.seat_of(attendee_id)
    if t is None:
        return None
    tables = [list(members) for members in state.tables]
    tables[t].remove(attendee_id)
    return t, _replace_tables(state, tables)


def _replace_tables(state: RoundState, tables: Tables) -> RoundState:
    return RoundState(
        state.number, tables, state.previous, state.started_at, state.ends_at, state.stats
    )


def host_of(cafe: Cafe, members: Sequence[str], t: int) -> str | None:
    """The host of table index ``t`` if they sit there."""
    hosts = cafe.plan.hosts
    return hosts[t] if t < len(hosts) and hosts[t] in members else None


def tables_view(cafe: Cafe, tables: Sequence[Sequence[str]]) -> list[dict[str, Any]]:
    """The tables as ``cafe:round`` and its ack show them."""
    view = []
    for t, members in enumerate(tables):
        table: dict[str, Any] = {
            "table": t + 1,
            "topic": cafe.topic(t + 1),
            "members": list(members),
        }
        host = host_of(cafe, members, t)
        if host is not None:
            table["host"] = host
        view.append(table)
    return view


def card(cards: Mapping[str, Card], attendee_id: str) -> dict[str, Any]:
    found = cards.get(attendee_id)
    if found is None:  # an attendee record not readable now: still a tablemate
        return {"id": attendee_id, "name": "", "organisation": None, "country": None}
    return dict(found)


def round_sheet(
    cafe: Cafe, state: RoundState, cards: Mapping[str, Card], event: str, only: Iterable[int] = ()
) -> dict[str, Any]:
    """What the assignments of the round (at the tables ``only``, or all) are made of,
    encoded once for every process: per table its members, the JSON of the assignment
    as it would be with every member a tablemate (``assignment``: the café, round,
    table, topic, host, room link and all the cards), and where each member's own card
    lies in it (``starts``, ``ends``), with the comma that parts it from the next card
    (from the one before, for the last). Each member's assignment is that JSON without
    their card: :func:`assignments_from_sheet` cuts them, in the process that holds each
    person's connection."""
    common = {
        "cafe_id": cafe.id,
        "round": state.number,
        "rounds": cafe.rounds,
        "ends_at": state.ends_at,
    }
    tables = []
    for t in list(only) or range(len(state.tables)):
        members = state.tables[t]
        head: dict[str, Any] = {**common, "table": t + 1, "topic": cafe.topic(t + 1)}
        host = host_of(cafe, members, t)
        if host is not None:
            head["host"] = host
        link = cafe.room_link(event, t + 1)
        if link is not None:
            head["room_url"] = link
        opening = encode_json(head)[:-1] + b',"tablemates":['
        parts = [encode_json(card(cards, m)) for m in members]
        # Each card with the comma after it, the last with the comma before it.
        starts, ends, at = [], [], len(opening)
        for part in parts:
            starts.append(at)
            at += len(part) + 1
            ends.append(at)
        if len(parts) > 1:
            starts[-1] -= 1
        if parts:
            ends[-1] -= 1
        tables.append(
            {
                "members": members,
                "assignment": b"".join((opening, b",".join(parts), b"]}")),
                "starts": starts,
                "ends": ends,
            }
        )
    return {"tables": tables}


def assignments_from_sheet(
    sheet: Mapping[str, Any], attendee_ids: Collection[str]
) -> Iterator[tuple[str, Cut]]:
    """``cafe:assignment`` (without ``ts``) for each of ``attendee_ids`` seated in
    ``sheet`` (:func:`round_sheet`): their own table only, their tablemates' cards; as
    their table's assignment less their own card (a :data:`~plenary.realtime.personal.Cut`,
    the same object for every member of a table)."""
    wanted = attendee_ids if isinstance(attendee_ids, AbstractSet) else set(attendee_ids)
    for table in sheet["tables"]:
        encoded = table["assignment"]
        for member, start, end in zip(
            table["members"], table["starts"], table["ends"], strict=True
        ):
            if member in wanted:
                yield member, (encoded, start, end)


def assignment(
    cafe: Cafe,
    state: RoundState,
    t: int,
    attendee_id: str,
    cards: Mapping[str, Card],
    event: str,
) -> dict[str, Any]:
    """``cafe:assignment`` for ``attendee_id`` at table index ``t`` (without ``ts``): their
    own table only."""
    sheet = round_sheet(cafe, state, cards, event, only=[t])
    ((_, mine),) = assignments_from_sheet(sheet, {attendee_id})
    return decoded(mine)


def assignments(
    cafe: Cafe, state: RoundState, cards: Mapping[str, Card], event: str, only: Iterable[int] = ()
) -> dict[str, dict[str, Any]]:
    """Everyone's assignment by attendee id (of the tables ``only``, or all)."""
    sheet = round_sheet(cafe, state, cards, event, only)
    members = {m for table in sheet["tables"] for m in table["members"]}
    return {m: decoded(cut) for m, cut in assignments_from_sheet(sheet, members)}
