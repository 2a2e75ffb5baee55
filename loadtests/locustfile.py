"""Locust entry point for the Plenary load tests.

Run it through the runner (``./scripts/dev loadtest``), which starts the server, creates
the event and passes the ``--plenary-*`` arguments. By hand, against a running server::

    locust -f loadtests/locustfile.py --headless -u 1000 \\
        --host http://127.0.0.1:8080 --plenary-event CODE --plenary-key KEY \\
        --plenary-scenario plenary_poll --plenary-out reports/manual

The users are :class:`~loadtests.users.Attendee` (many) and
:class:`~loadtests.users.Presenter` (exactly one, ``fixed_count``); the load shape
:class:`PlenaryShape` spawns them at the scenario's join rate and ends the test when the
scenario is over (or at its time limit).
"""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path
from typing import Any

# Locust imports this file by path: make ``loadtests`` importable from the repository.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import locust.runners
from locust import LoadTestShape, events
from locust.env import Environment
from locust.runners import LocalRunner, MasterRunner

from loadtests import coordination, names, settings
from loadtests.stats import dump_stats
from loadtests.users import Attendee, Presenter, run_settings

__all__ = ["Attendee", "PlenaryShape", "Presenter"]

log = logging.getLogger("plenary.loadtest")

# Locust's master declares a worker missing after 3 missed heartbeats (one a second) and
# gives its users to the other workers; when the worker comes back, its users still run,
# so the test has more users than asked. A worker starved of CPU for a few seconds (two
# cores shared with the server) must not cause that: allow 10 s. The workers' loop lag
# is reported (summary: "load generator loop lag") so such stalls stay visible.
locust.runners.HEARTBEAT_LIVENESS = 10


@events.init_command_line_parser.add_listener
def _arguments(parser: Any) -> None:
    settings.add_arguments(parser)


@events.init.add_listener
def _init(environment: Environment, **_: Any) -> None:
    options = environment.parsed_options
    if options is not None and not options.plenary_users:
        # Workers do not receive -u; forward it as a custom argument.
        options.plenary_users = options.num_users or 0
    coordination.reset()
    coordination.install(environment)


@events.test_start.add_listener
def _start(environment: Environment, **_: Any) -> None:
    runner = environment.runner
    if isinstance(runner, MasterRunner | LocalRunner):
        cfg = run_settings(environment)
        log.info(
            "scenario %s: %d users (1 presenter), joins at %.0f/s, servers %s, limit %.0f s",
            cfg.scenario.name,
            cfg.users,
            cfg.scenario.spawn_rate(cfg.users),
            ", ".join(cfg.urls),
            cfg.time_limit_s,
        )


@events.quitting.add_listener
def _quitting(environment: Environment, **_: Any) -> None:
    runner = environment.runner
    if isinstance(runner, MasterRunner | LocalRunner):
        out = Path(getattr(environment.parsed_options, "plenary_out", None) or ".")
        out.mkdir(parents=True, exist_ok=True)
        (out / names.STATS_FILE).write_text(json.dumps(dump_stats(runner.stats), indent=1))


class PlenaryShape(LoadTestShape):
    """All users (the presenter + attendees) at the scenario's join rate, until the
    presenter's scenario is over and the results are collected, or the time limit."""

    use_common_options = True

    def tick(self) -> tuple[int, float] | None:
        assert self.runner is not None
        cfg = run_settings(self.runner.environment)
        if coordination.DONE.is_set():
            return None
        if self.get_run_time() > cfg.time_limit_s:
            log.error("time limit of %.0f s reached: stopping the test", cfg.time_limit_s)
            return None
        return cfg.users, cfg.scenario.spawn_rate(cfg.users)
