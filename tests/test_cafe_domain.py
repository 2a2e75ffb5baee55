"""The world café seating engine (issue 17): the plan's checks, the table count, exact
seatings where the rules leave one answer, the hard rules and the quality as properties
over random rooms, determinism across processes, late arrivals and leavers, the round's
stats, and a smoke run of the benchmark (bench/cafe_seating.py)."""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from bench import cafe_seating
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from plenary.activities.cafe.seating import (
    Person,
    TablePlan,
    round_stats,
    seat_latecomer,
    seat_round,
    table_count,
    table_plan,
)
from plenary.errors import ErrorCode, PlenaryError

ROOT = Path(__file__).resolve().parents[1]


def message(fn: Any, *args: Any, **kwargs: Any) -> str:
    with pytest.raises(PlenaryError) as info:
        fn(*args, **kwargs)
    assert info.value.code is ErrorCode.BAD_REQUEST
    return info.value.message


def pairs(tables: list[list[str]]) -> set[frozenset[str]]:
    return {frozenset((a, b)) for t in tables for i, a in enumerate(t) for b in t[i + 1 :]}


class TestPlan:
    def test_defaults(self) -> None:
        plan = table_plan(tables=104)
        assert plan == TablePlan(104, None, 2, 100, (), ("organisation", "country"))
        assert table_plan(table_size=8, spread=["country"]).spread == ("country",)
        assert table_plan(table_size=8, spread=[]).spread == ()

    @pytest.mark.parametrize(
        ("kwargs", "says"),
        [
            ({}, "Give either tables (a count) or table_size"),
            ({"tables": 10, "table_size": 8}, "Give either tables"),
            ({"tables": 0}, "tables must be a whole number from 1 to 10000."),
            ({"tables": True}, "tables must be a whole number"),
            ({"tables": "10"}, "tables must be a whole number"),
            ({"table_size": 101}, "table_size must be a whole number from 1 to 100."),
            ({"tables": 5, "min_size": 0}, "min_size must be a whole number"),
            ({"tables": 5, "min_size": 6, "max_size": 5}, "max_size must be at least min_size."),
            ({"table_size": 8, "max_size": 6}, "table_size must lie between min_size and"),
            ({"tables": 2, "hosts": ["a", "b", "c"]}, "3 hosts for 2 tables"),
            ({"tables": 2, "hosts": ["a", "a"]}, "hosts names someone twice"),
            ({"tables": 2, "hosts": "ab"}, "hosts must be a list of attendee ids."),
            ({"tables": 2, "hosts": [""]}, "hosts must be a list of attendee ids."),
            ({"tables": 2, "spread": ["age"]}, 'spread must list "organisation", "country"'),
        ],
    )
    def test_bad_values_say_what_to_change(self, kwargs: dict[str, Any], says: str) -> None:
        assert message(table_plan, **kwargs).startswith(says)


class TestTableCount:
    def test_count_and_target_size(self) -> None:
        assert table_count(table_plan(tables=104), 1000) == 104
        assert table_count(table_plan(table_size=8), 10_000) == 1250
        assert table_count(table_plan(table_size=9), 1000) == 111  # 9.009 a table
        assert table_count(table_plan(table_size=4), 10) == 3  # 2.5 rounds half up

    def test_moved_into_the_bounds(self) -> None:
        assert table_count(table_plan(tables=104), 150) == 75  # tables of 2, not 1
        assert table_count(table_plan(tables=10, max_size=50), 1000) == 20
        assert table_count(table_plan(tables=1), 1000) == 10  # tables of 100 at most
        assert table_count(table_plan(tables=3), 2) == 1

    def test_keeps_hosted_tables(self) -> None:
        plan = table_plan(table_size=10, hosts=[f"h{i}" for i in range(8)])
        assert table_count(plan, 60, hosted=8) == 8

    def test_no_count_fits(self) -> None:
        says = message(table_count, table_plan(tables=2, min_size=3, max_size=4), 5)
        assert says == (
            "5 people present cannot sit at tables of 3 to 4; lower min_size, raise "
            "max_size or wait for people."
        )
        assert "cannot sit" in message(table_count, table_plan(tables=2), 1)
        assert "keep 8 hosted tables" in message(table_count, table_plan(tables=8), 12, 8)


FOUR = (
    Person("a1", "A", "FR"),
    Person("a2", "A", "DE"),
    Person("b1", "B", "FR"),
    Person("b2", "B", "DE"),
)


class TestExactSeatings:
    PEOPLE = FOUR

    def test_hosts_colleagues_countries_then_no_repeat(self) -> None:
        plan = table_plan(tables=2, hosts=["a1", "a2"])
        first = seat_round(self.PEOPLE, plan, seed=1)
        assert first == [["a1", "b2"], ["a2", "b1"]]  # no colleagues, no compatriots
        second = seat_round(self.PEOPLE, plan, [first], seed=1)
        assert second == [["a1", "b1"], ["a2", "b2"]]  # compatriots rather than a repeat
        assert round_stats(second, self.PEOPLE, [first]) == {
            "repeat_pairs": 0,
            "same_org_pairs": 0,
            "min_size": 2,
            "max_size": 2,
        }

    def test_third_round_cannot_avoid_repeats_and_says_so(self) -> None:
        plan = table_plan(tables=2, hosts=["a1", "a2"])
        rounds = [[["a1", "b2"], ["a2", "b1"]], [["a1", "b1"], ["a2", "b2"]]]
        third = seat_round(self.PEOPLE, plan, rounds, seed=1)
        stats = round_stats(third, self.PEOPLE, rounds)
        assert stats["repeat_pairs"] == 2 and stats["same_org_pairs"] == 0

    def test_spread_can_leave_organisations_together(self) -> None:
        people = [Person(p.id, p.organisation, None) for p in self.PEOPLE]
        plan = table_plan(tables=2, hosts=["a1", "b1"], spread=[])
        rounds = [[["a1", "b2"], ["b1", "a2"]]]
        assert seat_round(people, plan, rounds) == [["a1", "a2"], ["b1", "b2"]]

    def test_organisations_and_countries_compare_loosely(self) -> None:
        people = [
            Person("x", " ACME  Corp", "fr"),
            Person("y", "acme corp", "FR "),
            Person("z", "Other", ""),
            Person("w", None, None),
        ]
        tables = seat_round(people, table_plan(tables=2))
        assert {frozenset(t) for t in tables} != {frozenset("xy"), frozenset("zw")}
        assert round_stats([["x", "y"], ["z", "w"]], people)["same_org_pairs"] == 1

    def test_the_issue_sizes(self) -> None:
        people = cafe_seating.roster(1000, seed=1)
        tables = seat_round(people, table_plan(tables=104), seed=1)
        assert Counter(len(t) for t in tables) == {10: 64, 9: 40}


class TestQuality:
    def test_issue_target_four_rounds_without_repeats_or_colleagues(self) -> None:
        people = cafe_seating.roster(1000, seed=1)
        plan = table_plan(tables=104)
        rounds: list[list[list[str]]] = []
        for _ in range(4):
            tables = seat_round(people, plan, rounds, seed=1)
            assert round_stats(tables, people, rounds) == {
                "repeat_pairs": 0,
                "same_org_pairs": 0,
                "min_size": 9,
                "max_size": 10,
            }
            rounds.append(tables)

    def test_countries_spread_to_within_two_pairs_of_the_floor(self) -> None:
        people = cafe_seating.roster(1000, seed=2)
        tables = seat_round(people, table_plan(tables=104), seed=2)
        figures = cafe_seating.figures(tables, people, [])
        assert figures["same_country_pairs"] <= figures["country_floor"] + 2

    def test_hosts_keep_their_tables_and_meet_new_guests(self) -> None:
        people = cafe_seating.roster(300, seed=3)
        hosts = [p.id for p in people[::10]]  # 30 hosts, some colleagues of each other
        plan = table_plan(tables=30, hosts=hosts)
        rounds: list[list[list[str]]] = []
        for _ in range(4):
            tables = seat_round(people, plan, rounds, seed=3)
            assert [t[0] for t in tables] == hosts
            assert round_stats(tables, people, rounds)["repeat_pairs"] == 0
            rounds.append(tables)

    def test_people_arrive_and_leave_between_rounds(self) -> None:
        everyone = cafe_seating.roster(400, seed=4)
        plan = table_plan(table_size=8)
        rng = random.Random(4)
        rounds: list[list[list[str]]] = []
        present = everyone[:300]
        for _ in range(4):
            tables = seat_round(present, plan, rounds, seed=4)
            assert sorted(m for t in tables for m in t) == sorted(p.id for p in present)
            assert round_stats(tables, everyone, rounds)["repeat_pairs"] == 0
            rounds.append(tables)
            absent = [p for p in everyone if p not in present]
            present = rng.sample(present, 270) + rng.sample(absent, 30)


def check_round(
    tables: list[list[str]], present: list[Person], plan: TablePlan, rounds: list[Any]
) -> None:
    """The hard rules, whatever the input."""
    seated = [m for t in tables for m in t]
    assert sorted(seated) == sorted(p.id for p in present)  # everyone, once
    here = {p.id for p in present}
    hosted = [k for k, h in enumerate(plan.hosts) if h in here]
    assert len(tables) == table_count(plan, len(present), max(hosted, default=-1) + 1)
    sizes = [len(t) for t in tables]
    assert max(sizes) - min(sizes) <= 1
    assert plan.min_size <= min(sizes) and max(sizes) <= plan.max_size
    for k in hosted:
        assert tables[k][0] == plan.hosts[k]


@st.composite
def rooms(draw: st.DrawFn) -> tuple[list[Person], TablePlan, int, int]:
    size = draw(st.integers(2, 120))
    orgs = draw(st.integers(1, 30))
    people = [
        Person(
            f"p{i}",
            draw(st.sampled_from([None, *[f"org {k}" for k in range(orgs)]])),
            draw(st.sampled_from([None, "FR", "DE", "NG", "BR", "IN"])),
        )
        for i in range(size)
    ]
    low = draw(st.integers(1, 4))
    high = draw(st.integers(low + 1, 12))
    hosts = draw(st.lists(st.sampled_from([p.id for p in people]), unique=True, max_size=4))
    bounds = {"min_size": low, "max_size": high, "hosts": hosts}
    if draw(st.booleans()):
        plan = table_plan(tables=draw(st.integers(max(1, len(hosts)), 40)), **bounds)
    else:
        plan = table_plan(table_size=draw(st.integers(low, high)), **bounds)
    return people, plan, draw(st.integers(1, 4)), draw(st.integers(0, 2**32))


class TestProperties:
    @settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(rooms(), st.data())
    def test_hard_rules_every_round(
        self, room: tuple[list[Person], TablePlan, int, int], data: st.DataObject
    ) -> None:
        people, plan, count, seed = room
        rounds: list[list[list[str]]] = []
        for _ in range(count):
            present = data.draw(st.lists(st.sampled_from(people), unique=True, min_size=2))
            try:
                tables = seat_round(present, plan, rounds, seed=seed)
            except PlenaryError as error:  # only when no table count fits the bounds
                here = {p.id for p in present}
                hosted = max((k for k, h in enumerate(plan.hosts) if h in here), default=-1)
                low = max(1, hosted + 1, -(-len(present) // plan.max_size))
                assert low > len(present) // plan.min_size, error.message
                continue
            check_round(tables, present, plan, rounds)
            assert seat_round(list(reversed(present)), plan, rounds, seed=seed) == tables
            rounds.append(tables)

    @settings(max_examples=60, deadline=None)
    @given(
        st.integers(3, 6),
        st.integers(1, 3),
        st.integers(1, 3),
        st.integers(0, 30),
        st.integers(0, 2**32),
    )
    def test_no_repeats_nor_colleagues_where_tables_are_plenty(
        self, table_size: int, earlier: int, org_size: int, more: int, seed: int
    ) -> None:
        """With at least twice as many tables as people anyone must avoid (everyone they
        met, their colleagues), every round is free of repeats and colleague pairs."""
        tables_count = 2 * (earlier * table_size + org_size) + more
        size = tables_count * table_size + more % table_size
        people = [Person(f"p{i}", f"org {i // org_size}") for i in range(size)]
        plan = table_plan(tables=tables_count)
        rounds: list[list[list[str]]] = []
        for _ in range(earlier + 1):
            tables = seat_round(people, plan, rounds, seed=seed)
            stats = round_stats(tables, people, rounds)
            assert (stats["repeat_pairs"], stats["same_org_pairs"]) == (0, 0)
            rounds.append(tables)


class TestDeterminism:
    SCRIPT = (
        "import json, sys\n"
        "from bench.cafe_seating import roster\n"
        "from plenary.activities.cafe.seating import seat_round, table_plan\n"
        "people = roster(300, seed=5)\n"
        "plan = table_plan(tables=31, hosts=[people[0].id, people[7].id])\n"
        "rounds = []\n"
        "for _ in range(3):\n"
        "    rounds.append(seat_round(people, plan, rounds, seed='café'))\n"
        "print(json.dumps(rounds))\n"
    )

    def run(self, hash_seed: str) -> Any:
        env = {**os.environ, "PYTHONHASHSEED": hash_seed, "PYTHONPATH": str(ROOT)}
        out = subprocess.run(
            [sys.executable, "-c", self.SCRIPT],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        )
        return json.loads(out.stdout)

    def test_same_tables_in_processes_with_different_string_hashes(self) -> None:
        first = self.run("1")
        assert first == self.run("2")
        assert len(first) == 3 and all(len(r) == 31 for r in first)

    def test_seed_and_round_change_the_tables(self) -> None:
        people = cafe_seating.roster(100, seed=6)
        plan = table_plan(tables=10)
        one = seat_round(people, plan, seed=1)
        assert one == seat_round(people, plan, seed=1)
        assert one != seat_round(people, plan, seed=2)


class TestStats:
    def test_counts_each_pair_once(self) -> None:
        people = [Person("a", "X"), Person("b", "X"), Person("c", "Y"), Person("d")]
        rounds = [[["a", "b"], ["c", "d"]], [["a", "b", "c"], ["d"]]]
        stats = round_stats([["a", "b", "d"], ["c"]], people, rounds)
        assert stats == {"repeat_pairs": 1, "same_org_pairs": 1, "min_size": 1, "max_size": 3}
        assert round_stats([], people) == {
            "repeat_pairs": 0,
            "same_org_pairs": 0,
            "min_size": 0,
            "max_size": 0,
        }


FIVE = (
    Person("h1", "A", "FR"),
    Person("h2", "B", "DE"),
    Person("h3", "C", "NG"),
    Person("g1", "D", "FR"),
    Person("g2", "E", "DE"),
)


class TestLatecomer:
    PEOPLE = FIVE
    TABLES = (("h1", "g1"), ("h2", "g2"), ("h3",))

    def test_smallest_table_first(self) -> None:
        plan = table_plan(tables=3)
        new = Person("n", "C", "NG")  # a colleague and compatriot of h3, alone at table 3
        assert seat_latecomer(self.TABLES, new, self.PEOPLE, plan) == 2

    def test_fewest_repeats_then_colleagues_then_compatriots(self) -> None:
        tables = [["h1", "g1"], ["h2", "g2"], ["h3", "x"]]
        people = [*FIVE, Person("x", "Z", "BR")]
        plan = table_plan(tables=3)
        met_h1 = [[["n", "h1"]]]
        assert seat_latecomer(tables, Person("n", "E", "FR"), people, plan, met_h1) == 2
        assert seat_latecomer(tables, Person("n", "Z", "FR"), people, plan) == 1
        assert seat_latecomer(tables, Person("n", "Q", "DE"), people, plan) == 0

    def test_seated_people_and_hosts_keep_their_table(self) -> None:
        plan = table_plan(tables=3, hosts=["h1", "h2", "late"])
        assert seat_latecomer(self.TABLES, Person("g2"), self.PEOPLE, plan) == 1
        assert seat_latecomer(self.TABLES, Person("late"), self.PEOPLE, plan) == 2
        assert message(seat_latecomer, [], Person("n"), self.PEOPLE, plan).startswith(
            "No round is running"
        )


def test_benchmark_smoke(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "cafe.json"
    argv = ["--people", "120", "--tables", "12", "--rounds", "3", "--churn", "10"]
    argv += ["--big-people", "200", "--big-size", "8", "--repeat", "2", "--json", str(out)]
    assert cafe_seating.main(argv) == 0
    printed = capsys.readouterr().out
    assert "| round | repeated pairs | colleague pairs |" in printed
    results = json.loads(out.read_text())["results"]
    assert [r["name"] for r in results] == ["Target", "Hosts", "Churn", "Large"]
    for result in results:
        assert result["deterministic"] is True
        assert len(result["engine"]) == len(result["shuffle"]) == 3
        for ours, theirs in zip(result["engine"], result["shuffle"], strict=True):
            assert ours["max_size"] - ours["min_size"] <= 1
            assert ours["repeat_pairs"] <= theirs["repeat_pairs"]
            assert ours["same_country_pairs"] >= ours["country_floor"]
