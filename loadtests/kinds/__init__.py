"""The registry of activity kinds in the load tests: one module per kind in this package
(``poll.py``, later ``quiz.py``, ...), each calling :func:`register` with its
:class:`Kind` (how an attendee answers it, which broadcasts it must receive, the
presenter's verbs) and registering its scenarios in :mod:`loadtests.scenarios`.

Nothing else names a kind: the users (``loadtests/attendee.py``, ``loadtests/presenter.py``,
their connection ``loadtests/connection.py``) and the scenarios go over this registry, so
a kind adds its load test by adding its module. :mod:`loadtests.catalog` imports every
module of this package. This module imports none of them.

An activity object (what ``welcome``'s ``activity`` and the kind's broadcasts carry
under :attr:`Kind.key`) has an ``id``, a ``status`` (``open`` while it takes answers), a
``state_seq`` and, in an attendee's ``welcome``, ``my_answer`` (docs/protocol.md).
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Protocol, TypeVar

from loadtests.scenarios import Activity, ActivitySpec, Scenario


class Staff(Protocol):
    """What a kind's presenter verbs use of the presenter user."""

    def request(self, event: str, payload: dict[str, Any]) -> tuple[dict[str, Any], float]:
        """Emit with an ack: the ok ack and when it was sent (epoch ms). Raises
        :class:`~loadtests.scenarios.ScenarioError` on an error ack or none."""
        ...

    def expect(self, event: str, key: str, sent_at: float, **extra: Any) -> None:
        """Every attendee connected at ``sent_at`` must receive ``event`` about ``key``
        (an activity id) within the deadline (``extra``: values to check, e.g. ``total``)."""
        ...

    def entry(self, activity: Activity) -> dict[str, Any]:
        """The activity's entry in the presenter's report (created on first use, with
        ``type``, ``id``, ``kind`` and ``results``): the verbs keep their notes there, and
        ``results`` (the close tally) is what the tally checks compare."""
        ...


class Listener(Protocol):
    """What a kind's own attendee handlers (:attr:`Kind.attendee_handlers`) use of the
    attendee user."""

    attendee_id: str | None
    #: the attendee's name, country and organisation (loadtests/people.py)
    identity: dict[str, Any]
    #: (event, key) -> first receipt time, epoch ms: what the expectations check
    received: dict[tuple[str, str], float]
    #: kind type -> whatever the kind keeps per attendee (read back by its collect)
    kind_data: dict[str, Any]


class Participant(Listener, Protocol):
    """What a kind's own commands (:attr:`Kind.commands`) use of an attendee, which then
    acts on its own for a while (e.g. a minute of questions, upvotes and reactions)."""

    rng: random.Random
    #: callables the attendee runs one after the other in its own greenlet
    jobs: Any
    #: set while the attendee has its ``welcome`` (gevent event)
    welcomed: Any
    #: the attendee's Socket.IO client (``sio.emit`` sends without an ack)
    sio: Any
    #: the run's settings (``cfg.urls``: the server processes)
    cfg: Any

    @property
    def connected(self) -> bool: ...

    def call(self, event: str, payload: dict[str, Any], name: str | None = None) -> Any:
        """Emit with an ack, measured as ``ACK name``; the ack, or None when none came."""
        ...

    def note_answer(self, activity_id: str, key: str, keys: list[str] | None) -> None:
        """An acked answer of the kind's own, counted under ``keys`` for the exact tally
        (``key``: one of possibly several per attendee); None takes it back."""
        ...


#: a kind's handler of one of its messages: the attendee, the payload, its receipt time
AttendeeHandler = Callable[[Listener, Any, float], None]
#: a kind's command to the attendees (:attr:`Kind.commands`): this Locust process's
#: attendees, the command's data
Commander = Callable[[Sequence[Participant], dict[str, Any]], None]
#: a kind's handler of one of its messages on the presenter: the payload, its receipt time
StaffHandler = Callable[[Any, float], None]
#: worker side: this process's attendees -> what the kind's check needs (JSON-able)
Collector = Callable[[Sequence[Listener]], Any]
#: master side: the presenter's entries of this kind's activities, every worker's
#: collected data -> check lines ``{"name", "target", "actual", "ok"}``
Checker = Callable[[list[dict[str, Any]], list[Any]], list[dict[str, Any]]]


def answers_in_export(item: Mapping[str, Any]) -> tuple[Any, Any]:
    """An activity's answer total and number of answers in the export (a poll's)."""
    return (item.get("results") or {}).get("total"), len(item.get("answers", []))


#: the activity object as an attendee sees it, a random source -> the answer's payload
#: (without the ``vote_id``, which the user adds)
Answerer = Callable[[dict[str, Any], random.Random], dict[str, Any]]
#: the presenter's ``create`` verb
Creator = Callable[[Staff, ActivitySpec], Activity]
#: any other presenter verb: returns the ok ack
Verb = Callable[..., dict[str, Any]]


#: one more check of the run for the report: (name, target, actual, ok)
RunCheck = tuple[str, str, Any, bool]


def _my_answer(activity: dict[str, Any]) -> Any:
    return activity.get("my_answer")


@dataclass(frozen=True)
class Kind:
    """An activity kind, as the load tests see it."""

    #: the activity's ``type`` (``welcome``'s ``activity.type``)
    type: str
    #: where the activity object sits in ``welcome``'s ``activity`` and in the broadcasts
    key: str
    #: the field naming the activity in results and answers (e.g. ``poll_id``)
    id_field: str
    #: broadcasts that carry the activity object after a change of its state; attendees
    #: follow its ``state_seq`` through them, and verbs may expect them
    broadcasts: tuple[str, ...]
    #: the broadcast that puts an activity on stage: attendees answer it
    opened: str
    #: the live results broadcast (``final: true`` for the last one after closing)
    results: str
    #: the attendee's answer event, and how to make its payload
    answer_event: str
    answer: Answerer
    #: the stored answer in an ok ack of :attr:`answer_event`
    stored: Callable[[dict[str, Any]], Any]
    #: the keys a stored answer is counted under in the results' ``counts``
    counted_keys: Callable[[Any], list[str]]
    #: the presenter's verbs
    create: Creator
    verbs: Mapping[str, Verb]
    #: the list of this kind's activities in ``GET /api/events/{code}/export``
    export_key: str
    # Optional, for kinds whose activity is not one object with one answer per attendee
    # (e.g. a series of rounds): each defaults to the poll-shaped behaviour above.
    #: (broadcast name, payload) -> the activity object it is about, or None; default:
    #: the payload's :attr:`key` field
    activity_in: Callable[[str, dict[str, Any]], dict[str, Any] | None] | None = None
    #: ``welcome``'s ``activity[key]`` -> the activity object answerers take (``id``,
    #: ``status``, ``my_answer``), or None; default: as it is
    from_welcome: Callable[[dict[str, Any]], dict[str, Any] | None] | None = None
    #: the answer payload's field for the client's idempotency id
    answer_id_field: str = "vote_id"
    #: broadcasts (of :attr:`broadcasts`) an attendee must receive at most once per
    #: activity: each receipt is a ``CHECK``, a second one a failure
    once: tuple[str, ...] = ()
    #: a live results payload -> (activity id, answers so far), or None; default: its
    #: :attr:`id_field` and :attr:`total_field`
    results_count: Callable[[dict[str, Any]], tuple[str, int] | None] | None = None
    #: this kind's export list -> activity id -> (answers the server counted, answers
    #: listed); default: each item's ``results.total`` and its ``answers``
    export_totals: Callable[[list[dict[str, Any]]], dict[str, tuple[Any, Any]]] | None = None
    #: this kind's export list -> problems found in it (e.g. scores a replay of the
    #: answers does not give); None: no such check
    check_export: Callable[[list[dict[str, Any]]], list[str]] | None = None
    #: an exported activity -> (answers the server counted, answers listed), when
    #: :attr:`export_totals` is not given; default: a poll's ``results.total`` and
    #: ``answers``
    export_answers: Callable[[Mapping[str, Any]], tuple[Any, Any]] = answers_in_export
    #: messages an attendee handles with the kind's own code (their fan-out is measured
    #: first), beyond :attr:`broadcasts`
    attendee_handlers: Mapping[str, AttendeeHandler] = field(default_factory=dict)
    #: the kind's own checks, run once the scenario is over: what each Locust process
    #: collects from its attendees, and the check over all of it on the master
    collect: Collector | None = None
    check: Checker | None = None
    #: the kind's own commands to every attendee (the scenario's
    #: ``d.command_attendees(name, **data)``): name -> handler, run once per Locust
    #: process with its attendees (e.g. "ask, upvote and react until ``ends_at``")
    commands: Mapping[str, Commander] = field(default_factory=dict)
    #: messages the presenter handles with the kind's own code (their fan-out is measured
    #: first, as the presenter's); what they keep is the kind's, read back by its verbs
    staff_handlers: Mapping[str, StaffHandler] = field(default_factory=dict)
    #: what the activity object in an attendee's ``welcome`` says they answered
    my_answer: Callable[[dict[str, Any]], Any] = _my_answer
    #: the field of a :attr:`results` broadcast that counts the answers (the presenter
    #: waits on it), when :attr:`results_count` is not given
    total_field: str = "total"
    #: a rule every message of this kind an attendee receives must follow: (message
    #: name, payload) -> what is wrong, or None. Each message that breaks it is a failed
    #: ``CHECK`` (e.g. a sealed ballot: nothing shows a count before the reveal)
    inspect: Callable[[str, Any], str | None] | None = None
    #: more messages attendees listen to, only to inspect them
    watched: tuple[str, ...] = ()
    #: more checks of the whole run, for the report's verdict: (the export, the
    #: presenter's entries of this kind's activities, the report folder) -> checks
    run_checks: Callable[[dict[str, Any], list[dict[str, Any]], Path], list[RunCheck]] | None = None

    @property
    def final_results(self) -> str:
        """The name under which the final results are expected and recorded."""
        return f"{self.results}:final"

    def activity_of(self, event: str, data: Any) -> dict[str, Any] | None:
        """The activity object a broadcast carries."""
        if not isinstance(data, dict):
            return None
        if self.activity_in is not None:
            return self.activity_in(event, data)
        found = data.get(self.key)
        return found if isinstance(found, dict) else None

    def welcome_activity(self, item: dict[str, Any]) -> dict[str, Any] | None:
        """The activity object of a ``welcome``, as answerers take it."""
        return self.from_welcome(item) if self.from_welcome is not None else item

    def count_of(self, data: Any) -> tuple[str, int] | None:
        """(activity id, answers so far) of a live results payload."""
        if not isinstance(data, dict):
            return None
        if self.results_count is not None:
            return self.results_count(data)
        return str(data.get(self.id_field)), int(data.get(self.total_field, 0))

    def exported(self, items: list[dict[str, Any]]) -> dict[str, tuple[Any, Any]]:
        """Activity id -> (answers the server counted, answers listed) in the export."""
        if self.export_totals is not None:
            return self.export_totals(items)
        return {str(item.get("id")): self.export_answers(item) for item in items}


class CreatableSpec(ActivitySpec, Protocol):
    """An activity spec that says its ``create`` payload."""

    def payload(self) -> dict[str, Any]: ...


SpecT = TypeVar("SpecT", bound=CreatableSpec)


# -- what the kinds' presenter verbs share ------------------------------------------------
def spec_of(spec: ActivitySpec, spec_class: type[SpecT], noun: str) -> SpecT:
    """``spec`` as the kind's own spec class; TypeError naming the ``noun`` otherwise."""
    if not isinstance(spec, spec_class):
        raise TypeError(f"not a {noun}: {spec!r}")
    return spec


def created(
    staff: Staff, spec: CreatableSpec, event: str, key: str
) -> tuple[Activity, dict[str, Any]]:
    """A kind's ``create`` verb: ``spec``'s payload sent as ``event``; the new activity
    (the id of the ack's ``key`` object) and the ok ack."""
    ack, _ = staff.request(event, spec.payload())
    return Activity(spec.type, str(ack[key]["id"])), ack


def announced(
    staff: Staff, event: str, payload: dict[str, Any], broadcast: str, key: str
) -> dict[str, Any]:
    """A presenter verb every connected attendee must hear of: ``event`` sent, then
    ``broadcast`` about ``key`` (an activity id) expected of them; the ok ack."""
    ack, sent = staff.request(event, payload)
    staff.expect(broadcast, key, sent)
    return ack


@dataclass(frozen=True)
class RoundsScenario(Scenario):
    """A scenario whose activities each run in rounds (a quiz's questions, a session's
    pitches): its time limit gives every round the vote window and 30 s more."""

    #: the activity spec's field that counts its rounds (a spec without it: one)
    rounds_field: ClassVar[str] = "rounds"

    def time_limit_s(self, users: int) -> float:
        rounds = sum(getattr(spec, self.rounds_field, 1) for spec in self.activities)
        per_round = self.vote_window_s + 30.0
        return self.join_time_s(users) * 1.5 + 60.0 + per_round * rounds + self.extra_s


KINDS: dict[str, Kind] = {}


def register(kind: Kind) -> Kind:
    """Add a kind (its module does this when it is imported)."""
    if kind.type in KINDS:
        raise ValueError(f"activity kind {kind.type!r} is registered twice")
    KINDS[kind.type] = kind
    return kind


def get(type_: str) -> Kind | None:
    """The kind of activities of this ``type``, or None."""
    return KINDS.get(type_)
