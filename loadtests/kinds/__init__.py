"""The registry of activity kinds in the load tests: one module per kind in this package
(``poll.py``, later ``quiz.py``, ...), each calling :func:`register` with its
:class:`Kind` (how an attendee answers it, which broadcasts it must receive, the
presenter's verbs) and registering its scenarios in :mod:`loadtests.scenarios`.

Nothing else names a kind: the users (``loadtests/users.py``) and the scenarios go over
this registry, so a kind adds its load test by adding its module. :mod:`loadtests.catalog`
imports every module of this package. This module imports none of them.

An activity object (what ``welcome``'s ``activity`` and the kind's broadcasts carry
under :attr:`Kind.key`) has an ``id``, a ``status`` (``open`` while it takes answers), a
``state_seq`` and, in an attendee's ``welcome``, ``my_answer`` (docs/protocol.md).
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from loadtests.scenarios import Activity, ActivitySpec


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


def _export_tally(item: dict[str, Any]) -> tuple[Any, Any]:
    return (item.get("results") or {}).get("total"), len(item.get("answers", []))


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
    #: what the activity object in an attendee's ``welcome`` says they answered
    my_answer: Callable[[dict[str, Any]], Any] = _my_answer
    #: the field of a :attr:`results` broadcast that counts the answers (the presenter
    #: waits on it)
    total_field: str = "total"
    #: a rule every message of this kind an attendee receives must follow: (message
    #: name, payload) -> what is wrong, or None. Each message that breaks it is a failed
    #: ``CHECK`` (e.g. a sealed ballot: nothing shows a count before the reveal)
    inspect: Callable[[str, Any], str | None] | None = None
    #: more messages attendees listen to, only to inspect them
    watched: tuple[str, ...] = ()
    #: an exported activity's total and number of answers, for the exact tally check
    export_tally: Callable[[dict[str, Any]], tuple[Any, Any]] = _export_tally
    #: more checks of the whole run, for the report's verdict: (the export, the
    #: presenter's entries of this kind's activities, the report folder) -> checks
    run_checks: Callable[[dict[str, Any], list[dict[str, Any]], Path], list[RunCheck]] | None = None

    @property
    def final_results(self) -> str:
        """The name under which the final results are expected and recorded."""
        return f"{self.results}:final"


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
