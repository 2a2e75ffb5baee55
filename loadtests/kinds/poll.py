"""Polls in the load tests: how an attendee answers each poll kind, the presenter's
verbs (create, open, reveal, close) with the broadcasts each one makes every connected
attendee expect, and the poll scenarios (docs/loadtest.md, "The scenarios")."""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any, ClassVar

from loadtests import kinds, scenarios
from loadtests.kinds import Kind, Staff, announced, created, spec_of
from loadtests.scenarios import Activity, ActivitySpec

TYPE = "poll"
RESULTS = "poll:results"

WORDS = ("curious", "tired", "inspired", "hungry", "focused", "happy", "sceptical", "busy")
SENTENCES = ("More of this, please.", "Loved the demo.", "Too fast for me.", "Great panel!")


@dataclass(frozen=True)
class PollSpec:
    """A poll the presenter creates."""

    type: ClassVar[str] = TYPE

    question: str
    kind: str = "single"
    options: tuple[str, ...] | None = ("Europe", "Americas", "Africa", "Asia-Pacific")
    scale: int | None = None

    def payload(self) -> dict[str, Any]:
        """The ``poll:create`` payload."""
        body: dict[str, Any] = {"question": self.question, "kind": self.kind}
        if self.options is not None:
            body["options"] = list(self.options)
        if self.scale is not None:
            body["scale"] = self.scale
        return body


# -- attendees --------------------------------------------------------------------------
def poll_choice(poll: dict[str, Any], rng: random.Random) -> Any:
    """A valid answer to ``poll`` (see docs/protocol.md, the poll kinds table)."""
    kind = poll.get("kind")
    option_ids = [option["id"] for option in poll.get("options") or []]
    if kind == "single":
        return rng.choice(option_ids)
    if kind == "multiple":
        return rng.sample(option_ids, rng.randint(1, min(3, len(option_ids))))
    if kind == "rating":
        return rng.randint(1, int(poll.get("scale") or 5))
    if kind == "wordcloud":
        return rng.choice(WORDS)
    if kind == "open_text":
        return rng.choice(SENTENCES)
    raise ValueError(f"no answerer for poll kind {kind!r}")


def answer(poll: dict[str, Any], rng: random.Random) -> dict[str, Any]:
    """The ``poll:vote`` payload (without ``vote_id``)."""
    return {"poll_id": poll["id"], "choice": poll_choice(poll, rng)}


def counted_keys(choice: Any) -> list[str]:
    """The keys a stored answer is counted under in the results' ``counts``."""
    if isinstance(choice, list):
        return [str(item) for item in choice]
    return [str(choice)]


# -- the presenter's verbs ----------------------------------------------------------------
def create(staff: Staff, spec: ActivitySpec) -> Activity:
    activity, ack = created(staff, spec_of(spec, PollSpec, "poll"), "poll:create", "poll")
    staff.entry(activity)["kind"] = ack["poll"]["kind"]
    return activity


def open_poll(staff: Staff, activity: Activity) -> dict[str, Any]:
    """Every connected attendee must then receive ``poll:opened``."""
    return announced(staff, "poll:open", {"poll_id": activity.id}, "poll:opened", activity.id)


def reveal_poll(staff: Staff, activity: Activity) -> dict[str, Any]:
    """Results stream to everyone from now on."""
    ack = announced(staff, "poll:reveal", {"poll_id": activity.id}, "poll:revealed", activity.id)
    staff.entry(activity)["revealed"] = True
    return ack


def close_poll(staff: Staff, activity: Activity) -> dict[str, Any]:
    """The ack's ``results`` are the exact tally; attendees get the final results only
    if the poll was revealed."""
    ack, sent = staff.request("poll:close", {"poll_id": activity.id})
    results: dict[str, Any] = ack["results"]
    entry = staff.entry(activity)
    entry["results"] = results
    staff.expect("poll:closed", activity.id, sent)
    if entry.get("revealed"):
        staff.expect(
            POLL.final_results, activity.id, sent, total=results["total"], seq=results["seq"]
        )
    return ack


POLL = kinds.register(
    Kind(
        type=TYPE,
        key="poll",
        id_field="poll_id",
        broadcasts=("poll:opened", "poll:revealed", "poll:closed"),
        opened="poll:opened",
        results=RESULTS,
        answer_event="poll:vote",
        answer=answer,
        stored=lambda ack: ack.get("choice"),
        counted_keys=counted_keys,
        create=create,
        verbs={"open": open_poll, "reveal": reveal_poll, "close": close_poll},
        export_key="polls",
    )
)

# -- scenarios ----------------------------------------------------------------------------
# (rooms comes before reconnect_storm: tests/test_loadtests_imports.py expects the poll
# scenarios to end with reconnect_storm)
WHERE_FROM = (PollSpec("Where are you joining from?"),)

scenarios.register(
    scenarios.LiveRounds(
        name="plenary_poll",
        summary="all attendees join (50/s), a poll opens and is revealed so results stream to "
        "everyone, every attendee votes within 10 s, the poll closes",
        activities=WHERE_FROM,
    ),
    scenarios.RevealAfterClose(
        name="plenary_poll_screen",
        summary="as plenary_poll, but live results stream to the presenter and big screens "
        "only; attendees get the results when the poll is closed and revealed",
        activities=WHERE_FROM,
    ),
    scenarios.LiveRounds(
        name="vote_burst",
        summary="all attendees join (50/s), a poll opens, every attendee votes within 1 s",
        vote_window_s=1.0,
        activities=WHERE_FROM,
    ),
    scenarios.LiveRounds(
        name="join_storm",
        summary="all attendees join within 10 s (1,000 joins at 100/s), then a short poll "
        "(votes within 3 s) proves every connection is live",
        join_rate=None,
        join_window_s=10.0,
        vote_window_s=3.0,
        activities=WHERE_FROM,
    ),
    scenarios.Rooms(
        name="rooms",
        summary="the presenter adds 14 breakout rooms; attendees join spread over the main "
        "room and the breakouts (naming their room at connect); a poll opens and is revealed "
        "in every room at once, everyone votes within 10 s, all close (exact tally per room, "
        "no attendee receives a message of another room's poll); then everyone moves back "
        "to the main room (room:enter) for a plenary poll that reaches all",
        activities=(
            PollSpec("Which session should come back tomorrow?", options=("Yes", "No", "Maybe")),
            PollSpec("Where are you joining from?"),
        ),
    ),
    scenarios.ReconnectStorm(
        name="reconnect_storm",
        summary="all attendees join and vote (10 s), then every attendee's connection drops "
        "abruptly within 2 s and reconnects after 0.5-1.5 s with its resume token "
        "(back within 5 s), checks its identity and answer, retries its vote with the "
        "same vote_id (must count once); then the poll closes",
        activities=WHERE_FROM,
    ),
)
