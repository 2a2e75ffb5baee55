"""Personal messages built where they are delivered.

A batch of personal messages (a quiz result for every player, a café table for every
attendee) is mostly made of a little data many of them share. Rather than each message
crossing Redis to the process that holds its attendee's connection, the data they are
made of crosses once and every process builds its own attendees' messages from it with
the :data:`PersonalBuilder` the message's kind registered
(:meth:`~plenary.realtime.broadcast.Broadcaster.build_personal`). Builders are pure:
plain data (what msgpack carries) in, payloads out.

:func:`as_columns` and :func:`from_columns` are the builder for batches with nothing
else in common: the fields every payload shares once, the others as one row per
attendee.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping
from typing import Any

import orjson

#: A payload encoded as a compact JSON object less the bytes from one offset to another
#: (``(encoded, start, end)``, a span inside the braces): builders that make many
#: payloads from one object (a table's assignment, less each member's own card) pass
#: the same object for all of them, and the broadcaster splices each into its frame in
#: one copy (see :func:`~plenary.realtime.wire.frames.stamped_frames`).
Cut = tuple[bytes, int, int]

#: A payload encoded as two compact JSON objects whose members together make it: the
#: first shared by many payloads (what every player's quiz result says alike), the second
#: the reader's own. The broadcaster stamps the first once and splices each second after
#: it (see :func:`~plenary.realtime.wire.frames.merged_frames`).
Merged = tuple[bytes, bytes]

#: A personal message's payload, without ``ts`` (the broadcaster adds it): a fresh dict,
#: or a compact JSON object already encoded (:func:`encode_json`), whole, less a span
#: (:data:`Cut`) or in two parts (:data:`Merged`).
Payload = dict[str, Any] | bytes | Cut | Merged

#: (the shared data, the attendee ids connected to this process) -> (attendee id,
#: payload) for each of them the batch has a message for, usually a generator: the
#: broadcaster frames each payload as it comes, and writes them all once all are
#: framed (see :meth:`~plenary.realtime.wire.manager.LocalManager.emit_frames`).
PersonalBuilder = Callable[[Any, Collection[str]], Iterable[tuple[str, Payload]]]


def encode_json(value: Any) -> bytes:
    """``value`` as compact JSON (UTF-8), for payloads built as bytes; what orjson
    refuses (a lone surrogate in a name) is encoded by the standard library, escaped."""
    try:
        return orjson.dumps(value)
    except TypeError:
        return json.dumps(value, separators=(",", ":")).encode()


def decoded(payload: Payload) -> dict[str, Any]:
    """A payload in any of its forms as the dict its JSON says (for welcomes and tests)."""
    if isinstance(payload, dict):
        return payload
    if isinstance(payload, bytes):
        return dict(json.loads(payload))
    if len(payload) == 3:
        encoded, start, end = payload
        return dict(json.loads(encoded[:start] + encoded[end:]))
    shared, own = payload
    return {**json.loads(shared), **json.loads(own)}


def as_columns(per_attendee: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    """``per_attendee`` (attendee id -> payload) as the fields every payload has with
    the same value (``common``), the names of the others (``fields``) and each
    attendee's values of those (``rows``). Payloads with different keys are kept whole
    (``payloads``)."""
    payloads = list(per_attendee.values())
    if not payloads:
        return {"common": {}, "fields": [], "rows": {}}
    keys = list(payloads[0])
    if any(len(p) != len(keys) or any(k not in p for k in keys) for p in payloads):
        return {"payloads": {aid: dict(p) for aid, p in per_attendee.items()}}
    first = payloads[0]
    common = {k: first[k] for k in keys if all(p[k] == first[k] for p in payloads)}
    fields = [k for k in keys if k not in common]
    rows = {aid: [p[k] for k in fields] for aid, p in per_attendee.items()}
    return {"common": common, "fields": fields, "rows": rows}


def from_columns(
    shared: Mapping[str, Any], attendee_ids: Collection[str]
) -> Iterator[tuple[str, Payload]]:
    """The :data:`PersonalBuilder` of :func:`as_columns`' form: the fields every payload
    shares encoded once, each attendee's own encoded after them (:data:`Merged`)."""
    whole = shared.get("payloads")
    if whole is not None:
        for aid in attendee_ids:
            if aid in whole:
                yield aid, dict(whole[aid])
        return
    common = encode_json(shared["common"])
    fields: list[str] = shared["fields"]
    rows: Mapping[str, list[Any]] = shared["rows"]
    dumps = orjson.dumps  # encode_json's first try, without its call per attendee
    for aid in attendee_ids:
        row = rows.get(aid)
        if row is not None:
            own = dict(zip(fields, row, strict=True))
            try:
                encoded = dumps(own)
            except TypeError:
                encoded = encode_json(own)
            yield aid, (common, encoded)
