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
attendee. When those others are all integers or booleans (a quiz result's points,
score, rank and verdict) a row is encoded by formatting it into one template, which
costs a third of making a dict of it and encoding that.
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
    (``payloads``).

    When every field of ``fields`` holds integers only or booleans only, ``template``
    is their JSON object with a ``%d`` or ``%s`` for each value, and the booleans are
    in ``rows`` as their JSON (``b"true"``, ``b"false"``): a row is then encoded with
    one ``template % tuple(row)``."""
    payloads = list(per_attendee.values())
    if not payloads:
        return {"common": {}, "fields": [], "rows": {}}
    keys = list(payloads[0])
    if any(len(p) != len(keys) or any(k not in p for k in keys) for p in payloads):
        return {"payloads": {aid: dict(p) for aid, p in per_attendee.items()}}
    first = payloads[0]
    common = {k: first[k] for k in keys if _shared_by_all(payloads, k, first[k])}
    fields = [k for k in keys if k not in common]
    rows = {aid: [p[k] for k in fields] for aid, p in per_attendee.items()}
    formats = _formats(payloads, fields)
    if formats is None:
        return {"common": common, "fields": fields, "rows": rows}
    flags = [i for i, f in enumerate(formats) if f == b"%s"]
    if flags:
        for row in rows.values():
            for i in flags:
                row[i] = b"true" if row[i] else b"false"
    members = (
        encode_json(k).replace(b"%", b"%%") + b":" + f for k, f in zip(fields, formats, strict=True)
    )
    template = b"{" + b",".join(members) + b"}"
    return {"common": common, "fields": fields, "rows": rows, "template": template}


def _shared_by_all(payloads: list[Mapping[str, Any]], key: str, value: Any) -> bool:
    """Whether every payload's ``key`` encodes as ``value`` does: equal and of its type
    (``1 == True`` in Python, not in JSON). Containers are never shared (``[1]`` equals
    ``[True]``, and comparing encodings would cost more than it saves)."""
    kind = type(value)
    if kind is list or kind is dict or kind is tuple:
        return False
    return all(type(v) is kind and v == value for v in (p[key] for p in payloads))


def _formats(payloads: list[Mapping[str, Any]], fields: list[str]) -> list[bytes] | None:
    """The format of each field for :func:`as_columns`' template (``%d`` for a field
    of integers, ``%s`` for one of booleans), or None if a field holds anything else
    or is named by anything but a string."""
    if not fields:
        return None
    formats = []
    for k in fields:
        kind = type(payloads[0][k])
        if type(k) is not str or (kind is not int and kind is not bool):
            return None  # a key the standard library would quote, or a value to encode
        if any(type(p[k]) is not kind for p in payloads):
            return None
        formats.append(b"%d" if kind is int else b"%s")
    return formats


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
    rows: Mapping[str, list[Any]] = shared["rows"]
    template: bytes | None = shared.get("template")
    if template is not None:
        for aid in attendee_ids:
            row = rows.get(aid)
            if row is not None:
                yield aid, (common, template % tuple(row))
        return
    fields: list[str] = shared["fields"]
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
