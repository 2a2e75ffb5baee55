"""The pure award-ballot rules around the count: building a ballot, who may vote for
whom, the voter roll, receipts, the places of a staged reveal, and the sealed views."""

from __future__ import annotations

from typing import Any

import pytest

from plenary.activities.ballots import views
from plenary.activities.ballots.counting import count
from plenary.activities.ballots.definition import Ballot, Eligibility, build_ballot
from plenary.activities.ballots.eligibility import (
    code_ticket,
    excluded_for,
    normalise_code,
    parse_roll,
    receipt,
    standing,
)
from plenary.activities.ballots.limits import BallotLimits
from plenary.activities.ballots.standings import places_from, standings
from plenary.errors import ErrorCode, PlenaryError
from plenary.store import Activity
from tests.test_ballots_domain import TN, TN_RANKINGS

LIMITS = BallotLimits()


def ballot(**spec: Any) -> Ballot:
    base: dict[str, Any] = {
        "title": "  Cluster   Manager of the Year ",
        "method": "irv",
        "candidates": [
            {"name": "Ana", "organisation": "Lisbon Cluster", "attendee_id": "a_ana"},
            {"name": "Jonas", "organisation": "Nordic"},
            {"name": "Marta", "pitch_id": "p_7"},
        ],
    }
    return build_ballot("b_1", {**base, **spec}, LIMITS, 1000, "secret")


def refused(**spec: Any) -> ErrorCode:
    with pytest.raises(PlenaryError) as info:
        ballot(**spec)
    return info.value.code


class TestDefinition:
    def test_built_and_kept(self) -> None:
        made = ballot()
        assert made.title == "Cluster Manager of the Year"
        assert made.candidate_ids() == ["c1", "c2", "c3"]
        assert made.eligibility == Eligibility(False, False, True)
        public = made.public()
        assert "receipt_key" not in public
        assert public["candidates"] == [
            {"id": "c1", "name": "Ana", "organisation": "Lisbon Cluster", "attendee_id": "a_ana"},
            {"id": "c2", "name": "Jonas", "organisation": "Nordic"},
            {"id": "c3", "name": "Marta", "pitch_id": "p_7"},
        ]
        assert Ballot.from_dict(made.to_dict()) == made

    @pytest.mark.parametrize(
        ("spec", "code"),
        [
            ({"method": "random"}, ErrorCode.BAD_REQUEST),
            ({"title": " "}, ErrorCode.BAD_REQUEST),
            ({"title": "x" * 201}, ErrorCode.TOO_LONG),
            ({"candidates": [{"name": "A"}]}, ErrorCode.BAD_REQUEST),
            ({"candidates": [{"name": "A"}, {"name": " a "}]}, ErrorCode.BAD_REQUEST),
            ({"candidates": [{"name": "A"}, {"name": "B", "party": "x"}]}, ErrorCode.BAD_REQUEST),
            ({"candidates": [{"name": "A"}, {"name": ""}]}, ErrorCode.BAD_REQUEST),
            ({"candidates": [{"name": "A"}, "B"]}, ErrorCode.BAD_REQUEST),
            ({"candidates": [{"name": "A"}] * 31}, ErrorCode.BAD_REQUEST),
            ({"max_choices": 4}, ErrorCode.BAD_REQUEST),
            ({"max_choices": 0}, ErrorCode.BAD_REQUEST),
            ({"method": "plurality", "max_choices": 1}, ErrorCode.BAD_REQUEST),
            ({"live": "yes"}, ErrorCode.BAD_REQUEST),
            ({"eligibility": {"voter_roll": 1}}, ErrorCode.BAD_REQUEST),
            ({"eligibility": ["voter_roll"]}, ErrorCode.BAD_REQUEST),
        ],
    )
    def test_refusals(self, spec: dict[str, Any], code: ErrorCode) -> None:
        assert refused(**spec) is code

    def test_options(self) -> None:
        made = ballot(method="approval", max_choices=2, live=True, eligibility={"voter_roll": True})
        assert (made.max_choices, made.live) == (2, True)
        assert made.eligibility == Eligibility(False, True, True)


class TestEligibility:
    def test_own_candidacy_and_organisation_are_excluded(self) -> None:
        made = ballot()
        assert excluded_for(made, "a_ana", None) == ["c1"]
        assert excluded_for(made, "a_rui", "  LISBON   cluster") == ["c1"]
        assert excluded_for(made, "a_eva", "Nordic") == ["c2"]
        assert excluded_for(made, "a_eva", "Elsewhere") == []
        assert excluded_for(made, "a_eva", None) == []
        free = ballot(eligibility={"exclude_own": False})
        assert excluded_for(free, "a_ana", "Lisbon Cluster") == []

    def test_standing(self) -> None:
        late = ballot(eligibility={"joined_before_open": True})
        assert standing(late, 99, 100, False, []).eligible
        assert standing(late, 100, 100, False, []).reason == "joined_late"
        assert standing(late, 500, None, False, []).eligible  # never opened yet
        roll = ballot(eligibility={"voter_roll": True})
        assert standing(roll, 0, 1, False, []).reason == "needs_code"
        assert standing(roll, 0, 1, True, []).eligible
        assert standing(ballot(), 0, 1, False, ["c1", "c2", "c3"]).reason == "no_candidate"

    def test_roll_parsing(self) -> None:
        text = "name,Voting Code\nAda,ab12-cd34\n\nBob, EF56 GH78 \nAda again,AB12CD34\n"
        assert parse_roll(text, 64) == ["AB12CD34", "EF56GH78"]
        assert parse_roll("QWERTY1\r\nqwerty2\n", 64) == ["QWERTY1", "QWERTY2"]
        assert normalise_code(" ab-12 cd ") == "AB12CD"
        for bad, where in (("ABCDEF\nABC\n", "Row 2"), ("code\n" + "X" * 65, "Row 2")):
            with pytest.raises(PlenaryError) as info:
                parse_roll(bad, 64)
            assert info.value.code is ErrorCode.BAD_REQUEST and where in info.value.message
        with pytest.raises(PlenaryError):
            parse_roll("code\n\n", 64)
        with pytest.raises(PlenaryError):
            parse_roll("name,code\nAda,\n", 64)
        assert code_ticket("b_1", "AB12CD34") != code_ticket("b_2", "AB12CD34")
        assert "AB12CD34" not in code_ticket("b_1", "AB12CD34")

    def test_receipts(self) -> None:
        mine = receipt("key", "a_1")
        assert mine == receipt("key", "a_1")  # a changed ballot keeps its receipt
        assert mine != receipt("key", "a_2") and mine != receipt("other", "a_1")
        assert len(mine) == 14 and mine.count("-") == 2
        assert "a_1" not in mine


class TestStandings:
    def test_tennessee_places(self) -> None:
        irv = count("irv", TN, TN_RANKINGS)
        assert standings(irv, TN) == [
            {"place": 1, "candidates": ["knoxville"]},
            {"place": 2, "candidates": ["memphis"]},
            {"place": 3, "candidates": ["nashville"]},
            {"place": 4, "candidates": ["chattanooga"]},
        ]
        borda = count("borda", TN, TN_RANKINGS)
        assert [p["candidates"] for p in standings(borda, TN)] == [
            ["nashville"],
            ["chattanooga"],
            ["memphis"],
            ["knoxville"],
        ]
        schulze = count("schulze", TN, TN_RANKINGS)
        assert [p["candidates"][0] for p in standings(schulze, TN)] == [
            "nashville",
            "chattanooga",
            "knoxville",
            "memphis",
        ]

    def test_ties_share_a_place(self) -> None:
        result = count("plurality", list("abcde"), ["a", "a", "a", "b", "c", "d", "d", "e"])
        places = standings(result, list("abcde"))
        assert places == [
            {"place": 1, "candidates": ["a"]},
            {"place": 2, "candidates": ["d"]},
            {"place": 3, "candidates": ["b", "c", "e"]},
        ]
        tie = count("plurality", list("abc"), ["a", "b"])
        assert standings(tie, list("abc")) == [
            {"place": 1, "candidates": ["a", "b"]},
            {"place": 3, "candidates": ["c"]},
        ]
        # Revealing "third" when two are tied for second shows that tie.
        second_tie = [
            {"place": 1, "candidates": ["a"]},
            {"place": 2, "candidates": ["b", "c"]},
            {"place": 4, "candidates": ["d"]},
        ]
        assert places_from(second_tie, 3, 3) == [second_tie[1]]  # type: ignore[arg-type]
        assert places_from(second_tie, 1, 3) == second_tie[:2]  # type: ignore[arg-type]


class TestSealedViews:
    def activity(self, status: str, **meta: Any) -> Activity:
        return Activity("b_1", ballot(live=True).to_dict(), status, meta, 3)

    def test_nothing_before_the_reveal(self) -> None:
        made = ballot(live=True)
        result = {"ballot_id": "b_1", **count("irv", made.candidate_ids(), [["c2"]])}
        for status, meta in (("open", {}), ("closed", {views.RESULT: result})):
            shown = views.public_view(made, self.activity(status, **meta), 1)
            assert (shown["result"], shown["reveal"], shown["turnout"]) == (None, None, 1)
            assert "receipt_key" not in shown
            mine = views.attendee_view(made, self.activity(status, **meta), 1, {"receipt": "R"})
            assert mine["result"] is None and mine["mine"] == {"receipt": "R"}
        # Presenters of a live ballot see the count; after the close, the recorded one.
        live = views.presenter_view(made, self.activity("open"), 1, result, None)
        assert live["result"] == result
        closed = self.activity("closed", **{views.RESULT: result})
        assert views.presenter_view(made, closed, 1, None, (5, 2))["roll"] == {
            "codes": 5,
            "claimed": 2,
        }
        staged = self.activity("closed", **{views.RESULT: result, "reveal_from": 2})
        shown = views.public_view(made, staged, 1)
        assert shown["result"] is None
        assert shown["reveal"]["places"] == [{"place": 2, "candidates": ["c1", "c3"]}]
        done = self.activity("closed", **{views.RESULT: result, "reveal_from": 1})
        assert views.public_view(made, done, 1)["result"] == result

    def test_choice_text(self) -> None:
        made = ballot()
        assert views.choice_text(made, ["c2", "c1"]) == "1. Jonas; 2. Ana"
        scored = ballot(method="score")
        assert views.choice_text(scored, {"c1": 5, "c3": 0}) == "Ana: 5; Marta: 0"
        assert views.choice_text(ballot(method="approval"), ["c1", "c3"]) == "Ana; Marta"
        assert views.choice_text(ballot(method="plurality"), "c2") == "Jonas"
