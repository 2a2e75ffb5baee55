"""Live polls end to end: the real server on a free port, real Socket.IO clients over
real websockets, against both backends (memory and a real Redis)."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from plenary.text import clean_text, normalise_word
from tests.support import clients
from tests.support.clients import Client
from tests.support.server import RunningServer


async def staff_and_attendees(
    server: RunningServer, event: dict[str, str], n: int
) -> tuple[Client, list[Client]]:
    presenter = await clients.presenter(server.url, event["code"], event["presenter_key"])
    attendees = await asyncio.gather(
        *(clients.attendee(server.url, event["code"], f"A{i}") for i in range(n))
    )
    return presenter, list(attendees)


async def create_open(presenter: Client, screen_live: bool = False, **definition: Any) -> str:
    """Create and open a poll; ``screen_live``: turn its screen switch on first (big
    screens see live results before the reveal)."""
    created = await presenter.call("poll:create", definition)
    assert created["ok"], created
    poll_id: str = created["poll"]["id"]
    if screen_live:
        switched = await presenter.call("poll:screen", {"poll_id": poll_id, "live": True})
        assert switched["ok"] and switched["poll"]["screen_live"] is True, switched
    opened = await presenter.call("poll:open", {"poll_id": poll_id})
    assert opened["ok"] and opened["poll"]["status"] == "open", opened
    return poll_id


async def test_single_choice_poll_end_to_end(server: RunningServer, event: dict[str, str]) -> None:
    presenter, attendees = await staff_and_attendees(server, event, 5)
    screen = await clients.screen(server.url, event["code"])
    poll_id = await create_open(
        presenter,
        screen_live=True,
        question="Best season?",
        kind="single",
        options=["Spring", "Summer", "Autumn"],
    )
    for a in attendees:
        opened = await a.wait_for("poll:opened")
        assert opened["poll"]["id"] == poll_id
        assert [o["label"] for o in opened["poll"]["options"]] == ["Spring", "Summer", "Autumn"]
        assert isinstance(opened["ts"], int)
    choices = ["a", "b", "b", "c", "b"]
    acks = await asyncio.gather(
        *(a.vote(poll_id, c) for a, c in zip(attendees, choices, strict=True))
    )
    assert [ack["ok"] for ack in acks] == [True] * 5
    expected = {"a": 1, "b": 3, "c": 1}
    live = await presenter.wait_for("poll:results", lambda m: m["total"] == 5)
    assert live["counts"] == expected and live["poll_id"] == poll_id
    await screen.wait_for("poll:results", lambda m: m["total"] == 5)
    # Attendees see no results before the reveal.
    assert all(a.received["poll:results"] == [] for a in attendees)

    closed = await presenter.call("poll:close", {"poll_id": poll_id})
    assert closed["results"]["counts"] == expected and closed["results"]["total"] == 5
    staff_closed = await presenter.wait_for("poll:closed")
    assert staff_closed["results"]["counts"] == expected
    attendee_closed = await attendees[0].wait_for("poll:closed")
    assert attendee_closed["results"] is None
    final = await presenter.wait_for("poll:results", lambda m: m["final"])
    assert final["counts"] == expected and final["seq"] == closed["results"]["seq"]

    late = await attendees[0].vote(poll_id, "a")
    assert late["ok"] is False and late["error"]["code"] == "not_open"

    revealed = await presenter.call("poll:reveal", {"poll_id": poll_id})
    assert revealed["ok"] and revealed["poll"]["revealed"] is True
    for a in attendees:
        shown = await a.wait_for("poll:revealed")
        assert shown["results"]["counts"] == expected
    for c in [presenter, screen, *attendees]:
        await c.disconnect()


async def test_revealed_results_stream_to_attendees(
    server: RunningServer, event: dict[str, str]
) -> None:
    presenter, (voter, watcher) = await staff_and_attendees(server, event, 2)
    poll_id = await create_open(presenter, question="Rate it", kind="rating", scale=10)
    assert (await presenter.call("poll:reveal", {"poll_id": poll_id}))["ok"]
    assert (await voter.vote(poll_id, 7))["ok"]
    seen = await watcher.wait_for("poll:results", lambda m: m["total"] == 1)
    assert seen["counts"]["7"] == 1 and seen["mean"] == 7.0
    for c in (presenter, voter, watcher):
        await c.disconnect()


async def test_every_kind_counts_exactly(server: RunningServer, event: dict[str, str]) -> None:
    presenter, attendees = await staff_and_attendees(server, event, 4)
    cases: list[tuple[dict[str, Any], list[Any], dict[str, Any]]] = [
        (
            {"question": "Pick any", "kind": "multiple", "options": ["x", "y", "z"]},
            [["a", "b"], ["b"], ["c", "b"], ["a"]],
            {"counts": {"a": 2, "b": 3, "c": 1}, "total": 4},
        ),
        (
            {"question": "Rate", "kind": "rating"},
            [5, 4, 5, 1],
            {"counts": {"1": 1, "2": 0, "3": 0, "4": 1, "5": 2}, "total": 4, "mean": 3.75},
        ),
        (
            {"question": "One word", "kind": "wordcloud"},
            ["Hello", "  hello! ", "World", "HELLO"],
            {"counts": {"hello": 3, "world": 1}, "total": 4, "distinct": 2},
        ),
        (
            {"question": "Thoughts?", "kind": "open_text"},
            ["Great talk", "great   talk.", "More coffee please", "Great talk!"],
            {"counts": {"great talk": 3, "more coffee please": 1}, "total": 4, "distinct": 2},
        ),
    ]
    for definition, choices, expected in cases:
        poll_id = await create_open(presenter, **definition)
        acks = await asyncio.gather(
            *(a.vote(poll_id, c) for a, c in zip(attendees, choices, strict=True))
        )
        assert all(ack["ok"] for ack in acks), acks
        closed = await presenter.call("poll:close", {"poll_id": poll_id})
        results = {k: v for k, v in closed["results"].items() if k not in ("poll_id", "seq")}
        labels = results.pop("labels", None)
        assert results == expected, definition["kind"]
        if definition["kind"] in ("wordcloud", "open_text"):
            # Each entry is shown as one of the forms people typed, not as its key.
            assert labels is not None and set(labels) == set(expected["counts"])
            for key, label in labels.items():
                assert normalise_word(label) == key and label in {clean_text(c) for c in choices}
        else:
            assert labels is None
    for c in [presenter, *attendees]:
        await c.disconnect()


async def test_change_of_mind_and_retries_count_once(
    server: RunningServer, event: dict[str, str]
) -> None:
    presenter, (ada, bob) = await staff_and_attendees(server, event, 2)
    poll_id = await create_open(presenter, question="Q", kind="single", options=["x", "y"])
    first = await ada.vote(poll_id, "a", vote_id="ada-1")
    assert first == {"ok": True, "poll_id": poll_id, "choice": "a"}
    retry = await ada.vote(poll_id, "a", vote_id="ada-1")
    assert retry == {"ok": True, "poll_id": poll_id, "choice": "a", "duplicate": True}
    changed = await ada.vote(poll_id, "b", vote_id="ada-2")
    assert changed["ok"] and changed["choice"] == "b"
    stale_retry = await ada.vote(poll_id, "a", vote_id="ada-1")
    assert stale_retry["duplicate"] is True and stale_retry["choice"] == "b"
    assert (await bob.vote(poll_id, "b", vote_id="ada-1"))["ok"]
    closed = await presenter.call("poll:close", {"poll_id": poll_id})
    assert closed["results"]["counts"] == {"a": 0, "b": 2}
    assert closed["results"]["total"] == 2
    for c in (presenter, ada, bob):
        await c.disconnect()


async def test_reconnect_resumes_identity_and_answer(
    server: RunningServer, event: dict[str, str]
) -> None:
    presenter, (ada,) = await staff_and_attendees(server, event, 1)
    poll_id = await create_open(presenter, question="Q", kind="single", options=["x", "y"])
    welcome = ada.welcome
    token, attendee_id = welcome["token"], welcome["attendee"]["id"]
    assert welcome["attendee"]["name"] == "A0"
    assert (await ada.vote(poll_id, "b"))["ok"]
    await ada.disconnect()

    again = await clients.attendee(server.url, event["code"], name=None, token=token)
    resumed = again.welcome
    assert resumed["attendee"]["id"] == attendee_id
    assert resumed["attendee"]["name"] == "A0"
    assert resumed["token"] == token
    activity = resumed["activity"]
    assert activity["type"] == "poll"
    assert activity["poll"]["id"] == poll_id and activity["poll"]["status"] == "open"
    assert activity["poll"]["my_answer"] == "b"
    assert activity["poll"]["results"] is None
    # Changing the answer after resuming replaces, not adds.
    assert (await again.vote(poll_id, "a"))["ok"]
    closed = await presenter.call("poll:close", {"poll_id": poll_id})
    assert closed["results"]["counts"] == {"a": 1, "b": 0}
    state = await again.call("state:get")
    assert state["ok"] and state["state"]["activity"]["poll"]["status"] == "closed"
    assert state["state"]["token"] == token  # an attendee's own state carries its token
    await again.disconnect()
    await presenter.disconnect()


async def test_opening_a_poll_closes_the_open_one(
    server: RunningServer, event: dict[str, str]
) -> None:
    presenter, (ada,) = await staff_and_attendees(server, event, 1)
    first = await create_open(presenter, question="One", kind="single", options=["x", "y"])
    assert (await ada.vote(first, "a"))["ok"]
    second = await create_open(presenter, question="Two", kind="rating")
    closed = await ada.wait_for("poll:closed", lambda m: m["poll_id"] == first)
    assert closed["poll"]["status"] == "closed"
    await ada.wait_for("poll:opened", lambda m: m["poll"]["id"] == second)
    listing = await presenter.call("poll:list")
    statuses = {p["id"]: (p["status"], p["results"]["total"]) for p in listing["polls"]}
    assert statuses == {first: ("closed", 1), second: ("open", 0)}
    # Reopening keeps the answers.
    reopened = await presenter.call("poll:open", {"poll_id": first})
    assert reopened["poll"]["status"] == "open"
    assert (await presenter.call("poll:close", {"poll_id": first}))["results"]["total"] == 1
    await ada.disconnect()
    await presenter.disconnect()


async def test_results_are_coalesced_and_end_exact(
    server: RunningServer, event: dict[str, str]
) -> None:
    presenter, attendees = await staff_and_attendees(server, event, 40)
    poll_id = await create_open(presenter, question="Fast", kind="single", options=["x", "y"])
    await presenter.wait_for("poll:results", lambda m: m["poll_id"] == poll_id)
    presenter.received["poll:results"].clear()
    started = time.monotonic()
    # Every attendee votes three times in a row (changes of mind): 120 stored answers.
    for round_ in range(3):
        choice = "a" if round_ < 2 else "b"
        acks = await asyncio.gather(*(a.vote(poll_id, choice) for a in attendees))
        assert all(ack["ok"] for ack in acks)
    closed = await presenter.call("poll:close", {"poll_id": poll_id})
    elapsed = time.monotonic() - started
    assert closed["results"]["counts"] == {"a": 0, "b": 40}
    final = await presenter.wait_for("poll:results", lambda m: m["final"])
    assert final["counts"] == {"a": 0, "b": 40} and final["seq"] == 120
    live = [m for m in presenter.received["poll:results"] if not m["final"]]
    # 120 answers, yet at most one broadcast per 250 ms window (+1 for the first).
    assert 1 <= len(live) <= int(elapsed / 0.25) + 2, (len(live), elapsed)
    seqs = [m["seq"] for m in live]
    assert seqs == sorted(seqs)
    for c in [presenter, *attendees]:
        await c.disconnect()


async def test_staff_welcome_lists_polls_and_presence(
    server: RunningServer, event: dict[str, str]
) -> None:
    presenter, attendees = await staff_and_attendees(server, event, 3)
    poll_id = await create_open(
        presenter, screen_live=True, question="Q", kind="single", options=["x", "y"]
    )
    assert (await attendees[0].vote(poll_id, "a"))["ok"]
    await presenter.wait_for("presence", lambda m: m["online"] == 3 and m["joined"] == 3)
    screen = await clients.screen(server.url, event["code"])
    welcome = screen.welcome
    assert welcome["role"] == "screen"
    assert welcome["event"] == {"code": event["code"], "title": "Test event"}
    assert [p["id"] for p in welcome["polls"]] == [poll_id]
    assert welcome["polls"][0]["results"]["counts"] == {"a": 1, "b": 0}
    assert welcome["activity"]["poll"]["results"]["total"] == 1
    assert welcome["presence"] == {"online": 3, "joined": 3}
    await attendees[0].disconnect()
    await presenter.wait_for("presence", lambda m: m["online"] == 2 and m["joined"] == 3)
    for c in [presenter, screen, *attendees[1:]]:
        await c.disconnect()


async def test_state_broadcasts_carry_a_gapless_state_seq(
    server: RunningServer, event: dict[str, str]
) -> None:
    presenter, (ada,) = await staff_and_attendees(server, event, 1)
    poll_id = await create_open(presenter, question="Q", kind="rating")
    await presenter.call("poll:reveal", {"poll_id": poll_id})
    await presenter.call("poll:close", {"poll_id": poll_id})
    await presenter.call("poll:close", {"poll_id": poll_id})  # no change, no new seq
    await presenter.call("poll:open", {"poll_id": poll_id})
    opened = await ada.wait_for("poll:opened", lambda m: m["poll"]["state_seq"] == 4)
    seen = [
        ada.received["poll:opened"][0]["poll"]["state_seq"],
        ada.received["poll:revealed"][0]["poll"]["state_seq"],
        ada.received["poll:closed"][0]["poll"]["state_seq"],
        opened["poll"]["state_seq"],
    ]
    assert seen == [1, 2, 3, 4]
    assert len(ada.received["poll:closed"]) == 1
    await ada.disconnect()
    await presenter.disconnect()
