"""The presenter's running order, on both backends: drafts edited, polls duplicated,
deleted and reordered; word clouds of several words; a draft cannot be revealed; the
event ended from the console."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from plenary.settings import Limits
from tests.support import clients
from tests.support.clients import Client
from tests.support.server import RunningServer, running_server
from tests.test_polls_live import create_open


@pytest.fixture
async def server(redis_url: str | None) -> AsyncIterator[RunningServer]:
    """A presenter here sends more messages a second than the default limit allows."""
    limits = Limits(events_per_second=1000, events_burst=1000)
    async with running_server(redis_url, limits=limits) as running:
        yield running


async def create(presenter: Client, **definition: Any) -> dict[str, Any]:
    created = await presenter.call("poll:create", definition)
    assert created["ok"], created
    return created["poll"]  # type: ignore[no-any-return]


async def listing(presenter: Client) -> list[tuple[str, str]]:
    return [(p["id"], p["question"]) for p in (await presenter.call("poll:list"))["polls"]]


async def test_drafts_are_edited_duplicated_deleted_and_reordered(
    server: RunningServer, event: dict[str, str]
) -> None:
    host = await clients.presenter(server.url, event["code"], event["presenter_key"])
    screen = await clients.screen(server.url, event["code"])
    first = await create(host, question="Where from?", kind="single", options=["EU", "US"])
    second = await create(host, question="Rate it", kind="rating")

    edited = await host.call(
        "poll:update", {"poll_id": first["id"], "changes": {"options": ["EU", "US", "Asia"]}}
    )
    assert edited["ok"], edited
    assert [o["label"] for o in edited["poll"]["options"]] == ["EU", "US", "Asia"]
    assert edited["poll"]["question"] == "Where from?"
    # Another kind: the old kind's options go, the new kind's defaults come.
    switched = await host.call(
        "poll:update", {"poll_id": second["id"], "changes": {"kind": "wordcloud"}}
    )
    assert (switched["poll"]["kind"], switched["poll"]["max_words"]) == ("wordcloud", 3)
    assert switched["poll"]["scale"] is None
    for bad, code in [
        ({"poll_id": first["id"], "changes": {"options": ["only"]}}, "bad_request"),
        ({"poll_id": first["id"], "changes": {"kind": "nope"}}, "bad_request"),
        ({"poll_id": first["id"], "changes": {"question": "x" * 301}}, "too_long"),
        ({"poll_id": "p_nope", "changes": {"question": "x"}}, "not_found"),
        ({"poll_id": first["id"], "changes": {"question": 3}}, "bad_request"),
    ]:
        ack = await host.call("poll:update", bad)
        assert ack["error"]["code"] == code, (bad, ack)
    assert (await host.call("poll:list"))["polls"][0]["options"][2]["label"] == "Asia"

    copy = await host.call("poll:duplicate", {"poll_id": first["id"]})
    assert copy["ok"] and copy["poll"]["id"] != first["id"]
    assert copy["poll"]["status"] == "draft" and len(copy["poll"]["options"]) == 3
    assert await listing(host) == [
        (first["id"], "Where from?"),
        (copy["poll"]["id"], "Where from?"),
        (second["id"], "Rate it"),
    ]
    await screen.wait_for("poll:order", lambda m: m["order"][1] == copy["poll"]["id"])

    order = [second["id"], first["id"], copy["poll"]["id"]]
    assert (await host.call("poll:reorder", {"order": order}))["order"] == order
    assert [p for p, _ in await listing(host)] == order
    bad = await host.call("poll:reorder", {"order": order[:2]})
    assert bad["error"]["code"] == "bad_request"
    assert [p for p, _ in await listing(host)] == order

    # An opened poll is final: not edited, not deleted while open; deleted once closed,
    # with its answers.
    await host.call("poll:open", {"poll_id": first["id"]})
    ada = await clients.attendee(server.url, event["code"], "Ada")
    assert (await ada.vote(first["id"], "c"))["ok"]
    frozen = await host.call("poll:update", {"poll_id": first["id"], "changes": {"question": "x"}})
    assert frozen["error"]["code"] == "not_open"
    assert (await host.call("poll:delete", {"poll_id": first["id"]}))["error"][
        "code"
    ] == "forbidden"
    await host.call("poll:close", {"poll_id": first["id"]})
    deleted = await host.call("poll:delete", {"poll_id": first["id"]})
    assert deleted == {"ok": True, "poll_id": first["id"]}
    await screen.wait_for("poll:deleted", lambda m: m["poll_id"] == first["id"])
    # It was the poll on stage (closed): attendees are told it is gone too.
    await ada.wait_for("poll:deleted", lambda m: m["poll_id"] == first["id"])
    assert [p for p, _ in await listing(host)] == [second["id"], copy["poll"]["id"]]
    assert await server.services.store.list_answers(event["code"], first["id"]) == {}
    assert (await ada.vote(first["id"], "a"))["error"]["code"] == "not_found"
    assert (await host.call("poll:delete", {"poll_id": first["id"]}))["error"][
        "code"
    ] == "not_found"
    # Attendees never hear about drafts and edits, nor of deleting a poll not shown.
    assert ada.received["poll:created"] == []
    assert (await host.call("poll:delete", {"poll_id": copy["poll"]["id"]}))["ok"]
    await screen.wait_for("poll:deleted", lambda m: m["poll_id"] == copy["poll"]["id"])
    assert [m["poll_id"] for m in ada.received["poll:deleted"]] == [first["id"]]
    for c in (host, screen, ada):
        await c.disconnect()


async def test_a_word_cloud_takes_up_to_its_number_of_words(
    server: RunningServer, event: dict[str, str]
) -> None:
    host = await clients.presenter(server.url, event["code"], event["presenter_key"])
    poll_id = await create_open(host, question="Three words", kind="wordcloud")
    ada = await clients.attendee(server.url, event["code"], "Ada")
    bob = await clients.attendee(server.url, event["code"], "Bob")
    assert (await ada.vote(poll_id, ["Green", "fast", "Fun"]))["ok"]
    assert (await bob.vote(poll_id, "green"))["ok"]  # one word, as before
    for choice, code in [
        (["a", "b", "c", "d"], "bad_choice"),
        (["Green", "green"], "bad_choice"),
        ([], "bad_request"),
        (["ok", 3], "bad_request"),
        (["x" * 41], "too_long"),
    ]:
        ack = await bob.vote(poll_id, choice)
        assert ack["error"]["code"] == code, (choice, ack)
    closed = await host.call("poll:close", {"poll_id": poll_id})
    results = closed["results"]
    assert results["counts"] == {"green": 2, "fast": 1, "fun": 1}
    assert results["total"] == 2
    assert results["labels"] == {"green": "Green", "fast": "fast", "fun": "Fun"}

    too_many = await host.call(
        "poll:create", {"question": "Q", "kind": "wordcloud", "max_words": 11}
    )
    assert too_many["error"]["code"] == "bad_request"
    not_cloud = await host.call("poll:create", {"question": "Q", "kind": "rating", "max_words": 2})
    assert not_cloud["error"]["code"] == "bad_request"
    one = await create(host, question="One word", kind="wordcloud", max_words=1)
    await host.call("poll:open", {"poll_id": one["id"]})
    assert (await ada.vote(one["id"], ["a", "b"]))["error"]["code"] == "bad_choice"
    for c in (host, ada, bob):
        await c.disconnect()


async def test_a_draft_is_not_revealed(server: RunningServer, event: dict[str, str]) -> None:
    host = await clients.presenter(server.url, event["code"], event["presenter_key"])
    draft = await create(host, question="Later", kind="rating")
    ack = await host.call("poll:reveal", {"poll_id": draft["id"]})
    assert ack["error"]["code"] == "not_open"
    (poll,) = (await host.call("poll:list"))["polls"]
    assert poll["revealed"] is False
    await host.disconnect()


async def test_the_console_ends_the_event(server: RunningServer, event: dict[str, str]) -> None:
    code = event["code"]
    room = await host_room(server, event)
    host = await clients.presenter(server.url, code, event["presenter_key"])
    room_host = await clients.presenter(server.url, code, room["presenter_key"])
    ada = await clients.attendee(server.url, code, "Ada", room=room["room"]["id"])
    poll_id = await create_open(room_host, question="Open?", kind="rating")

    refused = await room_host.call("event:end", {"confirm": code})
    assert refused["error"]["code"] == "forbidden"
    wrong = await host.call("event:end", {"confirm": "ZZZZZZ"})
    assert wrong["error"]["code"] == "bad_request"
    assert await server.services.store.get_event(code) is not None
    assert (await server.services.store.get_event(code)).ended_at is None  # type: ignore[union-attr]

    ended = await host.call("event:end", {"confirm": code.lower()})
    assert ended["ok"] and isinstance(ended["ended_at"], int)
    # Every room hears it, and what was on stage there was closed first.
    closing = await ada.wait_for("poll:closed")
    assert closing["poll_id"] == poll_id
    await ada.wait_for("event:ended")
    for c in (host, room_host, ada):
        await c.disconnect()


async def host_room(server: RunningServer, event: dict[str, str]) -> dict[str, Any]:
    from tests.test_rooms_live import add_room

    return await add_room(server, event, "Breakout")
