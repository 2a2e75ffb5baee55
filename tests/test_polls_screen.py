"""Reveal governs the big screen, on both backends: before ``poll:reveal`` a screen gets
no results at all (read from the wire: every frame a screen receives, broadcasts,
acks, welcomes), unless the poll's screen switch (``poll:screen``) is on; presenters
always see live results; presenters and screens are separate audiences."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import aiohttp

from tests.support import clients
from tests.support.raw_socketio import RawClient
from tests.support.server import RunningServer


async def until(raw: RawClient, event: str, predicate: Callable[[Any], bool]) -> None:
    """Wait until ``raw`` received a message ``event`` for which ``predicate`` holds."""
    while not any(predicate(m) for m in raw.received(event)):
        await raw.wait_for(event, count=len(raw.received(event)) + 1)


def payloads(frames: list[str]) -> list[Any]:
    """The JSON of every Socket.IO event and ack frame: ``[name, data]`` or ``[ack]``."""
    return [json.loads(f[f.index("[") :]) for f in frames if f.startswith(("42", "43"))]


def results_in(value: Any) -> list[Any]:
    """Every results object anywhere in ``value``: a non-null ``results`` or ``counts``."""
    found: list[Any] = []
    if isinstance(value, dict):
        for key, item in value.items():
            if key in ("results", "counts") and item is not None:
                found.append(item)
            found += results_in(item)
    elif isinstance(value, list):
        for item in value:
            found += results_in(item)
    return found


async def test_a_screen_sees_no_results_before_the_reveal(
    server: RunningServer, event: dict[str, str]
) -> None:
    code = event["code"]
    presenter = await clients.presenter(server.url, code, event["presenter_key"])
    people = [await clients.attendee(server.url, code, f"P{i}") for i in range(3)]
    async with aiohttp.ClientSession() as http:
        screen = await RawClient(http, server.url).connect({"event": code, "role": "screen"})
        for kind, spec, choices in (
            ("single", {"options": ["x", "y"]}, ["a", "b", "a"]),
            ("rating", {"scale": 5}, [4, 5, 4]),
            ("wordcloud", {}, [["sun"], ["Sun", "sea"], ["rain"]]),
            ("open_text", {}, ["Great", "great!", "Long"]),
        ):
            created = await presenter.call("poll:create", {"question": kind, "kind": kind, **spec})
            poll_id = created["poll"]["id"]
            assert created["poll"]["screen_live"] is False
            assert (await presenter.call("poll:open", {"poll_id": poll_id}))["ok"]
            for person, choice in zip(people, choices, strict=True):
                assert (await person.vote(poll_id, choice))["ok"]
            # Presenters see the live results...
            live = await presenter.wait_for(
                "poll:results", lambda m, p=poll_id: m["poll_id"] == p and m["total"] == 3
            )
            assert live["final"] is False
            # ... a screen asking for the state gets none, nor does a new screen.
            state = await screen.call("state:get", {})
            assert state["state"]["activity"]["poll"]["results"] is None
            assert all(p["results"] is None for p in state["state"]["polls"])
            listed = await screen.call("poll:list", {})
            assert listed["ok"] and all(p["results"] is None for p in listed["polls"])
            fresh = await clients.screen(server.url, code)
            assert results_in(fresh.welcome) == []
            closed = await presenter.call("poll:close", {"poll_id": poll_id})
            assert closed["results"]["total"] == 3
            await until(screen, "poll:closed", lambda m, p=poll_id: m["poll_id"] == p)
            # Every frame so far: no results of any poll, ever.
            assert results_in(payloads(screen.frames)) == []
            assert screen.received("poll:results") == []
            assert screen.received("poll:closed")[-1]["results"] is None
            await fresh.disconnect()

            # The reveal: the screen gets the results, and later welcomes carry them.
            revealed = await presenter.call("poll:reveal", {"poll_id": poll_id})
            await until(screen, "poll:revealed", lambda m, p=poll_id: m["poll_id"] == p)
            shown = screen.received("poll:revealed")[-1]
            assert shown["results"] == revealed["results"] and shown["results"]["total"] == 3
            state = await screen.call("state:get", {})
            assert state["state"]["activity"]["poll"]["results"]["total"] == 3
            # Reopened after the reveal: live results reach the screen.
            assert (await presenter.call("poll:open", {"poll_id": poll_id}))["ok"]
            assert (await people[0].vote(poll_id, choices[1]))["ok"]
            await screen.wait_for("poll:results")
            assert all(m["poll_id"] == poll_id for m in screen.received("poll:results"))
            assert (await presenter.call("poll:close", {"poll_id": poll_id}))["ok"]
            # Everything about this poll has arrived once its final results have. Then
            # it goes, so that the next poll's frames are about the next poll only.
            await until(screen, "poll:results", lambda m: m["final"])
            assert (await presenter.call("poll:delete", {"poll_id": poll_id}))["ok"]
            await until(screen, "poll:deleted", lambda m, p=poll_id: m["poll_id"] == p)
            screen.frames.clear()
            screen.events.clear()
        await screen.close()
    for c in (presenter, *people):
        await c.disconnect()


async def test_the_screen_switch_shows_live_results_on_the_screen(
    server: RunningServer, event: dict[str, str]
) -> None:
    code = event["code"]
    presenter = await clients.presenter(server.url, code, event["presenter_key"])
    screen = await clients.screen(server.url, code)
    hidden_from = await clients.screen(server.url, code)  # a second screen, same room
    ada = await clients.attendee(server.url, code, "Ada")
    bob = await clients.attendee(server.url, code, "Bob")
    created = await presenter.call(
        "poll:create", {"question": "Lunch?", "kind": "single", "options": ["Pizza", "Salad"]}
    )
    poll_id = created["poll"]["id"]
    assert (await presenter.call("poll:open", {"poll_id": poll_id}))["ok"]
    assert (await ada.vote(poll_id, "a"))["ok"]
    await presenter.wait_for("poll:results", lambda m: m["total"] == 1)

    switched = await presenter.call("poll:screen", {"poll_id": poll_id, "live": True})
    assert switched["ok"] and switched["poll"]["screen_live"] is True
    for watcher in (screen, hidden_from):
        on = await watcher.wait_for("poll:updated", lambda m: m["poll"]["screen_live"])
        assert on["poll"]["state_seq"] == switched["poll"]["state_seq"]
        # The current results at once, then live.
        now = await watcher.wait_for("poll:results", lambda m: m["total"] == 1)
        assert now["counts"] == {"a": 1, "b": 0}
    # Attendees hear of the change (their copy's state_seq stays gapless), not results.
    change = await ada.wait_for("poll:updated")
    assert change["poll"]["state_seq"] == switched["poll"]["state_seq"]
    assert (await bob.vote(poll_id, "b"))["ok"]
    live = await screen.wait_for("poll:results", lambda m: m["total"] == 2)
    assert live["counts"] == {"a": 1, "b": 1}
    assert ada.received["poll:results"] == [] and bob.received["poll:results"] == []
    state = await screen.call("state:get")
    assert state["state"]["activity"]["poll"]["results"]["total"] == 2

    # Off again: the screens stop getting results (shown by a later message to them).
    off = await presenter.call("poll:screen", {"poll_id": poll_id, "live": False})
    assert off["poll"]["screen_live"] is False
    await screen.wait_for("poll:updated", lambda m: m["poll"]["screen_live"] is False)
    before = len(screen.received["poll:results"])
    assert (await ada.vote(poll_id, "b"))["ok"]
    await presenter.wait_for("poll:results", lambda m: m["counts"] == {"a": 0, "b": 2})
    marker = await presenter.call("poll:create", {"question": "Marker", "kind": "rating"})
    await screen.wait_for("poll:created", lambda m: m["poll"]["id"] == marker["poll"]["id"])
    assert len(screen.received["poll:results"]) == before
    assert (await screen.call("state:get"))["state"]["activity"]["poll"]["results"] is None
    # The same switch again changes nothing and sends nothing.
    again = await presenter.call("poll:screen", {"poll_id": poll_id, "live": False})
    assert again["poll"]["state_seq"] == off["poll"]["state_seq"]
    closed = await presenter.call("poll:close", {"poll_id": poll_id})
    shown = await screen.wait_for("poll:closed")
    assert shown["results"] is None and closed["results"]["total"] == 2
    for c in (presenter, screen, hidden_from, ada, bob):
        await c.disconnect()


async def test_presenters_and_screens_are_separate_audiences(
    server: RunningServer, event: dict[str, str]
) -> None:
    code = event["code"]
    presenter = await clients.presenter(server.url, code, event["presenter_key"])
    screen = await clients.screen(server.url, code)
    ada = await clients.attendee(server.url, code, "Ada")
    created = await presenter.call("poll:create", {"question": "Word?", "kind": "wordcloud"})
    poll_id = created["poll"]["id"]
    # A screen sees drafts being created (its list), never presenter-only fields.
    made = await screen.wait_for("poll:created")
    assert made["poll"]["id"] == poll_id and "blocked_words" not in made["poll"]
    assert created["poll"]["blocked_words"] == []
    assert ada.received["poll:created"] == []
    assert (await presenter.call("poll:open", {"poll_id": poll_id}))["ok"]
    assert (await ada.vote(poll_id, ["one"]))["ok"]
    await presenter.wait_for("poll:results", lambda m: m["total"] == 1)
    # The screen's proof that it heard everything sent before: the next poll:created.
    marker = await presenter.call("poll:create", {"question": "Marker", "kind": "rating"})
    await screen.wait_for("poll:created", lambda m: m["poll"]["id"] == marker["poll"]["id"])
    assert screen.received["poll:results"] == []
    opened = await screen.wait_for("poll:opened")
    assert opened["poll"]["screen_live"] is False and "blocked_words" not in opened["poll"]
    staff_opened = await presenter.wait_for("poll:opened")
    assert staff_opened["poll"]["blocked_words"] == []
    for c in (presenter, screen, ada):
        await c.disconnect()
