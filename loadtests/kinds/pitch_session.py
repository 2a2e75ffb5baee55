"""Pitch sessions in the load tests: every pitch of a session is a *round* (an activity of
the load tests, ``<session id>/<pitch id>``) that every attendee rates once (1 to 5
stars) while it is on now, some changing their rating once within the vote window; some
leave feedback on it too (the ``pitch:feedback`` command). The checks
(docs/loadtest.md, "pitch_session"):

* every rating and feedback acked (an error ack is a failure);
* every attendee receives ``pitch:opened``, each ``pitch:now`` and ``pitch:closed``;
* each pitch's ratings: the server's count per star at the close (the presenter's view)
  = the acked ratings (the last one of each attendee) = the export's; and the server's
  average, live at the close and in the export, equals the one the acked counts imply,
  exactly;
* each pitch's feedback count at the close equals the feedback acked.
"""

from __future__ import annotations

import random
import uuid
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

from loadtests import kinds, scenarios
from loadtests.kinds import (
    Kind,
    Listener,
    Participant,
    RoundsScenario,
    RunCheck,
    Staff,
    announced,
    created,
    spec_of,
)
from loadtests.scenarios import Activity, ActivitySpec, Director

TYPE = "pitch_session"
FEEDBACK = "pitch:feedback"


@dataclass(frozen=True)
class PitchSpec:
    """A pitch session the presenter creates."""

    type: ClassVar[str] = TYPE

    title: str
    pitches: int = 4

    def payload(self) -> dict[str, Any]:
        return {
            "title": self.title,
            "pitches": [
                {"title": f"Pitch {i + 1}", "organisation": f"Org {i + 1}", "speaker": f"S{i + 1}"}
                for i in range(self.pitches)
            ],
        }


def round_id(session_id: str, pitch_id: str) -> str:
    """A pitch of a session, as an activity of the load tests."""
    return f"{session_id}/{pitch_id}"


def average(counts: dict[str, int]) -> float | None:
    """The average the star counts imply, as the server rounds it (2 decimals)."""
    total = sum(counts.values())
    return round(sum(int(n) * c for n, c in counts.items()) / total, 2) if total else None


# -- what attendees follow --------------------------------------------------------------
def activity_in(event: str, data: dict[str, Any]) -> dict[str, Any] | None:
    """``pitch:now``: the pitch on now, open for ratings; the other broadcasts: the
    session."""
    session = data.get("session") or {}
    if event == "pitch:now" and session.get("now"):
        return {
            "id": round_id(str(session.get("id")), str(session["now"])),
            "status": "open" if session.get("status") == "open" else "closed",
        }
    # No state_seq: the pitches on now change it too, so it says nothing of a session's
    # broadcasts alone.
    return {"id": str(session.get("id")), "status": session.get("status")}


def from_welcome(session: dict[str, Any]) -> dict[str, Any] | None:
    """The pitch on now of the session on stage (with the attendee's rating of it)."""
    now = session.get("now")
    if session.get("status") != "open" or not now:
        return {"id": str(session.get("id")), "status": str(session.get("status"))}
    mine = (session.get("mine") or {}).get("ratings") or {}
    return {
        "id": round_id(str(session["id"]), str(now)),
        "status": "open",
        "my_answer": mine.get(now),
    }


def answer(round_: dict[str, Any], rng: random.Random) -> dict[str, Any]:
    """The ``pitch:rate`` payload (without ``vote_id``): 1 to 5 stars, more often 4."""
    session_id, _, pitch_id = str(round_["id"]).rpartition("/")
    stars = rng.choices((1, 2, 3, 4, 5), weights=(1, 2, 4, 6, 3))[0]
    return {"session_id": session_id, "pitch_id": pitch_id, "stars": stars}


def results_count(data: dict[str, Any]) -> tuple[str, int] | None:
    """``pitch:ratings`` (presenters): the latest pitch rated and how many rated it (in
    this scenario only the pitch on now gets new ratings)."""
    ratings = data.get("ratings") or {}
    rated = [pid for pid, r in ratings.items() if r.get("count")]
    if not rated:
        return None
    latest = max(rated, key=lambda pid: int(pid.lstrip("p") or 0))
    return round_id(str(data.get("session_id")), latest), int(ratings[latest]["count"])


# -- feedback (the pitch:feedback command) ------------------------------------------------
def leave_feedback(attendees: Sequence[Participant], data: dict[str, Any]) -> None:
    """A share of this process's attendees leave feedback on the pitch named."""
    for user in attendees:
        if user.rng.random() < float(data["share"]):
            user.jobs.put(lambda user=user: send_feedback(user, data))


def send_feedback(user: Participant, data: dict[str, Any]) -> None:
    body = {
        "session_id": data["session_id"],
        "pitch_id": data["pitch_id"],
        "vote_id": uuid.uuid4().hex,
        "text": f"Feedback from {user.identity.get('name', 'someone')}",
    }
    ack = user.call(FEEDBACK, body)
    if isinstance(ack, dict) and ack.get("ok") is True:
        given = user.kind_data.setdefault(TYPE, {})
        given[round_id(data["session_id"], data["pitch_id"])] = True


def collect(attendees: Sequence[Listener]) -> dict[str, int]:
    """Per pitch: how many of this process's attendees had their feedback acked."""
    counts: Counter[str] = Counter()
    for user in attendees:
        counts.update(user.kind_data.get(TYPE, {}).keys())
    return dict(counts)


def check(entries: list[dict[str, Any]], collected: list[Any]) -> list[dict[str, Any]]:
    acked: Counter[str] = Counter()
    for worker in collected:
        acked.update(worker or {})
    out = []
    for entry in entries:
        if "feedback" not in entry:
            continue
        server, mine = entry["feedback"], acked.get(entry["id"], 0)
        out.append(
            {
                "name": f"pitch {entry['id']}: feedback at the close = feedback acked",
                "target": "equal",
                "actual": f"{server} / {mine}",
                "ok": server == mine,
            }
        )
    return out


# -- the presenter's verbs ----------------------------------------------------------------
def create(staff: Staff, spec: ActivitySpec) -> Activity:
    return created(staff, spec_of(spec, PitchSpec, "pitch session"), "pitch:create", "session")[0]


def open_session(staff: Staff, session: Activity) -> dict[str, Any]:
    return announced(staff, "pitch:open", {"session_id": session.id}, "pitch:opened", session.id)


def now(staff: Staff, session: Activity, pitch_id: str) -> dict[str, Any]:
    """Put a pitch on now: every attendee must receive it, and rates it."""
    key = round_id(session.id, pitch_id)
    payload = {"session_id": session.id, "pitch_id": pitch_id}
    ack = announced(staff, "pitch:now", payload, "pitch:now", key)
    staff.entry(Activity(TYPE, key))["kind"] = "stars"
    return ack


def close(staff: Staff, session: Activity) -> dict[str, Any]:
    """Close the session; the presenter's view is every pitch's final tally."""
    ack, sent = staff.request("pitch:close", {"session_id": session.id})
    view = ack["session"]
    for pitch in view["pitches"]:
        ratings = view["ratings"][pitch["id"]]
        entry = staff.entry(Activity(TYPE, round_id(session.id, pitch["id"])))
        entry["results"] = {"total": ratings["count"], "counts": ratings["stars"]}
        entry["average"] = ratings["average"]
        entry["feedback"] = view["feedback_count"][pitch["id"]]
    staff.expect("pitch:closed", session.id, sent)
    return ack


# -- the export -----------------------------------------------------------------------------
def export_totals(items: list[dict[str, Any]]) -> dict[str, tuple[Any, Any]]:
    """Each pitch's ratings in the export: the count, and the stars' counts added up."""
    return {
        round_id(item["id"], f["pitch"]["id"]): (
            f["ratings"]["count"],
            sum(f["ratings"]["stars"].values()),
        )
        for item in items
        for f in item["pitches_feedback"]
    }


def average_checks(
    export: dict[str, Any], entries: list[dict[str, Any]], _: Path
) -> list[RunCheck]:
    """The server's average of each pitch, at the close and in the export, equals the
    one its star counts imply (which the tally check holds equal to the acked ratings)."""
    exported = {
        round_id(item["id"], f["pitch"]["id"]): f["ratings"]
        for item in export.get("pitch_sessions", [])
        for f in item["pitches_feedback"]
    }
    checks: list[RunCheck] = []
    for entry in entries:
        if "results" not in entry:
            continue
        implied = average(entry["results"]["counts"])
        ours = (exported.get(entry["id"]) or {}).get("average", "missing")
        same = entry.get("average") == implied == ours
        actual = f"close {entry.get('average')}, export {ours}, implied {implied}"
        checks.append((f"pitch {entry['id']}: average = acked ratings'", "equal", actual, same))
    return checks


PITCH = kinds.register(
    Kind(
        type=TYPE,
        key="session",
        id_field="session_id",
        broadcasts=("pitch:opened", "pitch:now", "pitch:closed"),
        opened="pitch:now",
        results="pitch:ratings",
        answer_event="pitch:rate",
        answer=answer,
        stored=lambda ack: ack.get("ratings"),
        counted_keys=lambda stars: [str(stars)],
        create=create,
        verbs={"open": open_session, "now": now, "close": close},
        export_key="pitch_sessions",
        activity_in=activity_in,
        from_welcome=from_welcome,
        results_count=results_count,
        export_totals=export_totals,
        collect=collect,
        check=check,
        commands={FEEDBACK: leave_feedback},
        run_checks=average_checks,
    )
)


# -- the scenario ---------------------------------------------------------------------------
@dataclass(frozen=True)
class PitchRounds(RoundsScenario):
    """All attendees join; the session opens; each pitch goes on now, every attendee
    rates it within the vote window (some change their rating once), a share leave
    feedback on it; then the session closes."""

    rounds_field = "pitches"
    feedback_share: float = 0.3

    def run(self, d: Director) -> None:
        self.gather(d)
        for spec in self.activities:
            session = d.create(spec)
            d.act(session, "open")
            for i in range(getattr(spec, "pitches", 0)):
                pitch_id = f"p{i + 1}"
                d.act(session, "now", pitch_id=pitch_id)
                d.mark(f"{session.type} {pitch_id} on now")
                self.wait_for_everyone(d, Activity(session.type, round_id(session.id, pitch_id)))
                d.command_attendees(
                    FEEDBACK, session_id=session.id, pitch_id=pitch_id, share=self.feedback_share
                )
                # Changes of mind and feedback come until the window ends: let them in.
                d.sleep(self.vote_window_s + 1.0)
            d.act(session, "close")
            d.mark(f"{session.type} closed")


scenarios.register(
    PitchRounds(
        name="pitch_session",
        summary="all attendees join (50/s), a pitch session of 4 pitches: every attendee "
        "rates each pitch on now within 5 s (one in five changes their rating once), "
        "three in ten leave feedback; each pitch's star counts and average at the close "
        "and in the export equal what the acked ratings imply, and the feedback count "
        "the acked feedback",
        vote_window_s=5.0,
        change_share=0.2,
        activities=(PitchSpec("Load-test pitch night"),),
    ),
)
