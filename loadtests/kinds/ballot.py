"""Award ballots in the load tests: how an attendee ranks the candidates, the presenter's
verbs (create, open, close, a staged reveal), the seal every attendee checks on every
message it receives, the recount of the export, and the ballot scenario
(docs/loadtest.md, "The scenarios")."""

from __future__ import annotations

import json
import random
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

from loadtests import kinds, scenarios
from loadtests.kinds import Kind, RunCheck, Staff, announced, created, spec_of
from loadtests.scenarios import Activity, ActivitySpec, Director

TYPE = "ballot"

#: Ranked by distance, as in the Tennessee capital election; bloc weights in percent.
CITIES = ("Memphis", "Nashville", "Chattanooga", "Knoxville")
BLOCS = (
    (42, (0, 1, 2, 3)),
    (26, (1, 2, 3, 0)),
    (15, (2, 3, 1, 0)),
    (17, (3, 2, 1, 0)),
)


@dataclass(frozen=True)
class BallotSpec:
    """A ballot the presenter creates."""

    type: ClassVar[str] = TYPE

    title: str
    method: str = "irv"
    candidates: tuple[str, ...] = CITIES

    def payload(self) -> dict[str, Any]:
        """The ``ballot:create`` payload (no organisations: nobody is excluded)."""
        return {
            "title": self.title,
            "method": self.method,
            "candidates": [{"name": name} for name in self.candidates],
        }


# -- attendees --------------------------------------------------------------------------
def answer(ballot: dict[str, Any], rng: random.Random) -> dict[str, Any]:
    """A ranked ballot: a bloc's ranking, cut short at random (partial rankings are
    allowed), over the ballot's candidate ids."""
    ids = [c["id"] for c in ballot.get("candidates", [])]
    weights = [w for w, _ in BLOCS]
    order = rng.choices([o for _, o in BLOCS], weights=weights)[0]
    ranking = [ids[i] for i in order if i < len(ids)]
    return {"ballot_id": ballot["id"], "choice": ranking[: rng.randint(1, len(ranking))]}


def my_answer(ballot: dict[str, Any]) -> Any:
    return (ballot.get("mine") or {}).get("choice")


def first_preference(choice: Any) -> list[str]:
    """A ranked ballot counts for its first candidate in the first round."""
    return [str(choice[0])] if isinstance(choice, list) and choice else []


def sealed(event: str, data: Any) -> str | None:
    """Nothing an attendee receives shows a count before the complete reveal; staged
    places carry no numbers."""
    if event == "ballot:results":
        return "an attendee received ballot:results (a count)"
    if not isinstance(data, dict):
        return None
    view = data.get("ballot")
    if event == "welcome":
        view = (data.get("activity") or {}).get("ballot")
    if not isinstance(view, dict):
        return None
    reveal = view.get("reveal")
    complete = isinstance(reveal, dict) and reveal.get("complete") is True
    if view.get("result") is not None and not complete:
        return f"{event} carries a result before the complete reveal"
    if reveal is not None and event not in ("ballot:revealed", "welcome"):
        return f"{event} carries the reveal"
    return None


def export_tally(item: Mapping[str, Any]) -> tuple[Any, Any]:
    """A ballot's counted ballots (its result's ``ballots``) and the ballots listed."""
    return (item.get("result") or {}).get("ballots"), len(item.get("cast", []))


# -- the presenter's verbs ----------------------------------------------------------------
def create(staff: Staff, spec: ActivitySpec) -> Activity:
    ballot = spec_of(spec, BallotSpec, "ballot")
    activity, _ = created(staff, ballot, "ballot:create", "ballot")
    staff.entry(activity)["kind"] = ballot.method
    return activity


def open_ballot(staff: Staff, activity: Activity) -> dict[str, Any]:
    return announced(staff, "ballot:open", {"ballot_id": activity.id}, "ballot:opened", activity.id)


def close_ballot(staff: Staff, activity: Activity) -> dict[str, Any]:
    ack = announced(staff, "ballot:close", {"ballot_id": activity.id}, "ballot:closed", activity.id)
    staff.entry(activity)["turnout"] = ack["ballot"]["turnout"]
    return ack


def reveal_ballot(staff: Staff, activity: Activity, places: int | None = None) -> dict[str, Any]:
    """A step of the reveal; the complete one records the result and its first round
    (the tally the acked ballots are compared with)."""
    body: dict[str, Any] = {"ballot_id": activity.id}
    if places is not None:
        body["places"] = places
    ack = announced(staff, "ballot:reveal", body, "ballot:revealed", activity.id)
    result = ack["ballot"].get("result")
    if result is not None:
        entry = staff.entry(activity)
        entry["result"] = result
        first = result["rounds"][0]["totals"] if result.get("rounds") else result["totals"]
        entry["results"] = {"total": result["ballots"], "counts": first}
    return ack


def recount_checks(
    export: dict[str, Any], entries: list[dict[str, Any]], out: Path
) -> list[RunCheck]:
    """The server's revealed result of each ballot equals ``plenary recount`` of the
    export (run as a command on the export file, as anyone would)."""
    path = out / "export.json"
    path.write_text(json.dumps(export, ensure_ascii=False), encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "plenary", "recount", str(path), "--json"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    try:
        recounted = {r["ballot_id"]: r for r in json.loads(done.stdout)}
    except (json.JSONDecodeError, TypeError, KeyError):
        recounted = {}
    checks: list[RunCheck] = []
    for entry in entries:
        ours = recounted.get(entry["id"])
        same = done.returncode == 0 and ours is not None and ours == entry.get("result")
        actual = (
            f"exit {done.returncode}, " + ("equal" if same else "DIFFERENT")
            if ours is not None
            else f"exit {done.returncode}: {done.stderr.strip()[-200:]}"
        )
        checks.append((f"ballot {entry['id']}: result = plenary recount", "equal", actual, same))
    return checks


BALLOT = kinds.register(
    Kind(
        type=TYPE,
        key="ballot",
        id_field="ballot_id",
        broadcasts=("ballot:opened", "ballot:closed", "ballot:revealed"),
        opened="ballot:opened",
        results="ballot:turnout",
        answer_event="ballot:cast",
        answer=answer,
        stored=lambda ack: ack.get("choice"),
        counted_keys=first_preference,
        create=create,
        verbs={"open": open_ballot, "close": close_ballot, "reveal": reveal_ballot},
        export_key="ballots",
        my_answer=my_answer,
        total_field="turnout",
        inspect=sealed,
        watched=("ballot:results",),
        export_answers=export_tally,
        run_checks=recount_checks,
    )
)


# -- the scenario -------------------------------------------------------------------------
@dataclass(frozen=True)
class SealedBallot(scenarios.Scenario):
    """Everyone joins; a ranked ballot opens; every attendee casts a ballot within the
    vote window (some change it once); it closes; third, second and the winner are
    revealed. Attendees check every message for a count before the reveal."""

    change_share: float = 0.1

    def run(self, d: Director) -> None:
        self.gather(d)
        for spec in self.activities:
            ballot = d.create(spec)
            d.act(ballot, "open")
            d.mark(f"{ballot.type} opened")
            self.wait_for_everyone(d, ballot)
            # Changes of mind come until the window ends: let them in before closing.
            d.sleep(self.vote_window_s + 2.0)
            d.act(ballot, "close")
            d.mark(f"{ballot.type} closed")
            for places in (3, 2, 1):
                d.act(ballot, "reveal", places=places)
                d.sleep(0.5)
            d.mark(f"{ballot.type} revealed")


scenarios.register(
    SealedBallot(
        name="ballot_irv",
        summary="all attendees join (50/s), a ranked (instant-runoff) award ballot opens, "
        "every attendee casts a ballot within 10 s and one in ten changes it once; it "
        "closes and third, second and the winner are revealed; nobody sees a count "
        "before the reveal, and the result equals plenary recount of the export",
        activities=(BallotSpec("Cluster Manager of the Year"),),
        extra_s=60.0,
    ),
)
