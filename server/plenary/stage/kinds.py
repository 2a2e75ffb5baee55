"""The activity-kind plug-in interface, and the registry the app fills.

A kind (polls, quizzes, world-café rounds, ballots...) is a package under
``plenary/activities/`` that exposes ``KIND``, a :class:`KindPlugin`; it is installed
by one line in ``plenary/activities/__init__.py``. The app builds each installed kind's
:class:`ActivityKind` from the shared parts (:class:`KindContext`), and from then on the
server goes over the registered kinds (:class:`Kinds`) and names none of them, the way
python-socketio goes over namespaces.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from plenary.realtime.broadcast import Broadcaster
from plenary.realtime.router import Router
from plenary.realtime.session import Session
from plenary.settings import Settings
from plenary.store import Activity, Store

if TYPE_CHECKING:  # the stage needs the registry, and kinds get the stage
    from plenary.stage.stage import Stage


@dataclass(frozen=True)
class ExportSection:
    """A kind's part of an event's export: a section of the JSON document, and rows of
    the CSV (each in this kind's own ``columns``; the export adds ``activity_type``)."""

    name: str  # the JSON document's key, e.g. "polls"
    items: list[dict[str, Any]]
    columns: tuple[str, ...] = ()
    rows: Sequence[Sequence[Any]] = field(default_factory=list)


class ActivityKind(Protocol):
    """Everything about one kind of activity. Activities of every kind share the store's
    records (a definition with ``type``, a status and state fields); the status
    ``draft`` means never on stage, ``closed`` means done (see :class:`Stage`).

    Every ``code`` below is a room's *scope* (:mod:`plenary.scopes`): the event's join
    code for its main room, ``CODE/ROOM`` for another room. A kind passes it unchanged
    to the store and the broadcaster, and handlers use ``session.scope``; records of the
    whole event (attendees) are under :func:`plenary.scopes.event_code`."""

    #: The ``type`` field of this kind's activity definitions.
    type: str

    def register(self, router: Router) -> None:
        """Add this kind's Socket.IO messages."""

    async def view(self, code: str, activity: Activity, session: Session) -> dict[str, Any]:
        """The activity on stage as this session may see it (``welcome``, ``state:get``):
        ``{"type": ..., ...}``."""

    async def overview(self, code: str, session: Session) -> dict[str, Any]:
        """Extra ``welcome`` fields for this session's role (e.g. every poll for staff)."""

    async def left_stage(self, code: str, before: Activity, after: Activity) -> None:
        """The stage closed this activity (another one took the stage, or the event
        ended): its status is already ``closed`` in the store; tell the clients."""

    def summary(self, activity: Activity) -> dict[str, Any]:
        """A few fields that name the activity in the admin view (e.g. its question)."""

    async def export(self, code: str) -> ExportSection:
        """Every activity of this kind in the event, with results and answers."""

    async def demo(self, code: str) -> None:
        """Add a few draft activities to the demo event of ``plenary serve``."""

    async def stop(self) -> None:
        """Stop this kind's background tasks (at shutdown)."""

    # Optional: ``def http_routes(self) -> Sequence[KindRoute]``, the kind's REST
    # endpoints (see :class:`KindRoute`; a quiz's file import). Not part of the protocol
    # so that a kind without any needs nothing: :meth:`Kinds.http_routes` asks for it.


@dataclass(frozen=True)
class KindRequest:
    """A REST request to a kind's route, once the server has checked it: the presenter
    key is the event's, the body is within the route's ``max_body_bytes``."""

    #: the scope of the room the request is for (``?room=``, default the main room)
    code: str
    body: bytes
    content_type: str
    query: Mapping[str, str]


@dataclass(frozen=True)
class KindRoute:
    """A REST endpoint of a kind: ``METHOD /api/events/{code}/<path>?room=ROOM``, for
    the room's presenters (``Authorization: Bearer <presenter key>``: the event-wide key,
    or the room's own; the join-code lookups' limit per IP address applies). ``handle``
    returns the HTTP status and the JSON body, or raises
    :class:`plenary.errors.PlenaryError` (answered as every REST error is)."""

    method: str
    path: str
    handle: Callable[[KindRequest], Awaitable[tuple[int, dict[str, Any]]]]
    #: the largest body taken (the API's bodies are small; an imported file may not be)
    max_body_bytes: int = 16_384


@dataclass(frozen=True)
class KindContext:
    """The shared parts a kind is built from."""

    settings: Settings
    store: Store
    broadcaster: Broadcaster
    stage: Stage


@dataclass(frozen=True)
class KindPlugin:
    """How a kind is installed: its type, how to build it, and its limits (a frozen
    dataclass of :func:`plenary.settings.option` fields: flags and environment
    variables like every other setting, read with ``settings.limits_for(cls)``)."""

    type: str
    build: Callable[[KindContext], ActivityKind]
    limits: Any = None  # the limits class, or None


class Kinds(Mapping[str, ActivityKind]):
    """The registered kinds by type. Also what the gateway asks for the activity part of
    a ``welcome`` (see :meth:`state`)."""

    def __init__(self) -> None:
        self._kinds: dict[str, ActivityKind] = {}

    def add(self, kind: ActivityKind) -> None:
        if kind.type in self._kinds:
            raise ValueError(f"activity kind {kind.type!r} is registered twice")
        self._kinds[kind.type] = kind

    def __getitem__(self, type_: str) -> ActivityKind:
        return self._kinds[type_]

    def __iter__(self) -> Iterator[str]:
        return iter(self._kinds)

    def __len__(self) -> int:
        return len(self._kinds)

    def of(self, activity: Activity | None) -> ActivityKind | None:
        """The kind of a stored activity (None for a kind not installed here)."""
        if activity is None:
            return None
        return self._kinds.get(str(activity.definition.get("type")))

    def register(self, router: Router) -> None:
        for kind in self._kinds.values():
            kind.register(router)

    async def state(self, code: str, session: Session, on_stage: Activity | None) -> dict[str, Any]:
        """The activity fields of a ``welcome``: ``activity`` (the one on stage, as this
        session may see it, or None) and every kind's overview for this role."""
        kind = self.of(on_stage)
        state: dict[str, Any] = {"activity": None}
        if kind is not None and on_stage is not None:
            state["activity"] = await kind.view(code, on_stage, session)
        for each in self._kinds.values():
            state.update(await each.overview(code, session))
        return state

    def summary(self, activity: Activity) -> dict[str, Any]:
        kind = self.of(activity)
        return kind.summary(activity) if kind is not None else {}

    async def export(self, code: str) -> dict[str, ExportSection]:
        """Every kind's export section, by kind type."""
        return {type_: await kind.export(code) for type_, kind in self._kinds.items()}

    def http_routes(self) -> list[KindRoute]:
        """Every kind's REST endpoints (the kinds that have any)."""
        routes: list[KindRoute] = []
        for kind in self._kinds.values():
            declared = getattr(kind, "http_routes", None)
            for route in declared() if declared is not None else ():
                if any((r.method, r.path) == (route.method, route.path) for r in routes):
                    raise ValueError(f"REST route {route.method} {route.path} is declared twice")
                routes.append(route)
        return routes

    async def stop(self) -> None:
        for kind in self._kinds.values():
            await kind.stop()


__all__ = [
    "ActivityKind",
    "ExportSection",
    "KindContext",
    "KindPlugin",
    "KindRequest",
    "KindRoute",
    "Kinds",
]
