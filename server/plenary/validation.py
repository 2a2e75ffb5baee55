"""Turning pydantic validation errors into client-facing errors with stable codes."""

from __future__ import annotations

from pydantic import ValidationError

from plenary.errors import ErrorCode, PlenaryError


def validation_error(exc: ValidationError) -> PlenaryError:
    """The first problem of a payload, as ``too_long`` or ``bad_request``."""
    first = exc.errors()[0]
    where = ".".join(str(p) for p in first["loc"]) or "payload"
    code = (
        ErrorCode.TOO_LONG
        if first["type"] in ("string_too_long", "too_long")
        else (ErrorCode.BAD_REQUEST)
    )
    return PlenaryError(code, f"{where}: {first['msg']}.")
