"""The pitch session load test (``pitch_session``) in a short form: the real runner with
20 attendees against the embedded server, asserting the scenario's checks: every rating
acked, every attendee told of every pitch on now, each pitch's star counts equal to the
acked ratings and the export, its average at the close and in the export equal to the
one the acked ratings imply, and the feedback counted as acked. Latency thresholds
relaxed (tests/support/loadtest.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.loadtest import assert_passed, run_scenario

pytestmark = pytest.mark.loadtest

ATTENDEES = 20
PITCHES = 4


@pytest.mark.timeout(120)
def test_pitch_session_smoke(tmp_path: Path) -> None:
    status, summary, output = run_scenario(
        tmp_path / "pitch", "pitch_session", ATTENDEES, 2, "--locust-processes", "0"
    )
    assert_passed(status, summary, output)
    assert summary["joins"]["joined"] == ATTENDEES
    changes = summary["counters"].get("changes_of_mind", 0)
    assert summary["latency"]["ack_vote"]["count"] == ATTENDEES * PITCHES + changes
    # pitch:opened, each pitch:now and pitch:closed reached every attendee.
    assert summary["missed"]["checked"] == ATTENDEES * (PITCHES + 2)
    assert len(summary["tally"]) == PITCHES
    for tally in summary["tally"]:
        assert tally["match"], tally
        assert tally["server_total"] == tally["acked_voters"] == ATTENDEES
    averages = [c for c in summary["checks"] if "average = acked" in c["name"]]
    feedback = [c for c in summary["kind_checks"] if "feedback at the close" in c["name"]]
    assert len(averages) == len(feedback) == PITCHES
    assert all(c["ok"] for c in averages + feedback), averages + feedback
