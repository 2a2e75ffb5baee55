"""What every activity module provides to the rest of the server."""

from __future__ import annotations

from typing import Any, Protocol

from plenary.realtime.router import Router
from plenary.realtime.session import Session
from plenary.store import Activity


class ActivityModule(Protocol):
    """An activity kind (poll, quiz, ...), plugged into the server at start-up."""

    #: The ``type`` field of this kind's activity definitions.
    type: str

    def register(self, router: Router) -> None:
        """Add this kind's Socket.IO events."""

    async def current_view(self, code: str, activity: Activity, session: Session) -> dict[str, Any]:
        """The on-stage activity as this session may see it (welcome and ``state:get``)."""

    async def overview(self, code: str, session: Session) -> dict[str, Any]:
        """Extra welcome fields for this session's role, e.g. every poll for presenters."""
