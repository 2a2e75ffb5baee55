"""The thin transport: every client event goes through one wrapper that checks the
session, the role and the rate limit, validates the payload into a typed model, calls
the handler and turns the outcome into an ack. Nothing a client sends escapes it."""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable, Collection
from dataclasses import dataclass
from typing import Any, TypeVar

import socketio
from pydantic import BaseModel, ValidationError

from plenary.errors import ErrorCode, PlenaryError, bad_request
from plenary.metrics import Metrics
from plenary.realtime.session import Session, Sessions
from plenary.roles import Role
from plenary.validation import validation_error

log = logging.getLogger(__name__)

M = TypeVar("M", bound=BaseModel)
Handler = Callable[[Session, Any], Awaitable[dict[str, Any]]]


class NoPayload(BaseModel):
    """The model of messages without fields (sent with ``{}`` or nothing)."""


@dataclass(frozen=True)
class Route:
    event: str
    roles: frozenset[Role]
    model: type[BaseModel]
    handler: Handler


class Router:
    """Registry of client events; :meth:`attach` wires them into python-socketio."""

    def __init__(self, sessions: Sessions, metrics: Metrics) -> None:
        self._sessions = sessions
        self._metrics = metrics
        self.routes: dict[str, Route] = {}

    def on(
        self, event: str, *, roles: Collection[Role], model: type[M]
    ) -> Callable[[Callable[[Session, M], Awaitable[dict[str, Any]]]], Handler]:
        """Register ``handler(session, payload) -> ack fields`` for ``event``."""

        def register(handler: Callable[[Session, M], Awaitable[dict[str, Any]]]) -> Handler:
            if event in self.routes:
                raise ValueError(f"event {event!r} is registered twice")
            self.routes[event] = Route(event, frozenset(roles), model, handler)
            return handler

        return register

    def attach(self, sio: socketio.AsyncServer) -> None:
        for route in self.routes.values():
            sio.on(route.event, self._wrap(route))

    def _wrap(self, route: Route) -> Callable[..., Awaitable[dict[str, Any]]]:
        meter = self._metrics.event_meter(route.event)

        async def handle(sid: str, *args: Any) -> dict[str, Any]:
            start = time.perf_counter()
            ack = await self._dispatch(route, sid, args)
            meter.record(time.perf_counter() - start)
            if not ack["ok"]:
                self._metrics.error_acks.labels(ack["error"]["code"]).inc()
            return ack

        return handle

    async def _dispatch(self, route: Route, sid: str, args: tuple[Any, ...]) -> dict[str, Any]:
        session = self._sessions.get(sid)
        if session is None:
            return PlenaryError(
                ErrorCode.UNAUTHORIZED, "Connect with an auth payload first."
            ).to_ack()
        try:
            wait_s = session.limiter.take()
            if wait_s:
                raise PlenaryError(
                    ErrorCode.RATE_LIMITED,
                    "Too many messages; slow down and retry shortly.",
                    retry_after_ms=int(wait_s * 1000) + 1,
                )
            if session.role not in route.roles:
                allowed = " or ".join(sorted(r.value for r in route.roles))
                raise PlenaryError(ErrorCode.FORBIDDEN, f"{route.event} is for {allowed} only.")
            payload = parse_payload(route.model, args)
            result = await route.handler(session, payload)
            return {"ok": True, **result}
        except PlenaryError as exc:
            return exc.to_ack()
        except Exception:
            log.exception("handler for %s failed (event %s)", route.event, session.code)
            return PlenaryError(
                ErrorCode.INTERNAL, "Something went wrong on the server; nothing was changed."
            ).to_ack()


def parse_payload(model: type[M], args: tuple[Any, ...]) -> M:
    """Exactly one JSON object (or none, for events without fields) into ``model``."""
    if len(args) > 1:
        raise bad_request("Send one object as the payload.")
    data = args[0] if args else {}
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise bad_request("The payload must be an object.")
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise validation_error(exc) from None
