"""Commands an activity kind adds to the ``plenary`` command line (``plenary recount``
for award ballots): a kind's ``commands.py`` holds ``COMMANDS``, a list of
:class:`Command`, and :func:`plenary.installed.commands` finds them, so the command line
names no kind."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Command:
    """``plenary NAME ...``: ``configure`` adds its arguments to its parser, ``run``
    does the work and returns the exit status."""

    name: str
    help: str
    configure: Callable[[argparse.ArgumentParser], None]
    run: Callable[[argparse.Namespace], int]
