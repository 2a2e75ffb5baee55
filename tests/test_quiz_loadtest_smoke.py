"""The quiz load test (``quiz_burst``) in a short form: the real runner with 30
attendees against the embedded server, asserting the issue's checks on its outcome:
every answer acked, every player exactly one ``quiz:result`` per question, each
question's tally equal to the acked answers and the export, and the scores replayed
from the export equal to the server's. Latency thresholds relaxed
(tests/support/loadtest.py; the 1,000-player run judges them)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.loadtest import assert_passed, run_scenario

pytestmark = pytest.mark.loadtest

ATTENDEES = 30
QUESTIONS = 5


@pytest.mark.timeout(120)
def test_quiz_burst_smoke(tmp_path: Path) -> None:
    status, summary, output = run_scenario(
        tmp_path / "quiz", "quiz_burst", ATTENDEES, 2, "--locust-processes", "0"
    )
    assert_passed(status, summary, output)
    assert summary["joins"]["joined"] == ATTENDEES
    # Every answer acked: one per attendee and question.
    assert summary["latency"]["ack_vote"]["count"] == ATTENDEES * QUESTIONS
    # Expected of every attendee: quiz:started, then per question quiz:question,
    # quiz:reveal and quiz:result, then quiz:ended and the final quiz:result.
    assert summary["missed"]["checked"] == ATTENDEES * (1 + 3 * QUESTIONS + 2)
    entries = {(e["type"], e["name"]): e for e in summary["entries"]}
    once = entries[("CHECK", "one quiz:result per activity")]
    assert (once["requests"], once["failures"]) == (ATTENDEES * (QUESTIONS + 1), 0)
    assert len(summary["tally"]) == QUESTIONS
    for tally in summary["tally"]:
        assert tally["match"], tally
        assert tally["server_total"] == tally["acked_voters"] == tally["export_total"]
        assert tally["server_total"] == ATTENDEES
    assert summary["export_checks"] == {"checked": 1, "problems": []}
