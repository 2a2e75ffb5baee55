"""Every activity kind and scenario of the load tests: importing this module imports each
module of :mod:`loadtests.kinds` (found on disk, not listed anywhere), which registers
its kind and its scenarios. Adding ``loadtests/kinds/quiz.py`` is all a new kind needs.
"""

from __future__ import annotations

import importlib
import pkgutil

from loadtests import kinds, scenarios
from loadtests.kinds import Kind
from loadtests.scenarios import Scenario

for _module in sorted(pkgutil.iter_modules(kinds.__path__), key=lambda m: m.name):
    importlib.import_module(f"{kinds.__name__}.{_module.name}")


def all_kinds() -> list[Kind]:
    """Every registered kind."""
    return list(kinds.KINDS.values())


def kind(type_: str) -> Kind | None:
    """The kind of activities of this ``type``, or None."""
    return kinds.get(type_)


def all_scenarios() -> dict[str, Scenario]:
    """Every scenario by name, in registration order."""
    return dict(scenarios.SCENARIOS)


def scenario(name: str) -> Scenario:
    """The scenario called ``name``; ValueError naming the known ones otherwise."""
    return scenarios.get(name)


def answer_events() -> list[str]:
    """Every kind's answer event (``poll:vote``, ...): the report's "vote ack" entries."""
    return [k.answer_event for k in all_kinds()]
