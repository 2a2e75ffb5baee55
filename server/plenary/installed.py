"""Which activity kinds this server runs: the one place that lists them. Everything
else goes over this list (by name, so that the settings can read each kind's limits
without importing the server's layers). See ``plenary/activities/__init__.py`` for what
a kind's package holds."""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import Any

#: The installed activity kinds, by package name under plenary/activities/. Adding a kind
#: is its folder there plus its name here.
INSTALLED: tuple[str, ...] = ("polls", "quiz", "cafe", "qa", "reactions", "ballots", "pitches")

PACKAGE = "plenary.activities"


def _module(kind: str, name: str) -> ModuleType | None:
    try:
        return importlib.import_module(f"{PACKAGE}.{kind}.{name}")
    except ModuleNotFoundError as exc:
        if exc.name != f"{PACKAGE}.{kind}.{name}":
            raise
        return None


def limit_classes(installed: tuple[str, ...] = INSTALLED) -> list[type]:
    """Each installed kind's limits class (its ``limits.LIMITS``), for the settings."""
    classes = []
    for kind in installed:
        module = _module(kind, "limits")
        if module is not None:
            classes.append(module.LIMITS)
    return classes


def commands(installed: tuple[str, ...] = INSTALLED) -> list[Any]:
    """Each installed kind's command-line commands (its ``commands.COMMANDS``, a list of
    :class:`plenary.commands.Command`)."""
    found: list[Any] = []
    for kind in installed:
        module = _module(kind, "commands")
        if module is not None:
            found.extend(module.COMMANDS)
    return found


def plugins(installed: tuple[str, ...] = INSTALLED) -> list[Any]:
    """Each installed kind's :class:`plenary.stage.kinds.KindPlugin` (its ``kind.KIND``)."""
    found = []
    for kind in installed:
        module = _module(kind, "kind")
        if module is None:
            raise ImportError(f"activity kind {kind!r} has no kind.py with KIND")
        found.append(module.KIND)
    return found
