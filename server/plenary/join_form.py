"""What an event asks of people who join: a name (required, optional or not asked, for
anonymous events), and whether it asks for their organisation and country. The
organiser chooses per event; the attendee page reads it before showing its form."""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

from plenary.errors import bad_request

NAME_MODES = ("required", "optional", "none")


@dataclass(frozen=True)
class JoinForm:
    name: str = "required"
    organisation: bool = True
    country: bool = True

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | None) -> JoinForm:
        """As stored (unknown or missing fields take their defaults)."""
        data = data or {}
        return cls(
            name=str(data.get("name", "required")),
            organisation=bool(data.get("organisation", True)),
            country=bool(data.get("country", True)),
        )


def parse_join_form(value: Any, current: JoinForm | None = None) -> JoinForm:
    """An organiser's choice, e.g. ``{"name": "optional", "country": false}``; fields
    left out keep their ``current`` value."""
    example = '{"name": "optional", "organisation": true, "country": false}'
    if not isinstance(value, dict):
        raise bad_request(f"join must be an object such as {example}.")
    unknown = set(value) - {"name", "organisation", "country"}
    if unknown:
        raise bad_request(f"Unknown join fields: {', '.join(sorted(map(str, unknown)))}.")
    base = current or JoinForm()
    name = value.get("name", base.name)
    if name not in NAME_MODES:
        raise bad_request(f"join.name must be one of: {', '.join(NAME_MODES)}.")
    flags = {}
    for field in ("organisation", "country"):
        flag = value.get(field, getattr(base, field))
        if not isinstance(flag, bool):
            raise bad_request(f"join.{field} must be true or false.")
        flags[field] = flag
    return JoinForm(name=name, **flags)


def guest_name() -> str:
    """The name of someone who joined without giving one."""
    return f"Guest {secrets.randbelow(9000) + 1000}"
