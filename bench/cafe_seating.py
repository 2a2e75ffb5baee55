"""World café seating (issue 17): the engine (plenary.activities.cafe.seating) against a
random shuffle, on the same seeded roster, in one run.

The roster is realistic: a quarter of the people in a few organisations of 20 to 40, the
rest in many small ones (1 to 15 people), from 52 countries of very uneven weight
(Zipf), 70% of an organisation's people from its home country. Scenarios:

1. the issue's target: 1,000 people, 104 tables (9 and 10 a table), 4 rounds;
2. the same with 104 table hosts who never move;
3. the same with churn: before each round after the first, 50 people leave and 50
   others arrive (the input is the people present);
4. 10,000 people at tables of 8, 4 rounds;
5. with ``--wide-size 30``: the 1,000 people at tables of 30 (the engine's limits);
6. with ``--stress``: the slowest rounds, where repeats or colleagues cannot all be
   avoided: 10,000 people of whom half are of one organisation, at tables of 8; 10,000
   people at tables of 100.

For each it prints, per round and in total, the engine's and the shuffle's repeated
pairs, colleague pairs, compatriot pairs (with the floor: each country spread evenly),
distinct countries per table and table sizes, and the engine's time. Timings are the
median of ``--repeat`` runs (the tables must be identical in every run: determinism).

    .venv/bin/python -m bench.cafe_seating
    .venv/bin/python -m bench.cafe_seating --people 60 --tables 6 --big-people 0 --repeat 1
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import time
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from plenary.activities.cafe.seating import (
    Person,
    TablePlan,
    Tables,
    round_stats,
    seat_round,
    table_count,
    table_plan,
)

COUNTRIES = 52
TARGET_SECONDS = 2.0


def roster(size: int, seed: int, countries: int = COUNTRIES, first: int = 0) -> list[Person]:
    """``size`` people with ids ``p<first>`` on, seeded."""
    rng = random.Random(f"roster:{seed}:{first}")
    names = [f"Country {k:02d}" for k in range(countries)]
    weights = [1 / (k + 1) for k in range(countries)]
    sizes: list[int] = []
    while sum(sizes) < size * 0.25:
        sizes.append(rng.randint(20, 40))
    while sum(sizes) < size:
        sizes.append(rng.choice((1, 1, 1, 2, 2, 2, 3, 3, 4, 5, 6, 8, 10, 12, 15)))
    sizes[-1] -= sum(sizes) - size
    people = []
    for org, members in enumerate(sizes):
        home = rng.choices(names, weights)[0]
        for _ in range(members):
            country = home if rng.random() < 0.7 else rng.choices(names, weights)[0]
            number = first + len(people)
            people.append(Person(f"p{number:05d}", f"Org {first}-{org}", country))
    return people


def shuffle(people: Sequence[Person], count: int, rng: random.Random) -> Tables:
    """A video platform's random breakout: shuffle, deal into ``count`` tables."""
    ids = [p.id for p in people]
    rng.shuffle(ids)
    return [ids[t::count] for t in range(count)]


def country_floor(people: Sequence[Person], count: int) -> int:
    """The fewest compatriot pairs at ``count`` tables: each country spread evenly."""
    floor = 0
    for members in Counter(p.country for p in people).values():
        each, more = divmod(members, count)
        floor += more * (each + 1) * each // 2 + (count - more) * each * (each - 1) // 2
    return floor


def figures(tables: Tables, people: Sequence[Person], before: list[Tables]) -> dict[str, Any]:
    country = {p.id: p.country for p in people}
    counts = [Counter(country[m] for m in table) for table in tables]
    return {
        **round_stats(tables, people, before),
        "same_country_pairs": sum(n * (n - 1) // 2 for c in counts for n in c.values()),
        "country_floor": country_floor(people, len(tables)),
        "countries_per_table": round(statistics.mean(len(c) for c in counts), 2),
    }


def attendance(people: list[Person], rounds: int, seed: int, churn: int) -> list[list[Person]]:
    """Who is present at each round: before each round after the first, ``churn`` people
    leave and as many new ones arrive."""
    present = [people]
    for round_no in range(1, rounds if churn else 0):
        rng = random.Random(f"churn:{seed}:{round_no}")
        staying = rng.sample(present[-1], len(people) - churn)
        present.append(staying + roster(churn, seed, first=100_000 * round_no))
    return present if churn else present * rounds


def run_engine(
    attending: list[list[Person]], plan: TablePlan, seed: int
) -> tuple[list[dict[str, Any]], list[Tables]]:
    done: list[Tables] = []
    rows = []
    for present in attending:
        started = time.perf_counter()
        tables = seat_round(present, plan, done, seed=seed)
        seconds = time.perf_counter() - started
        rows.append({**figures(tables, present, done), "seconds": seconds})
        done.append(tables)
    return rows, done


def run_shuffle(attending: list[list[Person]], count: int, seed: int) -> list[dict[str, Any]]:
    rng = random.Random(f"shuffle:{seed}")
    done: list[Tables] = []
    rows = []
    for present in attending:
        tables = shuffle(present, count, rng)
        rows.append(figures(tables, present, done))
        done.append(tables)
    return rows


def scenario(
    name: str,
    people: list[Person],
    plan: TablePlan,
    rounds: int,
    seed: int,
    repeat: int,
    churned: int = 0,
) -> dict[str, Any]:
    attending = attendance(people, rounds, seed, churned)
    runs = [run_engine(attending, plan, seed) for _ in range(repeat)]
    deterministic = all(tables == runs[0][1] for _, tables in runs)
    engine = runs[0][0]
    totals = [sum(row["seconds"] for row in rows) for rows, _ in runs]
    for number, row in enumerate(engine):
        row["seconds"] = statistics.median(rows[number]["seconds"] for rows, _ in runs)
    count = table_count(plan, len(people))
    return {
        "name": name,
        "people": len(people),
        "tables": count,
        "rounds": rounds,
        "hosts": len(plan.hosts),
        "churn": churned,
        "deterministic": deterministic,
        "seconds": statistics.median(totals),
        "engine": engine,
        "shuffle": run_shuffle(attending, count, seed),
    }


def _row(label: str, ours: dict[str, Any], theirs: dict[str, Any], seconds: float) -> str:
    cells = [
        label,
        f"{ours['repeat_pairs']} / {theirs['repeat_pairs']}",
        f"{ours['same_org_pairs']} / {theirs['same_org_pairs']}",
        f"{ours['same_country_pairs']} / {theirs['same_country_pairs']} / {ours['country_floor']}",
        f"{ours['countries_per_table']} / {theirs['countries_per_table']}",
        f"{ours['min_size']}-{ours['max_size']}",
        f"{seconds:.3f}",
    ]
    return "| " + " | ".join(cells) + " |"


def render(result: dict[str, Any]) -> str:
    """A markdown table: engine / shuffle in each cell (compatriots: / floor too)."""
    extra = f", {result['hosts']} hosts" if result["hosts"] else ""
    if result["churn"]:
        extra += f", {result['churn']} leave and {result['churn']} arrive before each round"
    lines = [
        f"{result['name']}: {result['people']:,} people, {result['tables']:,} tables, "
        f"{result['rounds']} rounds{extra}; identical tables in every run: "
        + ("yes" if result["deterministic"] else "NO"),
        "",
        "| round | repeated pairs | colleague pairs | compatriot pairs (floor) "
        "| countries a table | sizes | seconds |",
        "|---|---|---|---|---|---|---|",
    ]
    for number, (ours, theirs) in enumerate(
        zip(result["engine"], result["shuffle"], strict=True), 1
    ):
        lines.append(_row(str(number), ours, theirs, ours["seconds"]))
    total: dict[str, dict[str, Any]] = {}
    for side in ("engine", "shuffle"):
        rows = result[side]
        total[side] = {key: sum(r[key] for r in rows) for key in SUMMED}
        total[side]["countries_per_table"] = round(
            statistics.mean(r["countries_per_table"] for r in rows), 2
        )
        total[side]["min_size"] = min(r["min_size"] for r in rows)
        total[side]["max_size"] = max(r["max_size"] for r in rows)
    lines.append(_row("all", total["engine"], total["shuffle"], result["seconds"]))
    return "\n".join(lines)


SUMMED = ("repeat_pairs", "same_org_pairs", "same_country_pairs", "country_floor")


def verdict(result: dict[str, Any]) -> list[str]:
    rows = result["engine"]
    checks = [
        ("zero repeated pairs", all(r["repeat_pairs"] == 0 for r in rows)),
        ("zero same-organisation pairs", all(r["same_org_pairs"] == 0 for r in rows)),
        ("sizes within one", all(r["max_size"] - r["min_size"] <= 1 for r in rows)),
        (f"all rounds under {TARGET_SECONDS:g} s", result["seconds"] < TARGET_SECONDS),
        ("deterministic", result["deterministic"]),
    ]
    return [f"  {'met' if ok else 'MISSED'}: {label}" for label, ok in checks]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--people", type=int, default=1000)
    parser.add_argument("--tables", type=int, default=104)
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--big-people", type=int, default=10_000, help="0: skip")
    parser.add_argument("--big-size", type=int, default=8)
    parser.add_argument("--churn", type=int, default=50, help="0: skip that scenario")
    parser.add_argument(
        "--wide-size", type=int, default=0, help="also seat --people at tables this size"
    )
    parser.add_argument("--wide-rounds", type=int, default=5)
    parser.add_argument(
        "--stress", action="store_true", help="also the worst cases for time (10,000 people)"
    )
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--json", default="", help="write every figure there")
    args = parser.parse_args(argv)

    people = roster(args.people, args.seed)
    plan = table_plan(tables=args.tables)
    hosts = random.Random(args.seed).sample(
        [p.id for p in people], min(args.tables, len(people) // 2)
    )
    results = [scenario("Target", people, plan, args.rounds, args.seed, args.repeat)]
    hosted = table_plan(tables=args.tables, hosts=hosts)
    results.append(scenario("Hosts", people, hosted, args.rounds, args.seed, args.repeat))
    if args.churn:
        results.append(
            scenario("Churn", people, plan, args.rounds, args.seed, args.repeat, args.churn)
        )
    if args.wide_size:
        wide = table_plan(table_size=args.wide_size)
        results.append(scenario("Wide", people, wide, args.wide_rounds, args.seed, args.repeat))
    if args.big_people:
        big = roster(args.big_people, args.seed)
        big_plan = table_plan(table_size=args.big_size)
        results.append(scenario("Large", big, big_plan, args.rounds, args.seed, args.repeat))

    if args.stress:
        big = roster(10_000, args.seed)
        half = [
            Person(p.id, "One" if n % 2 else p.organisation, p.country) for n, p in enumerate(big)
        ]
        eight = table_plan(table_size=8)
        results.append(scenario("Half one organisation", half, eight, 3, args.seed, 1))
        hundred = table_plan(table_size=100)
        results.append(scenario("Tables of 100", big, hundred, 4, args.seed, 1))

    load = os.getloadavg()[0]
    print(f"World café seating, seed {args.seed}, {os.cpu_count()} cores, load {load:.2f}")
    for result in results:
        print()
        print(render(result))
    print()
    print(f"Targets ({results[0]['people']:,} people, {results[0]['tables']} tables):")
    print("\n".join(verdict(results[0])))
    if args.json:
        Path(args.json).write_text(json.dumps({"load": load, "results": results}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
