"""The declaration of one setting: a dataclass field with its documentation. Settings
(:mod:`plenary.settings`) and each activity kind's limits (``activities/<kind>/limits.py``)
declare their fields with it; :mod:`plenary.settings` turns every declaration into a
flag, an environment variable and a line of docs/configuration.md."""

from __future__ import annotations

from dataclasses import field
from typing import Any


def option(default: Any, help: str, *, secret: bool = False) -> Any:
    """A settings field with its documentation."""
    if isinstance(default, list):
        raise TypeError("use a tuple for sequence defaults")
    return field(default=default, metadata={"help": help, "secret": secret})
