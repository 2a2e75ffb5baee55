"""Every error a client can see, with a stable code and a message that says what to do.

Handlers raise :class:`PlenaryError`; the transport turns it into
``{"ok": false, "error": {"code": ..., "message": ...}}`` (Socket.IO acks) or a JSON
error body (REST). Codes are part of the protocol (``docs/protocol.md``): never rename one.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any


class ErrorCode(StrEnum):
    """Stable, machine-readable error codes."""

    BAD_REQUEST = "bad_request"
    TOO_LONG = "too_long"
    UNKNOWN_EVENT = "unknown_event"
    NAME_REQUIRED = "name_required"
    BAD_KEY = "bad_key"
    BAD_ROLE = "bad_role"
    BAD_TOKEN = "bad_token"
    UNAUTHORIZED = "unauthorized"
    FORBIDDEN = "forbidden"
    NOT_FOUND = "not_found"
    NOT_OPEN = "not_open"
    BAD_CHOICE = "bad_choice"
    TOO_LATE = "too_late"
    ALREADY_ANSWERED = "already_answered"
    NOT_ELIGIBLE = "not_eligible"
    RATE_LIMITED = "rate_limited"
    EVENT_FULL = "event_full"
    EVENT_ENDED = "event_ended"
    UNAVAILABLE = "unavailable"
    INTERNAL = "internal"


class PlenaryError(Exception):
    """An error whose code and message are meant for the client."""

    def __init__(self, code: ErrorCode, message: str, **details: Any) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.details = details

    def to_payload(self) -> dict[str, Any]:
        """The ``error`` object sent to clients."""
        body: dict[str, Any] = {"code": str(self.code), "message": self.message}
        body.update(self.details)
        return body

    def to_ack(self) -> dict[str, Any]:
        """A complete Socket.IO error ack."""
        return {"ok": False, "error": self.to_payload()}


class StoreUnavailable(PlenaryError):
    """The state store (Redis) cannot be reached; nothing was stored."""

    def __init__(self, detail: str = "") -> None:
        super().__init__(
            ErrorCode.UNAVAILABLE,
            "The server is temporarily unavailable and stored nothing; retry in a moment.",
        )
        self.detail = detail


def bad_request(message: str) -> PlenaryError:
    """A payload that does not have the documented shape."""
    return PlenaryError(ErrorCode.BAD_REQUEST, message)


def not_found(what: str) -> PlenaryError:
    """A reference to something that does not exist in this event."""
    return PlenaryError(ErrorCode.NOT_FOUND, f"{what} does not exist in this event.")
