"""The search behind :mod:`plenary.activities.cafe.seating`: a greedy placement, then
swaps between tables, restarted while it pays. Integer indices only (people,
organisations, countries, tables), so no decision depends on the order of a set of
strings (Python salts string hashes per process) and a seed gives the same tables in
every process.

A person's cost at a table is the sum of a pair cost over the table's other members:
``W_REPEAT`` for each earlier round the two sat together in, plus ``w_org`` if they share
an organisation, plus ``w_country`` if they share a country. The weights make the order
strict for every decision taken here (one placement, one swap): with tables of at most
``MAX_TABLE_SIZE`` a swap changes at most 400 colleague or compatriot pairs, far below
the next weight up, and a table's compatriot pairs stay below ``W_ORG``.

Who met whom is kept as each person's earlier tables (``history``: a code per round and
table), not as pairs: memory grows with people x rounds, not with table size too.

Work is counted in rough units (a dictionary look-up is one, a cost evaluated 12, a
swap weighed 30; about 0.1 us each on the reference machine) and bounded per person, so
a round where repeats or colleagues cannot be avoided still ends in time linear in the
number of people (docs/cafe.md has the figures).
"""

from __future__ import annotations

import random
from collections import Counter, deque
from dataclasses import dataclass

W_REPEAT = 1 << 40
W_ORG = 1 << 20
W_COUNTRY = 1
HARD = W_ORG // 2  # a cost or a swap delta past HARD involves a repeat or a colleague pair
GREEDY_SCAN = 24  # tables tried per person once one free of repeats and colleagues is seen
GREEDY_MAX = 64  # tables tried per person, at most
REPAIR_TABLES = 64  # tables tried per swap sought
COUNTRY_TABLES = 12  # tables tried per person when spreading countries
WORK_PER_PERSON = 600  # placing and repairing, over every attempt
MIN_WORK = 300_000  # small rooms get a few more attempts (about 20 ms in all)
MAX_ATTEMPTS = 40
COUNTRY_WORK = 200  # spreading countries, per person
COST_UNITS, SWAP_UNITS, TRY_UNITS = 12, 30, 3
MAX_TABLE_SIZE = 100


@dataclass(frozen=True)
class Problem:
    """One round to seat. ``org`` and ``country`` are -1 for "not given" (never a match);
    ``history[x]`` are the codes of x's earlier tables and ``groups[code]`` who sat there
    (two people met if their histories intersect); ``pinned`` maps a host to its table;
    ``caps`` are the table sizes, summing to the number of people."""

    org: list[int]
    country: list[int]
    history: list[frozenset[int]]
    groups: list[list[int]]
    pinned: dict[int, int]
    caps: list[int]
    w_org: int = W_ORG
    w_country: int = W_COUNTRY


class _State:
    def __init__(self, problem: Problem) -> None:
        self.p = problem
        tables = len(problem.caps)
        self.table_of = [-1] * len(problem.org)
        self.members: list[list[int]] = [[] for _ in range(tables)]
        self.orgs: list[dict[int, int]] = [{} for _ in range(tables)]
        self.countries: list[dict[int, int]] = [{} for _ in range(tables)]
        self.codes: list[dict[int, int]] = [{} for _ in range(tables)]  # earlier tables
        for host, table in sorted(problem.pinned.items()):
            self.place(host, table)

    def place(self, x: int, t: int) -> None:
        self.table_of[x] = t
        self.members[t].append(x)
        codes = self.codes[t]
        for code in self.p.history[x]:
            codes[code] = codes.get(code, 0) + 1
        o, c = self.p.org[x], self.p.country[x]
        if o >= 0:
            self.orgs[t][o] = self.orgs[t].get(o, 0) + 1
        if c >= 0:
            self.countries[t][c] = self.countries[t].get(c, 0) + 1

    def swap(self, x: int, y: int) -> None:
        tx, ty = self.table_of[x], self.table_of[y]
        for person, old, new in ((x, tx, ty), (y, ty, tx)):
            self.members[old].remove(person)
            for code in self.p.history[person]:
                self.codes[old][code] -= 1
            o, c = self.p.org[person], self.p.country[person]
            if o >= 0:
                self.orgs[old][o] -= 1
            if c >= 0:
                self.countries[old][c] -= 1
            self.place(person, new)

    def cost(self, x: int, t: int) -> int:
        """x's cost at table t, against everyone there but x."""
        p = self.p
        own = 1 if self.table_of[x] == t else 0
        repeats = 0
        seen = p.history[x]
        if seen:
            codes = self.codes[t]
            for code in seen:
                repeats += codes.get(code, 0)
            repeats -= own * len(seen)
        total = repeats * W_REPEAT
        o, c = p.org[x], p.country[x]
        if o >= 0:
            total += p.w_org * (self.orgs[t].get(o, 0) - own)
        if c >= 0:
            total += p.w_country * (self.countries[t].get(c, 0) - own)
        return total

    def pair(self, x: int, y: int) -> int:
        p = self.p
        total = W_REPEAT * len(p.history[x] & p.history[y])
        if p.org[x] >= 0 and p.org[x] == p.org[y]:
            total += p.w_org
        if p.country[x] >= 0 and p.country[x] == p.country[y]:
            total += p.w_country
        return total

    def swap_delta(self, x: int, cost_x: int, cost_x_there: int, y: int) -> int:
        """Change of the total cost if x (cost ``cost_x`` at its table, ``cost_x_there``
        at y's table) and y trade places."""
        tx, ty = self.table_of[x], self.table_of[y]
        both = self.pair(x, y)
        return cost_x_there - both + self.cost(y, tx) - both - cost_x - self.cost(y, ty)

    def hard_cost(self) -> int:
        """Twice the weighted repeats and colleague pairs (each pair counted from both
        sides); zero means none at all."""
        total = 0
        for x, t in enumerate(self.table_of):
            cost = self.cost(x, t)
            total += cost - cost % W_ORG
        return total


def _most_saved(cost: int, rounds: int, w_org: int, w_country: int) -> int:
    """The most x's cost at another table can drop when one person leaves there (x has
    ``rounds`` earlier tables, so shares at most that many with anyone)."""
    saved = W_REPEAT * min(cost // W_REPEAT, rounds)
    if cost % W_REPEAT >= W_ORG:
        saved += w_org
    if cost % W_ORG:
        saved += w_country
    return saved


def solve(problem: Problem, rng: random.Random) -> list[int]:
    """Each person's table: hosts at theirs, everyone else placed greedily (the most
    constrained first), then swaps that remove repeats and colleague pairs; restarted
    from another random order while repeats or colleague pairs remain and work is left;
    then, on the best attempt, swaps that spread countries."""
    movable = [x for x in range(len(problem.org)) if x not in problem.pinned]
    work = max(MIN_WORK, WORK_PER_PERSON * len(movable))
    floor = 2 * problem.w_org * _colleague_floor(problem)
    best: _State | None = None
    best_cost = 0
    for _ in range(MAX_ATTEMPTS):
        state = _State(problem)
        work -= _greedy(state, rng)
        cost = state.hard_cost()
        if cost > floor:
            work = _repair(state, movable, rng, work)
            cost = state.hard_cost()
        if best is None or cost < best_cost:
            best, best_cost = state, cost
        if best_cost <= floor or work <= 0:
            break
    assert best is not None
    if problem.w_country:
        _spread_countries(best, movable, rng, COUNTRY_WORK * len(movable))
    return best.table_of


def _colleague_floor(problem: Problem) -> int:
    """The fewest colleague pairs any seating has: each organisation spread evenly."""
    tables = len(problem.caps)
    floor = 0
    for members in Counter(o for o in problem.org if o >= 0).values():
        each, more = divmod(members, tables)
        floor += more * (each + 1) * each // 2 + (tables - more) * each * (each - 1) // 2
    return floor


def _greedy(state: _State, rng: random.Random) -> int:
    """Seat everyone not seated, the people of the largest organisations and those who
    met the most people first, each at the cheapest of the tables tried. Returns the work."""
    p, work = state.p, 0
    sizes = Counter(o for o in p.org if o >= 0)
    order = [x for x in range(len(p.org)) if x not in p.pinned]
    rng.shuffle(order)  # ties below are broken at random, then kept by the stable sort
    met_count = [sum(len(p.groups[code]) for code in codes) for codes in p.history]
    order.sort(key=lambda x: (-sizes.get(p.org[x], 0), -met_count[x]))
    room = [cap - len(members) for cap, members in zip(p.caps, state.members, strict=True)]
    open_tables = [t for t, free in enumerate(room) if free > 0]
    for x in order:
        repeats: dict[int, int] = {}
        for code in p.history[x]:
            for j in p.groups[code]:
                t = state.table_of[j]
                if t >= 0:
                    repeats[t] = repeats.get(t, 0) + 1
        o, c = p.org[x], p.country[x]
        count = len(open_tables)
        start = rng.randrange(count)
        best, best_cost, tried = -1, -1, 0
        for tried in range(min(count, GREEDY_MAX)):
            t = open_tables[(start + tried) % count]
            cost = repeats.get(t, 0) * W_REPEAT
            if o >= 0:
                cost += p.w_org * state.orgs[t].get(o, 0)
            if c >= 0:
                cost += p.w_country * state.countries[t].get(c, 0)
            if best < 0 or cost < best_cost:
                best, best_cost = t, cost
                if cost == 0:
                    break
            if tried >= GREEDY_SCAN and best_cost < HARD:
                break
        work += COST_UNITS + met_count[x] + 4 * tried
        state.place(x, best)
        room[best] -= 1
        if room[best] == 0:
            open_tables.remove(best)
    return work


def _repair(state: _State, movable: list[int], rng: random.Random, work: int) -> int:
    """Swap people who sit with someone they met or a colleague: for each, the best swap
    at the first table (of some, in random order) where one removes a repeat or a
    colleague pair. Someone stuck is retried after others moved; it ends when all are
    stuck at once. Returns the work left."""
    p, tables = state.p, len(state.members)
    table_of, pinned = state.table_of, p.pinned
    current = [state.cost(x, t) for x, t in enumerate(table_of)]  # kept up to date
    queue = deque(x for x in movable if current[x] >= HARD)
    work -= len(current) * COST_UNITS
    stuck = 0
    while queue and work > 0 and stuck <= len(queue):
        x = queue.popleft()
        here, cost_x = table_of[x], current[x]
        if cost_x < HARD:
            continue
        moved = -1
        work -= min(tables, REPAIR_TABLES) * TRY_UNITS
        for there in rng.sample(range(tables), min(tables, REPAIR_TABLES)):
            if there == here or work <= 0:
                continue
            cost_there = state.cost(x, there)
            work -= COST_UNITS + len(p.history[x])
            most = _most_saved(cost_there, len(p.history[x]), p.w_org, p.w_country)
            if cost_there - most >= cost_x:
                continue  # x would sit with no fewer than now, whoever it replaces
            best_delta = -HARD
            for y in state.members[there]:
                if y in pinned:
                    continue
                both = state.pair(x, y)
                gain_x = cost_x - cost_there + both
                if gain_x < HARD and current[y] < HARD:
                    continue  # neither x nor y would shed a repeat or a colleague
                work -= SWAP_UNITS + len(p.history[y])
                delta = state.cost(y, here) - both - current[y] - gain_x
                if delta < best_delta:
                    moved, best_delta = y, delta
            if moved >= 0:
                break
        if moved < 0:
            queue.append(x)
            stuck += 1
            continue
        stuck = 0
        there = table_of[moved]
        state.swap(x, moved)
        for z in state.members[here] + state.members[there]:
            current[z] = state.cost(z, table_of[z])
        work -= (len(state.members[here]) + len(state.members[there])) * COST_UNITS
        queue.extend(z for z in (x, moved) if current[z] >= HARD)
    return work


def _spread_countries(state: _State, movable: list[int], rng: random.Random, work: int) -> None:
    """Move people away from compatriots, to a table with fewer of them, when someone
    there can take their seat at no cost in repeats or colleagues; pass after pass while
    that helps and work is left."""
    p, tables = state.p, len(state.members)
    order = list(movable)
    moved = True
    while moved and work > 0:
        moved = False
        rng.shuffle(order)
        for x in order:
            here, c = state.table_of[x], p.country[x]
            if c < 0 or work <= 0:
                continue
            crowd = state.countries[here][c]
            if crowd < 2:
                continue
            cost_x = state.cost(x, here)
            work -= COUNTRY_TABLES * TRY_UNITS
            for _ in range(COUNTRY_TABLES):
                there = rng.randrange(tables)
                if there == here or state.countries[there].get(c, 0) >= crowd - 1:
                    continue
                cost_there = state.cost(x, there)
                work -= COST_UNITS + len(p.history[x])
                if cost_there >= cost_x:
                    continue
                found = -1
                for y in state.members[there]:
                    if y in p.pinned:
                        continue
                    work -= SWAP_UNITS + 2 * len(p.history[y])
                    if state.swap_delta(x, cost_x, cost_there, y) < 0:
                        found = y
                        break
                if found >= 0:
                    state.swap(x, found)
                    moved = True
                    break
