"""The pure award-ballot rules: choice validation, counting by every method with its tie
rules (hand-worked cases, the Tennessee capital election, Wikipedia's Schulze example),
properties (order of ballots, Condorcet winners, conservation), and the export recount."""

from __future__ import annotations

import copy
import json
from collections.abc import Sequence
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from plenary.activities.ballots import irv
from plenary.activities.ballots.choices import (
    BallotMethod,
    ChoiceReason,
    InvalidChoice,
    validate_choice,
)
from plenary.activities.ballots.counting import CountError, count
from plenary.activities.ballots.recount import recount, recount_ballot
from plenary.errors import ErrorCode

ABC = ["a", "b", "c"]


def reason(method: str, choice: Any, **kwargs: Any) -> tuple[ChoiceReason, ErrorCode]:
    with pytest.raises(InvalidChoice) as info:
        validate_choice(method, ABC, choice, **kwargs)
    return info.value.reason, info.value.code


def times(n: int, choice: Any) -> list[Any]:
    return [copy.deepcopy(choice) for _ in range(n)]


class TestValidation:
    def test_normalised_forms(self) -> None:
        assert validate_choice("plurality", ABC, "b") == "b"
        assert validate_choice("approval", ABC, ["c", "a"]) == ["a", "c"]  # candidate order
        assert validate_choice("irv", ABC, ["c", "a"]) == ["c", "a"]  # best first, partial
        assert validate_choice("score", ABC, {"c": 5, "a": 0}) == {"a": 0, "c": 5}
        assert list(validate_choice("score", ABC, {"c": 5, "a": 0})) == ["a", "c"]

    @pytest.mark.parametrize(
        ("method", "choice", "why", "code"),
        [
            ("plurality", "z", ChoiceReason.UNKNOWN_CANDIDATE, ErrorCode.BAD_CHOICE),
            ("plurality", ["a"], ChoiceReason.WRONG_SHAPE, ErrorCode.BAD_REQUEST),
            ("approval", [], ChoiceReason.EMPTY, ErrorCode.BAD_CHOICE),
            ("approval", ["a", "a"], ChoiceReason.DUPLICATE, ErrorCode.BAD_CHOICE),
            ("approval", "a", ChoiceReason.WRONG_SHAPE, ErrorCode.BAD_REQUEST),
            ("borda", ["a", "b", "a"], ChoiceReason.DUPLICATE, ErrorCode.BAD_CHOICE),
            ("schulze", ["a", 1], ChoiceReason.WRONG_SHAPE, ErrorCode.BAD_REQUEST),
            ("irv", ["a", "zz"], ChoiceReason.UNKNOWN_CANDIDATE, ErrorCode.BAD_CHOICE),
            ("score", {"a": 6}, ChoiceReason.SCORE_OUT_OF_RANGE, ErrorCode.BAD_CHOICE),
            ("score", {"a": -1}, ChoiceReason.SCORE_OUT_OF_RANGE, ErrorCode.BAD_CHOICE),
            ("score", {"a": 2.0}, ChoiceReason.SCORE_OUT_OF_RANGE, ErrorCode.BAD_CHOICE),
            ("score", {"a": True}, ChoiceReason.SCORE_OUT_OF_RANGE, ErrorCode.BAD_CHOICE),
            ("score", {"z": 3}, ChoiceReason.UNKNOWN_CANDIDATE, ErrorCode.BAD_CHOICE),
            ("score", {}, ChoiceReason.EMPTY, ErrorCode.BAD_CHOICE),
            ("score", {1: 3}, ChoiceReason.WRONG_SHAPE, ErrorCode.BAD_REQUEST),
            ("score", ["a"], ChoiceReason.WRONG_SHAPE, ErrorCode.BAD_REQUEST),
        ],
    )
    def test_refusals(self, method: str, choice: Any, why: ChoiceReason, code: ErrorCode) -> None:
        assert reason(method, choice) == (why, code)

    def test_max_choices_and_excluded(self) -> None:
        assert reason("irv", ["a", "b", "c"], max_choices=2)[0] is ChoiceReason.TOO_MANY
        assert validate_choice("approval", ABC, ["a", "b"], max_choices=2) == ["a", "b"]
        assert reason("plurality", "b", excluded={"b"})[0] is ChoiceReason.EXCLUDED_CANDIDATE
        assert reason("borda", ["a", "b"], excluded={"b"})[0] is ChoiceReason.EXCLUDED_CANDIDATE
        assert reason("score", {"b": 1}, excluded={"b"})[0] is ChoiceReason.EXCLUDED_CANDIDATE
        # a 0 is no vote for one's own candidate
        assert validate_choice("score", ABC, {"a": 4, "b": 0}, excluded={"b"}) == {"a": 4, "b": 0}

    def test_messages_are_bounded(self) -> None:
        with pytest.raises(InvalidChoice) as info:
            validate_choice("plurality", ABC, "x" * 10_000)
        assert len(info.value.message) < 120 and "not a candidate" in info.value.message

    def test_count_refuses_bad_input(self) -> None:
        with pytest.raises(InvalidChoice):
            count("irv", ABC, [["a"], ["a", "a"]])
        with pytest.raises(CountError):
            count("condorcet", ABC, [])
        with pytest.raises(CountError):
            count("irv", ["a", "a"], [])
        with pytest.raises(CountError):
            count("irv", [], [])


# The Tennessee capital election (Wikipedia): each voter ranks the cities by distance.
TN = ["memphis", "nashville", "chattanooga", "knoxville"]
TN_BLOCS = [
    (42, ["memphis", "nashville", "chattanooga", "knoxville"]),
    (26, ["nashville", "chattanooga", "knoxville", "memphis"]),
    (15, ["chattanooga", "knoxville", "nashville", "memphis"]),
    (17, ["knoxville", "chattanooga", "nashville", "memphis"]),
]
TN_RANKINGS = [r for n, ranking in TN_BLOCS for r in times(n, ranking)]


class TestTennessee:
    def test_plurality_elects_memphis(self) -> None:
        assert count("plurality", TN, [r[0] for r in TN_RANKINGS]) == {
            "method": "plurality",
            "ballots": 100,
            "winners": ["memphis"],
            "tie": False,
            "totals": {"memphis": 42, "nashville": 26, "chattanooga": 15, "knoxville": 17},
        }

    def test_irv_elects_knoxville(self) -> None:
        result = count("irv", TN, TN_RANKINGS)
        assert result["winners"] == ["knoxville"] and result["tie"] is False
        assert result["rounds"] == [
            {
                "totals": {"memphis": 42, "nashville": 26, "chattanooga": 15, "knoxville": 17},
                "eliminated": ["chattanooga"],
            },
            {
                "totals": {"memphis": 42, "nashville": 26, "knoxville": 32},
                "eliminated": ["nashville"],
            },
            {"totals": {"memphis": 42, "knoxville": 58}, "eliminated": []},
        ]
        assert result["totals"] == {"memphis": 42, "knoxville": 58}

    def test_borda_elects_nashville_with_194(self) -> None:
        result = count("borda", TN, TN_RANKINGS)
        assert result["winners"] == ["nashville"] and result["tie"] is False
        assert result["totals"] == {
            "memphis": 126,
            "nashville": 194,
            "chattanooga": 173,
            "knoxville": 107,
        }

    def test_schulze_elects_nashville(self) -> None:
        result = count("schulze", TN, TN_RANKINGS)
        assert result["winners"] == ["nashville"] and result["tie"] is False
        assert result["pairwise"] == {
            "memphis": {"nashville": 42, "chattanooga": 42, "knoxville": 42},
            "nashville": {"memphis": 58, "chattanooga": 68, "knoxville": 68},
            "chattanooga": {"memphis": 58, "nashville": 32, "knoxville": 83},
            "knoxville": {"memphis": 58, "nashville": 32, "chattanooga": 17},
        }
        assert result["totals"] == {"memphis": 0, "nashville": 3, "chattanooga": 2, "knoxville": 1}
        assert set(result) == {"method", "ballots", "winners", "tie", "totals", "pairwise"}


class TestPluralityAndApproval:
    def test_plurality(self) -> None:
        result = count("plurality", ABC, ["a", "b", "a", "c"])
        assert result["winners"] == ["a"] and result["totals"] == {"a": 2, "b": 1, "c": 1}

    def test_plurality_tie_is_reported(self) -> None:
        result = count("plurality", ABC, ["b", "a", "c", "b", "a"])
        assert (result["winners"], result["tie"]) == (["a", "b"], True)

    def test_no_ballots_no_winner(self) -> None:
        for method in BallotMethod:
            result = count(method, ABC, [])
            assert (result["ballots"], result["winners"], result["tie"]) == (0, [], False)
        assert count("irv", ABC, [])["rounds"] == [
            {"totals": {"a": 0, "b": 0, "c": 0}, "eliminated": []}
        ]

    def test_approval(self) -> None:
        result = count("approval", ABC, [["a", "b"], ["b"], ["c", "b"], ["a"]])
        assert result["winners"] == ["b"] and result["totals"] == {"a": 2, "b": 3, "c": 1}

    def test_approval_tie_is_reported(self) -> None:
        result = count("approval", ABC, [["a", "b"], ["c"], ["c", "a", "b"]])
        assert (result["winners"], result["tie"]) == (["a", "b", "c"], True)


class TestScoreAndBorda:
    def test_score_totals(self) -> None:
        result = count("score", ABC, [{"a": 5, "b": 3}, {"a": 2, "b": 4, "c": 5}, {"c": 0}])
        assert result["totals"] == {"a": 7, "b": 7, "c": 5}
        assert (result["winners"], result["tie"]) == (["a", "b"], True)  # 1-1 head to head

    def test_score_tie_broken_head_to_head(self) -> None:
        result = count("score", ABC, [{"a": 5, "b": 3}, {"a": 1, "b": 4}, {"a": 1, "b": 0}])
        assert result["totals"] == {"a": 7, "b": 7, "c": 0}
        assert (result["winners"], result["tie"]) == (["a"], False)  # a above b on 2 of 3

    def test_score_cycle_stays_tied(self) -> None:
        ballots = [{"a": 3, "b": 2, "c": 1}, {"b": 3, "c": 2, "a": 1}, {"c": 3, "a": 2, "b": 1}]
        result = count("score", ABC, ballots)
        assert result["totals"] == {"a": 6, "b": 6, "c": 6}
        assert (result["winners"], result["tie"]) == (["a", "b", "c"], True)

    def test_borda_partial_rankings(self) -> None:
        # 3 candidates: 2, 1, 0 points; unranked get 0.
        result = count("borda", ABC, [["a", "b", "c"], ["c"], ["b", "a"], ["c", "b"]])
        assert result["totals"] == {"a": 3, "b": 4, "c": 4}
        # b and c tie on 4: c above b on 2 ballots, b above c on 2 ballots: a tie.
        assert (result["winners"], result["tie"]) == (["b", "c"], True)

    def test_borda_tie_broken_head_to_head(self) -> None:
        ballots = [*times(2, ["a", "b", "c"]), ["b", "c", "a"]]
        result = count("borda", ABC, ballots)
        assert result["totals"] == {"a": 4, "b": 4, "c": 1}
        assert (result["winners"], result["tie"]) == (["a"], False)  # a above b 2 to 1

    def test_borda_three_way_tie(self) -> None:
        result = count("borda", ABC, [["a", "b", "c"], ["b", "c", "a"], ["a", "c"], ["c", "b"]])
        assert result["totals"] == {"a": 4, "b": 4, "c": 4}
        assert (result["winners"], result["tie"]) == (["a", "b", "c"], True)


AXYZW = ["a", "x", "y", "z", "w"]


class TestInstantRunoff:
    def test_exhausted_ballots_leave_the_majority_count(self) -> None:
        ballots = [*times(4, ["a"]), *times(3, ["b", "c"]), *times(2, ["c"]), ["d"]]
        result = count("irv", ["a", "b", "c", "d"], ballots)
        assert result["rounds"] == [
            {"totals": {"a": 4, "b": 3, "c": 2, "d": 1}, "eliminated": ["d"]},
            {"totals": {"a": 4, "b": 3, "c": 2}, "eliminated": ["c"]},
            {"totals": {"a": 4, "b": 3}, "eliminated": []},  # 4 of the 7 left: a majority
        ]
        assert (result["winners"], result["tie"], result["ballots"]) == (["a"], False, 10)

    def test_forwards_tie_breaking(self) -> None:
        # Round 3 ties x and y on 6. The earliest round where they differ is round 1
        # (x 5, y 4), so y goes out (issue 18's rule), and a wins 7 to 6 on the 13
        # ballots left. (Backwards tie-breaking would look at round 2 first, x 5, y 6,
        # drop x instead and elect y 12 to 7.)
        ballots = [
            *times(7, ["a"]),
            *times(5, ["x", "y"]),
            *times(4, ["y"]),
            ["z", "x", "y"],
            *times(2, ["z"]),
            *times(2, ["w", "y"]),
        ]
        result = count("irv", AXYZW, ballots)
        assert result["rounds"] == [
            {"totals": {"a": 7, "x": 5, "y": 4, "z": 3, "w": 2}, "eliminated": ["w"]},
            {"totals": {"a": 7, "x": 5, "y": 6, "z": 3}, "eliminated": ["z"]},
            {"totals": {"a": 7, "x": 6, "y": 6}, "eliminated": ["y"]},
            {"totals": {"a": 7, "x": 6}, "eliminated": []},
        ]
        assert (result["winners"], result["tie"], result["ballots"]) == (["a"], False, 21)

    def test_forwards_tie_breaking_narrows_round_by_round(self) -> None:
        # Round 3 ties x, y and z on 4. Round 1 (x 3, y 3, z 4) leaves x and y tied;
        # round 2 (x 3, y 4) separates them: x goes out, and its ballots go to y.
        ballots = [
            *times(10, ["a"]),
            *times(3, ["x", "y"]),
            *times(3, ["y"]),
            *times(4, ["z"]),
            ["p", "y"],
            ["q", "x"],
            ["q"],
        ]
        result = count("irv", ["a", "x", "y", "z", "p", "q"], ballots)
        assert result["rounds"] == [
            {"totals": {"a": 10, "x": 3, "y": 3, "z": 4, "p": 1, "q": 2}, "eliminated": ["p"]},
            {"totals": {"a": 10, "x": 3, "y": 4, "z": 4, "q": 2}, "eliminated": ["q"]},
            {"totals": {"a": 10, "x": 4, "y": 4, "z": 4}, "eliminated": ["x"]},
            {"totals": {"a": 10, "y": 7, "z": 4}, "eliminated": ["z"]},
            {"totals": {"a": 10, "y": 7}, "eliminated": []},
        ]
        assert (result["winners"], result["tie"]) == (["a"], False)

    def test_zero_vote_candidates_go_together_and_a_final_tie_looks_back(self) -> None:
        ballots = [*times(3, ["a"]), *times(2, ["b"]), ["c", "b"]]
        result = count("irv", ["a", "b", "c", "d", "e"], ballots)
        assert result["rounds"] == [
            {"totals": {"a": 3, "b": 2, "c": 1, "d": 0, "e": 0}, "eliminated": ["d", "e"]},
            {"totals": {"a": 3, "b": 2, "c": 1}, "eliminated": ["c"]},
            {"totals": {"a": 3, "b": 3}, "eliminated": ["b"]},  # b had fewer in round 1
            {"totals": {"a": 3}, "eliminated": []},
        ]
        assert (result["winners"], result["tie"]) == (["a"], False)

    def test_unbreakable_tie_that_does_not_matter(self) -> None:
        result = count("irv", ABC, [*times(2, ["a"]), ["b", "a"], ["c", "a"]])
        # b or c out first, a wins either way: the count stops at the tie, no tie reported
        assert result["rounds"] == [{"totals": {"a": 2, "b": 1, "c": 1}, "eliminated": []}]
        assert (result["winners"], result["tie"]) == (["a"], False)

    def test_unbreakable_tie_is_reported_with_the_possible_winners(self) -> None:
        result = count("irv", ABC, [["a", "b"], ["b", "a"], ["c", "a"]])
        # a out: b wins; b out: a wins; c out: a wins. c cannot win.
        assert result["rounds"] == [{"totals": {"a": 1, "b": 1, "c": 1}, "eliminated": []}]
        assert (result["winners"], result["tie"]) == (["a", "b"], True)

    def test_complete_tie(self) -> None:
        result = count("irv", ABC, [["a"], ["b"], ["c"]])
        assert (result["winners"], result["tie"]) == (["a", "b", "c"], True)
        result = count("irv", ["a", "b"], [["a", "b"], ["b", "a"]])
        assert result["rounds"] == [{"totals": {"a": 1, "b": 1}, "eliminated": []}]
        assert (result["winners"], result["tie"]) == (["a", "b"], True)

    def test_branch_budget_falls_back_to_everyone_still_in(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setattr(irv, "BRANCH_BUDGET", 0)
        result = count("irv", ABC, [*times(2, ["a"]), ["b", "a"], ["c", "a"]])
        assert (result["winners"], result["tie"]) == (["a", "b", "c"], True)


# Wikipedia's Schulze example: 45 voters, 5 candidates, ranking E > A > C > B > D.
SCHULZE_BLOCS = [
    (5, "ACBED"),
    (5, "ADECB"),
    (8, "BEDAC"),
    (3, "CABED"),
    (7, "CAEBD"),
    (2, "CBADE"),
    (7, "DCEBA"),
    (8, "EBADC"),
]


class TestSchulze:
    def test_wikipedia_example(self) -> None:
        ballots = [r for n, letters in SCHULZE_BLOCS for r in times(n, list(letters))]
        result = count("schulze", list("ABCDE"), ballots)
        assert (result["winners"], result["tie"], result["ballots"]) == (["E"], False, 45)
        matrix = {
            "A": [20, 26, 30, 22],
            "B": [25, 16, 33, 18],
            "C": [19, 29, 17, 24],
            "D": [15, 12, 28, 14],
            "E": [23, 27, 21, 31],
        }
        assert result["pairwise"] == {
            a: dict(zip([b for b in "ABCDE" if b != a], row, strict=True))
            for a, row in matrix.items()
        }
        # beaten on strongest paths: E > A > C > B > D
        assert result["totals"] == {"A": 3, "B": 1, "C": 2, "D": 0, "E": 4}

    def test_cycle_of_equal_strength_is_a_tie(self) -> None:
        result = count("schulze", ABC, [["a", "b", "c"], ["b", "c", "a"], ["c", "a", "b"]])
        assert (result["winners"], result["tie"]) == (["a", "b", "c"], True)
        assert result["pairwise"] == {
            "a": {"b": 2, "c": 1},
            "b": {"a": 1, "c": 2},
            "c": {"a": 2, "b": 1},
        }

    def test_cycle_broken_by_the_weakest_defeat(self) -> None:
        ballots = [*times(4, ["a", "b", "c"]), *times(3, ["b", "c", "a"]), *times(3, ["c", "a"])]
        result = count("schulze", ABC, ballots)
        # d: a>b 7, b>a 3; b>c 7, c>b 3; c>a 6, a>c 4. Weakest defeat c>a (6) is dropped.
        assert result["pairwise"] == {
            "a": {"b": 7, "c": 4},
            "b": {"a": 3, "c": 7},
            "c": {"a": 6, "b": 3},
        }
        assert (result["winners"], result["tie"]) == (["a"], False)
        assert result["totals"] == {"a": 2, "b": 1, "c": 0}

    def test_equal_winning_votes_then_fewer_votes_against(self) -> None:
        # b>a 3-2, a>c 3-2, c>b 3-1: three defeats of 3 votes each. c>b, with only 1
        # vote against, is the strongest, so c beats b; a and c stay tied.
        ballots = [["a"], ["b", "a"], ["c", "b"], ["c", "b"], ["a", "c"]]
        result = count("schulze", ABC, ballots)
        assert result["pairwise"] == {
            "a": {"b": 2, "c": 3},
            "b": {"a": 3, "c": 1},
            "c": {"a": 2, "b": 3},
        }
        assert (result["winners"], result["tie"]) == (["a", "c"], True)
        assert result["totals"] == {"a": 0, "b": 0, "c": 1}


# -- properties ---------------------------------------------------------------------

IDS = [f"c{i}" for i in range(6)]


@st.composite
def elections(draw: st.DrawFn, method: str) -> tuple[list[str], list[Any]]:
    candidates = IDS[: draw(st.integers(1, 5))]
    one: st.SearchStrategy[Any]
    if method == "plurality":
        one = st.sampled_from(candidates)
    elif method == "score":
        one = st.dictionaries(st.sampled_from(candidates), st.integers(0, 5), min_size=1)
    elif method == "approval":
        one = st.sets(st.sampled_from(candidates), min_size=1).map(sorted)
    else:
        one = st.permutations(candidates).flatmap(
            lambda p: st.integers(1, len(p)).map(lambda k: list(p[:k]))
        )
    return candidates, draw(st.lists(one, max_size=25))


def above(ranking: Sequence[str], a: str, b: str) -> bool:
    return a in ranking and (b not in ranking or ranking.index(a) < ranking.index(b))


PROPERTY = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@PROPERTY
@given(method=st.sampled_from(list(BallotMethod)), data=st.data())
def test_ballot_order_does_not_matter(method: BallotMethod, data: st.DataObject) -> None:
    candidates, ballots = data.draw(elections(method))
    shuffled = data.draw(st.permutations(ballots))
    first = count(method, candidates, ballots)
    assert count(method, candidates, shuffled) == first
    assert first["tie"] == (len(first["winners"]) > 1)
    assert set(first["winners"]) <= set(candidates)
    assert bool(first["winners"]) == bool(ballots)


@PROPERTY
@given(method=st.sampled_from(list(BallotMethod)), data=st.data())
def test_counts_conserve_ballots(method: BallotMethod, data: st.DataObject) -> None:
    candidates, ballots = data.draw(elections(method))
    result = count(method, candidates, ballots)
    assert result["ballots"] == len(ballots)
    totals = sum(result["totals"].values())
    n = len(candidates)
    if method == "plurality":
        assert totals == len(ballots)
    elif method == "approval":
        assert totals == sum(len(b) for b in ballots)
    elif method == "score":
        assert totals == sum(sum(b.values()) for b in ballots)
    elif method == "borda":
        assert totals == sum(sum(n - 1 - i for i in range(len(b))) for b in ballots)
    elif method == "irv":
        sums = [sum(r["totals"].values()) for r in result["rounds"]]
        assert sums[0] == len(ballots)
        assert sums == sorted(sums, reverse=True)  # exhausted ballots only ever leave
    else:
        for a in candidates:
            for b in candidates:
                if a != b:
                    expected = sum(1 for r in ballots if above(r, a, b))
                    assert result["pairwise"][a][b] == expected
                    assert expected + result["pairwise"][b][a] <= len(ballots)


@PROPERTY
@given(data=st.data())
def test_irv_last_round_has_a_majority_or_a_tie(data: st.DataObject) -> None:
    candidates, ballots = data.draw(elections("irv"))
    result = count("irv", candidates, ballots)
    last = result["rounds"][-1]
    assert last["eliminated"] == []
    for earlier in result["rounds"][:-1]:
        assert earlier["eliminated"]
    totals = last["totals"]
    if ballots:
        majority = 2 * max(totals.values()) > sum(totals.values())
        fewest = min(totals.values())
        tied_lowest = sum(1 for v in totals.values() if v == fewest) > 1
        assert majority or tied_lowest
        if majority:
            assert result["winners"] == [max(totals, key=totals.__getitem__)]
    firsts = {c: sum(1 for b in ballots if b[0] == c) for c in candidates}
    for c, n in firsts.items():
        if 2 * n > len(ballots):  # a majority of first preferences wins at once
            assert result["winners"] == [c] and len(result["rounds"]) == 1


@PROPERTY
@given(data=st.data())
def test_schulze_finds_the_condorcet_winner(data: st.DataObject) -> None:
    candidates, ballots = data.draw(elections("schulze"))
    # Make a Condorcet winner often: more ballots that rank x first than all the others.
    x = data.draw(st.sampled_from(candidates))
    if data.draw(st.booleans()):
        rest = [c for c in candidates if c != x]
        ballots += [[x, *data.draw(st.permutations(rest))] for _ in range(len(ballots) + 1)]
    beats_all = [
        a
        for a in candidates
        if all(
            sum(above(r, a, b) for r in ballots) > sum(above(r, b, a) for r in ballots)
            for b in candidates
            if b != a
        )
    ]
    result = count("schulze", candidates, ballots)
    if beats_all and ballots:
        assert result["winners"] == beats_all
        assert result["tie"] is False


@PROPERTY
@given(method=st.sampled_from(list(BallotMethod)), data=st.data())
def test_recount_of_an_honest_export_agrees(method: BallotMethod, data: st.DataObject) -> None:
    candidates, ballots = data.draw(elections(method))
    record = export_record(method, candidates, ballots)
    assert recount(json.loads(json.dumps([record]))) == []


# -- recount -----------------------------------------------------------------------


def export_record(method: str, candidates: list[str], ballots: list[Any]) -> dict[str, Any]:
    result = {"ballot_id": "b1", **count(method, candidates, ballots)}
    return {
        "id": "b1",
        "title": "Cluster Manager of the Year",
        "method": method,
        "candidates": [{"id": c, "name": c.upper()} for c in candidates],
        "cast": [{"receipt": f"r{i:04d}", "choice": b} for i, b in enumerate(ballots)],
        "result": result,
    }


class TestRecount:
    def test_tennessee_export_checks_out(self) -> None:
        record = export_record("irv", TN, TN_RANKINGS)
        assert recount([record]) == []
        assert recount({"event": {}, "ballots": [record]}) == []  # the whole document too
        recounted, differences = recount_ballot(record)
        assert differences == [] and recounted is not None
        assert recounted["winners"] == ["knoxville"]

    def test_a_changed_ballot_is_found(self) -> None:
        record = export_record("plurality", ABC, ["a", "a", "b"])
        record["cast"][0]["choice"] = "b"
        assert recount([record]) == [
            'ballot b1: winners: recorded ["a"], recounted ["b"]',
            'ballot b1: totals: recorded {"a": 2, "b": 1, "c": 0}, '
            'recounted {"a": 1, "b": 2, "c": 0}',
        ]

    def test_a_dropped_ballot_is_found(self) -> None:
        record = export_record("irv", TN, TN_RANKINGS)
        del record["cast"][0]
        differences = recount([record])
        assert differences[0] == "ballot b1: ballots: recorded 100, recounted 99"
        assert any(d.startswith("ballot b1: rounds: recorded") for d in differences)

    def test_bad_entries_are_reported(self) -> None:
        record = export_record("borda", ABC, [["a", "b"], ["c"]])
        record["cast"].append({"receipt": "r0000", "choice": ["a", "a"]})
        record["cast"].append({"choice": ["a"]})
        differences = recount([record])
        assert differences == [
            "ballot b1: receipt r0000: 'a' appears twice; name each candidate once.",
            'ballot b1: a cast ballot without a receipt: {"choice": ["a"]}',
            "ballot b1: receipt r0000 appears 2 times; each voter's last ballot counts once",
        ]

    def test_recorded_result_must_exist_and_name_its_ballot(self) -> None:
        record = export_record("approval", ABC, [["a"]])
        record["result"]["ballot_id"] = "b2"
        assert recount([record]) == ['ballot b1: the recorded result names ballot_id "b2"']
        record["result"] = None
        assert recount([record]) == ["ballot b1: 1 ballots cast but no recorded result"]
        record["cast"] = []
        assert recount([record]) == []  # never opened: nothing to check
        record["method"] = "lottery"
        assert recount([record])[0].startswith("ballot b1: cannot count: method must be")
        assert recount("nonsense") == [
            'the export section must be a list of ballots, not "nonsense"'
        ]
        assert recount([17]) == ["ballot #0: not an object but 17"]
