"""The load generator's floor: before the run, the same number of the same users (same
client, same Locust processes, same options) against a reference server that does nearly
nothing (:mod:`loadtests.floor`) for one short poll round: joins, ``poll:opened`` and
``poll:revealed`` to everyone, live results streaming, every attendee's vote acked, the
close and its final results. Whatever latency they measure there is the generator's own
(its loop, its decoding, its bookkeeping): :mod:`loadtests.verdict` holds it against the
objective.

The round is the ``plenary_poll`` scenario whatever the run's scenario (the floor speaks
polls only), with everyone joined within :data:`JOIN_WITHIN_S` and the vote window capped
at :data:`MAX_VOTE_WINDOW_S`: as many answers per second as the run's, or more, so the
floor is not optimistic.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

from loadtests import catalog, names, plots
from loadtests.common import ROOT
from loadtests.scenarios import Scenario
from loadtests.servers import free_port, wait_until_healthy
from loadtests.stats import merge, percentile

SCENARIO = "plenary_poll"
#: every calibration user joins within this many seconds (the joins are not measured)
JOIN_WITHIN_S = 5.0
MAX_VOTE_WINDOW_S = 5.0
#: the event code and presenter key the floor is given (it checks neither)
EVENT = {"code": "FLOOR1", "presenter_key": "calibration"}

#: runs Locust with a command line to the end, its output under a directory; returns its
#: exit status (the runner's own way of starting Locust and its workers)
Launch = Callable[[list[str], Path, float], int | None]
#: builds the Locust command line for (options, scenario, urls, event, out)
Command = Callable[[argparse.Namespace, Scenario, list[str], dict[str, Any], Path], list[str]]


def scenario_for(args: argparse.Namespace, run_scenario: Scenario) -> Scenario:
    """The calibration round for a run of ``run_scenario`` with ``args.users`` attendees."""
    users = args.users + 1
    base = catalog.scenario(SCENARIO)
    join_rate = max(run_scenario.spawn_rate(users), users / JOIN_WITHIN_S)
    window = min(run_scenario.vote_window_s, MAX_VOTE_WINDOW_S)
    return base.with_overrides(join_rate=join_rate, vote_window_s=window)


def options_for(args: argparse.Namespace, scenario: Scenario) -> argparse.Namespace:
    """The run's options with the calibration round's scenario knobs."""
    return argparse.Namespace(
        **{
            **vars(args),
            "scenario": scenario.name,
            "join_rate": scenario.join_rate,
            "vote_window": scenario.vote_window_s,
            "rooms": None,
            "time_limit": 0,
            "quiet": True,
            "stop_timeout": 0,  # nothing is measured once the round is over
            "web": False,
        }
    )


def run(
    args: argparse.Namespace,
    run_scenario: Scenario,
    out: Path,
    command: Command,
    launch: Launch,
    say: Callable[[str], None],
    server_cpus: set[int] | None = None,
) -> dict[str, Any]:
    """Run the calibration round into ``out``; returns its figures (``floor``) or why
    there are none (``error``)."""
    scenario = scenario_for(args, run_scenario)
    options = options_for(args, scenario)
    out.mkdir(parents=True, exist_ok=True)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log = out / "floor.log"
    started = time.time()
    say(
        f"calibrating the load generator: {args.users} attendees + 1 presenter against the "
        f"reference server (one {scenario.name} round, votes within "
        f"{scenario.vote_window_s:g} s)"
    )
    with log.open("wb") as handle:
        floor = subprocess.Popen(
            [sys.executable, "-m", "loadtests.floor", "--port", str(port)],
            cwd=ROOT,
            stdout=handle,
            stderr=subprocess.STDOUT,
            preexec_fn=(lambda: os.sched_setaffinity(0, server_cpus)) if server_cpus else None,
        )
    result: dict[str, Any] = {
        "server": "the reference server (loadtests/floor.py)",
        "scenario": scenario.name,
        "users": args.users + 1,
        "vote_window_s": scenario.vote_window_s,
        "join_rate": scenario.join_rate,
        "out": str(out),
    }
    try:
        wait_until_healthy(url, floor, "the reference server", log)
        limit = scenario.time_limit_s(args.users + 1)
        status = launch(command(options, scenario, [url], EVENT, out), out, limit)
        result["locust_exit_code"] = status
    except (RuntimeError, OSError) as exc:
        result["error"] = f"the calibration did not run: {exc}"
    finally:
        floor.terminate()
        try:
            floor.wait(10)
        except subprocess.TimeoutExpired:
            floor.kill()
    result["seconds"] = round(time.time() - started, 1)
    if "error" not in result:
        result.update(figures(out))
    return result


def figures(out: Path) -> dict[str, Any]:
    """The floor's figures from the round's output: ``floor``, or ``error``."""
    stats_path = out / names.STATS_FILE
    results_path = out / names.RESULTS_FILE
    stats = json.loads(stats_path.read_text()) if stats_path.exists() else {}
    results = json.loads(results_path.read_text()) if results_path.exists() else {}
    entries = stats.get("entries", [])
    answers = tuple(catalog.answer_events())
    fanout = merge(e for e in entries if e["type"] == names.FANOUT)
    acks = merge(e for e in entries if e["type"] == names.ACK and e["name"].startswith(answers))
    if not fanout["count"] or not acks["count"]:
        return {
            "error": "the calibration measured no broadcast or no vote ack (see its locust.log)"
        }
    return {
        "completed": bool((results.get("presenter") or {}).get("ok")),
        "floor": {
            "fanout_p50": fanout["p50"],
            "fanout_p99": fanout["p99"],
            "fanout_count": fanout["count"],
            "ack_p50": acks["p50"],
            "ack_p99": acks["p99"],
            "ack_count": acks["count"],
            "loop_lag_p99": live_lag_p99(out, results),
        },
    }


def live_lag_p99(out: Path, results: dict[str, Any]) -> float | None:
    """The generator's loop lag p99 from the poll's opening to the end of the round."""
    marks = (results.get("presenter") or {}).get("timeline") or []
    opened = [m["t"] / 1000 for m in marks if str(m["what"]).endswith(" opened")]
    if not opened:
        return None
    lag: Counter[float] = Counter()
    for second, groups in plots.series(out).items():
        if opened[0] <= second <= marks[-1]["t"] / 1000:
            lag.update(groups.get("LAG loop", {}))
    return percentile(lag, 0.99) if lag else None
