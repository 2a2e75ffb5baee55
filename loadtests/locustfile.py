"""Locust entry point for the Plenary load tests.

Run it through the runner (``./scripts/dev loadtest``), which starts the server, creates
the event and passes the ``--plenary-*`` arguments. By hand, against a running server::

    locust -f loadtests/locustfile.py --headless -u 1000 \\
        --host http://127.0.0.1:8080 --plenary-event CODE --plenary-key KEY \\
        --plenary-scenario plenary_poll --plenary-out reports/manual

The users are :class:`~loadtests.attendee.Attendee` (many) and
:class:`~loadtests.presenter.Presenter` (exactly one, ``fixed_count``), both on
:mod:`loadtests.connection`; the load shape :class:`PlenaryShape` spawns them at the
scenario's join rate and ends the test when the scenario is over (or at its time limit).

From Locust's web UI (the runner's ``--web``), the form's users and spawn rate are the
run's (the presenter is one of the users), and when the run stops (the scenario ended,
or Stop was pressed) Locust quits, writing its reports, so that the runner writes its own.
"""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path
from typing import Any

# Locust imports this file by path: make ``loadtests`` importable from the repository.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import gevent
import gevent.event
import locust.runners
from locust import LoadTestShape, events
from locust.env import Environment
from locust.runners import LocalRunner, MasterRunner

from loadtests import coordination, names, recording, settings
from loadtests.attendee import Attendee
from loadtests.connection import forget_run_settings, run_settings
from loadtests.presenter import Presenter
from loadtests.stats import dump_stats

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


def _web_ui(environment: Environment) -> bool:
    """Whether this is the process that serves Locust's web UI (no --headless)."""
    options = environment.parsed_options
    runner = environment.runner
    return (
        options is not None
        and not options.headless
        and isinstance(runner, MasterRunner | LocalRunner)
    )


def _take_the_form(environment: Environment) -> None:
    """A start from the web UI: its users (the presenter and the attendees) and spawn
    rate are the run's (Locust passes them on to the workers with the other options)."""
    options = environment.parsed_options
    if options is None or not _web_ui(environment):
        return
    options.plenary_users = int(options.num_users or 0)
    options.plenary_join_rate = float(options.spawn_rate or 0) or None
    forget_run_settings(environment)


#: set once a web UI run stopped and Locust is quitting (one run per Locust process)
_QUITTING = gevent.event.Event()


@events.test_stop.add_listener
def _stopped(environment: Environment, **_: Any) -> None:
    recording.flush(environment)
    if _web_ui(environment) and not _QUITTING.is_set():
        _QUITTING.set()
        gevent.spawn(_quit_web_ui, environment)


def _quit_web_ui(environment: Environment) -> None:
    """The web UI run stopped: quit Locust (it writes its CSV and HTML reports, and
    ``_quitting`` the statistics) so that the runner writes the report."""
    runner = environment.runner
    assert runner is not None
    log.info("the run stopped: quitting, so that the runner writes the report")
    if isinstance(runner, MasterRunner):
        gevent.sleep(coordination.STATS_FLUSH_S)  # let the workers' last statistics arrive
    runner.quit()
    if environment.web_ui is not None:
        environment.web_ui.stop()


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

    def reset_time(self) -> None:
        """A run starts (Locust calls this on every start, also from the web UI)."""
        super().reset_time()
        if self.runner is not None:
            _take_the_form(self.runner.environment)

    def tick(self) -> tuple[int, float] | None:
        assert self.runner is not None
        cfg = run_settings(self.runner.environment)
        if coordination.DONE.is_set():
            return None
        if self.get_run_time() > cfg.time_limit_s:
            log.error("time limit of %.0f s reached: stopping the test", cfg.time_limit_s)
            return None
        return cfg.users, cfg.scenario.spawn_rate(cfg.users)
