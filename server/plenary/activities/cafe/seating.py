"""World café seating: who sits at which table in the next round. Pure rules, plain data
in and out; the rules and the measured figures are in docs/cafe.md.

Hard rules: table sizes within the plan's bounds and differing by at most one; hosts at
their own table every round (``hosts[k]`` hosts table ``k + 1``); everyone present at
exactly one table. Then, in this order, as few as possible: pairs who sat together in an
earlier round, pairs from one organisation, pairs from one country (low country
diversity). The input is the people present now, so people who arrive late or leave
between rounds need nothing special: the earlier rounds only say who met whom.
"""

from __future__ import annotations

import itertools
import random
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from plenary.activities.cafe.seating_search import (
    MAX_TABLE_SIZE,
    W_COUNTRY,
    W_ORG,
    Problem,
    solve,
)
from plenary.errors import bad_request

SPREAD = ("organisation", "country")
MAX_TABLES = 10_000
DEFAULT_MIN_SIZE = 2  # a table of one is not a conversation

Tables = list[list[str]]  # tables[k] is table k + 1: member ids, its host first
Rounds = Sequence[Sequence[Sequence[str]]]  # the earlier rounds' tables, oldest first


@dataclass(frozen=True)
class Person:
    """Someone present. Organisation and country are compared trimmed and case-folded;
    empty or missing never matches anyone."""

    id: str
    organisation: str | None = None
    country: str | None = None


@dataclass(frozen=True)
class TablePlan:
    """How to lay the tables: a count (``tables``) or a target size (``table_size``),
    with sizes from ``min_size`` to ``max_size``; ``spread`` names what to keep apart
    besides people who already met. Make one with :func:`table_plan`."""

    tables: int | None = None
    table_size: int | None = None
    min_size: int = DEFAULT_MIN_SIZE
    max_size: int = MAX_TABLE_SIZE
    hosts: tuple[str, ...] = ()
    spread: tuple[str, ...] = SPREAD


def _whole(value: Any, name: str, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= high:
        raise bad_request(f"{name} must be a whole number from 1 to {high}.")
    return value


def table_plan(
    tables: Any = None,
    table_size: Any = None,
    min_size: Any = None,
    max_size: Any = None,
    hosts: Any = (),
    spread: Any = None,
) -> TablePlan:
    """A checked :class:`TablePlan` from a presenter's values; a bad one raises
    ``bad_request`` saying what to change."""
    if (tables is None) == (table_size is None):
        raise bad_request("Give either tables (a count) or table_size (a target size).")
    low = DEFAULT_MIN_SIZE if min_size is None else _whole(min_size, "min_size", MAX_TABLE_SIZE)
    high = MAX_TABLE_SIZE if max_size is None else _whole(max_size, "max_size", MAX_TABLE_SIZE)
    if high < low:
        raise bad_request("max_size must be at least min_size.")
    count = None if tables is None else _whole(tables, "tables", MAX_TABLES)
    size = None if table_size is None else _whole(table_size, "table_size", MAX_TABLE_SIZE)
    if size is not None and not low <= size <= high:
        raise bad_request("table_size must lie between min_size and max_size.")
    if not isinstance(hosts, list | tuple) or not all(isinstance(h, str) and h for h in hosts):
        raise bad_request("hosts must be a list of attendee ids.")
    if len(set(hosts)) != len(hosts):
        raise bad_request("hosts names someone twice: a host keeps one table.")
    if len(hosts) > (count or MAX_TABLES):
        raise bad_request(
            f"{len(hosts)} hosts for {count or MAX_TABLES} tables: one host a table at most."
        )
    chosen = SPREAD if spread is None else spread
    if not isinstance(chosen, list | tuple) or not set(chosen) <= set(SPREAD):
        raise bad_request('spread must list "organisation", "country", both or neither.')
    return TablePlan(count, size, low, high, tuple(hosts), tuple(s for s in SPREAD if s in chosen))


def table_count(plan: TablePlan, present: int, hosted: int = 0) -> int:
    """How many tables seat ``present`` people: the plan's count, or ``present /
    table_size`` rounded, moved to the nearest count whose sizes fit the bounds and
    that keeps the first ``hosted`` tables (up to the last host present)."""
    low = max(1, hosted, -(-present // plan.max_size))
    high = present // plan.min_size
    if low > high:
        hosts = f" and keep {hosted} hosted tables" if hosted > 1 else ""
        raise bad_request(
            f"{present} people present cannot sit at tables of {plan.min_size} to "
            f"{plan.max_size}{hosts}; lower min_size, raise max_size or wait for people."
        )
    size = plan.table_size or 1
    wanted = plan.tables or (2 * present + size) // (2 * size)  # nearest count, halves up
    return min(max(wanted, low), high)


def _key(text: str | None) -> str:
    return " ".join(text.split()).casefold() if text else ""


def _present(people: Iterable[Person]) -> list[Person]:
    ordered = sorted(people, key=lambda p: p.id)  # the same people seat alike in any order
    for before, after in itertools.pairwise(ordered):
        if before.id == after.id:
            raise bad_request(f"{after.id!r} is listed twice among the people present.")
    return ordered


def _indices(values: list[str]) -> list[int]:
    seen: dict[str, int] = {}
    return [seen.setdefault(v, len(seen)) if v else -1 for v in values]


def _history(index: dict[str, int], rounds: Rounds) -> tuple[list[frozenset[int]], list[list[int]]]:
    """Each present person's earlier tables (codes) and, per code, who sat there; only
    tables where at least two of the people present sat."""
    codes: list[set[int]] = [set() for _ in index]
    groups: list[list[int]] = []
    for tables in rounds:
        for table in tables:
            here = sorted({index[m] for m in table if m in index})
            if len(here) > 1:
                for i in here:
                    codes[i].add(len(groups))
                groups.append(here)
    return [frozenset(c) for c in codes], groups


def seat_round(
    people: Iterable[Person], plan: TablePlan, rounds_so_far: Rounds = (), seed: int | str = 0
) -> Tables:
    """The next round's tables for the people present. ``rounds_so_far`` are the earlier
    rounds' tables (member ids; anyone no longer present is ignored). The same people
    (in any order), plan, rounds and seed give the same tables, in any process."""
    present = _present(people)
    index = {p.id: i for i, p in enumerate(present)}
    pinned = {index[h]: k for k, h in enumerate(plan.hosts) if h in index}
    count = table_count(plan, len(present), max(pinned.values(), default=-1) + 1)
    size, extra = divmod(len(present), count)
    history, groups = _history(index, rounds_so_far)
    problem = Problem(
        org=_indices([_key(p.organisation) for p in present]),
        country=_indices([_key(p.country) for p in present]),
        history=history,
        groups=groups,
        pinned=pinned,
        caps=[size + (1 if t < extra else 0) for t in range(count)],
        w_org=W_ORG if "organisation" in plan.spread else 0,
        w_country=W_COUNTRY if "country" in plan.spread else 0,
    )
    table_of = solve(problem, random.Random(f"{seed}:{len(rounds_so_far)}"))
    tables: Tables = [[] for _ in range(count)]
    for host, t in pinned.items():
        tables[t].append(present[host].id)
    for i, t in enumerate(table_of):
        if i not in pinned:
            tables[t].append(present[i].id)
    return tables


def _met_codes(rounds: Rounds) -> dict[str, set[int]]:
    codes: dict[str, set[int]] = {}
    code = 0
    for tables in rounds:
        for table in tables:
            for member in table:
                codes.setdefault(member, set()).add(code)
            code += 1
    return codes


def _pairs(counts: Counter[str]) -> int:
    return sum(n * (n - 1) // 2 for key, n in counts.items() if key)


def round_stats(
    tables: Sequence[Sequence[str]], people: Iterable[Person], rounds_so_far: Rounds = ()
) -> dict[str, int]:
    """The round's figures as ``cafe:round`` acks them: pairs at one table who sat
    together in an earlier round (each pair once), pairs at one table from one
    organisation, the smallest and the largest table."""
    orgs = {p.id: _key(p.organisation) for p in people}
    codes = _met_codes(rounds_so_far)
    repeats = same_org = 0
    for table in tables:
        for i, a in enumerate(table):
            seen = codes.get(a)
            if seen:
                repeats += sum(not seen.isdisjoint(codes.get(b, ())) for b in table[i + 1 :])
        same_org += _pairs(Counter(orgs.get(m, "") for m in table))
    sizes = [len(t) for t in tables] or [0]
    return {
        "repeat_pairs": repeats,
        "same_org_pairs": same_org,
        "min_size": min(sizes),
        "max_size": max(sizes),
    }


def seat_latecomer(
    tables: Sequence[Sequence[str]],
    person: Person,
    people: Iterable[Person],
    plan: TablePlan,
    rounds_so_far: Rounds = (),
) -> int:
    """The table (an index of ``tables``) for someone who arrives while a round runs,
    nobody else moving: their own if seated or a host; else, of the smallest tables (so
    sizes stay within one), the one where they add the fewest repeats, then colleagues,
    then compatriots, the first of equals. If every table is at ``max_size`` already,
    one table goes one over it until the next round."""
    if not tables:
        raise bad_request("No round is running: there is no table to join.")
    for t, table in enumerate(tables):
        if person.id in table:
            return t
    if person.id in plan.hosts and plan.hosts.index(person.id) < len(tables):
        return plan.hosts.index(person.id)
    others = {p.id: p for p in people}
    codes = _met_codes(rounds_so_far)
    met = codes.get(person.id, set())
    smallest = min(len(t) for t in tables)
    org = _key(person.organisation) if "organisation" in plan.spread else ""
    country = _key(person.country) if "country" in plan.spread else ""

    def added(t: int) -> tuple[int, int, int, int]:
        mates = [others.get(m, Person(m)) for m in tables[t]]
        return (
            sum(not met.isdisjoint(codes.get(m.id, ())) for m in mates),
            sum(bool(org) and _key(m.organisation) == org for m in mates),
            sum(bool(country) and _key(m.country) == country for m in mates),
            t,
        )

    return min((t for t, table in enumerate(tables) if len(table) == smallest), key=added)
