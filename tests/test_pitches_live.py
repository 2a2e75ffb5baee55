"""Pitch sessions end to end, on both backends: the running order, the pitch on now
pushed to everyone with its timer, star ratings and feedback on the pitch on now and
earlier ones (changeable until the close, retries counted once), jurors' structured
scores, live averages to the presenters only, and the exports (the session's, and one
pitch's feedback for its pitcher)."""

from __future__ import annotations

import asyncio
import json
import uuid
from typing import Any

import aiohttp

from tests.support import clients
from tests.support.clients import Client
from tests.support.server import RunningServer

PITCHES = [
    {"title": "Solar roofs", "organisation": "SunCo", "speaker": "Ana"},
    {"title": "Bike lanes", "organisation": "CycleOrg", "speaker": "Bo"},
    {"title": "Heat pumps", "organisation": "WarmCo", "speaker": "Cy", "description": "Cheap heat"},
]


async def give(client: Client, event: str, session_id: str, pitch: str, **fields: Any) -> Any:
    payload = {"session_id": session_id, "pitch_id": pitch, "vote_id": uuid.uuid4().hex, **fields}
    return await client.call(event, payload)


async def test_a_pitch_session_end_to_end(server: RunningServer, event: dict[str, str]) -> None:
    code = event["code"]
    presenter = await clients.presenter(server.url, code, event["presenter_key"])
    screen = await clients.screen(server.url, code)
    ada, bob, jury = await asyncio.gather(
        *(clients.attendee(server.url, code, n) for n in ("Ada", "Bob", "Judge Jo"))
    )
    created = await presenter.call(
        "pitch:create",
        {
            "title": "Pitch night",
            "pitches": PITCHES,
            "criteria": ["Impact", "Team"],
            "timer_s": 180,
        },
    )
    assert created["ok"], created
    sid = created["session"]["id"]
    assert [p["id"] for p in created["session"]["pitches"]] == ["p1", "p2", "p3"]
    # Nothing to rate before the session is open and a pitch is on.
    early = await give(ada, "pitch:rate", sid, "p1", stars=5)
    assert early["ok"] is False and early["error"]["code"] == "not_open"
    assert (await presenter.call("pitch:open", {"session_id": sid}))["ok"]
    jurors = await presenter.call(
        "pitch:jurors", {"session_id": sid, "jurors": [jury.welcome["attendee"]["id"]]}
    )
    assert jurors["ok"] and jurors["session"]["jurors"] == [jury.welcome["attendee"]["id"]]
    now = await presenter.call("pitch:now", {"session_id": sid, "pitch_id": "p1"})
    assert now["session"]["now"] == "p1" and now["session"]["now_timer_s"] == 180
    for watcher in (ada, bob, screen):
        pushed = await watcher.wait_for("pitch:now")
        assert pushed["session"]["now"] == "p1" and isinstance(pushed["session"]["now_at"], int)

    assert (await give(ada, "pitch:rate", sid, "p1", stars=5))["ok"]
    later = await give(ada, "pitch:rate", sid, "p2", stars=4)
    assert later["ok"] is False and later["error"]["code"] == "not_open"  # not on yet
    await presenter.call("pitch:now", {"session_id": sid, "pitch_id": "p2", "timer_s": 60})
    # An earlier pitch can still be rated, and a rating changed; a retry counts once.
    first = await give(bob, "pitch:rate", sid, "p1", stars=2, vote_id="bob-1")
    assert first == {"ok": True, "session_id": sid, "pitch_id": "p1", "ratings": 2}
    assert (await give(bob, "pitch:rate", sid, "p2", stars=3))["ok"]
    assert (await give(bob, "pitch:rate", sid, "p1", stars=4))["ok"]  # changed: 2 -> 4
    retry = await give(bob, "pitch:rate", sid, "p1", stars=2, vote_id="bob-1")
    assert retry["duplicate"] is True and retry["ratings"] == 4
    assert (await give(ada, "pitch:feedback", sid, "p1", text="  Loved   the demo "))["ok"]
    assert (await give(bob, "pitch:feedback", sid, "p1", text="Clear numbers"))["ok"]
    scored = await give(jury, "pitch:jury", sid, "p1", scores={"k1": 8, "k2": 6}, comment="Bold")
    assert scored["ok"] and scored["jury"] == {"scores": {"k1": 8, "k2": 6}, "comment": "Bold"}
    not_juror = await give(ada, "pitch:jury", sid, "p1", scores={"k1": 8, "k2": 6})
    assert not_juror["error"]["code"] == "forbidden"
    for bad, code_ in (({"stars": 6}, "bad_choice"), ({"stars": "5"}, "bad_choice")):
        ack = await give(ada, "pitch:rate", sid, "p1", **bad)
        assert ack["ok"] is False and ack["error"]["code"] == code_
    unknown = await give(ada, "pitch:rate", sid, "p9", stars=3)
    assert unknown["error"]["code"] == "bad_choice"

    # Live averages reach the presenters, never the attendees or the screen.
    live = await presenter.wait_for(
        "pitch:ratings",
        lambda m: m["ratings"]["p1"]["count"] == 2 and m["ratings"]["p2"]["count"] == 1,
    )
    assert live["ratings"]["p1"]["average"] == 4.5 and live["ratings"]["p2"]["average"] == 3.0
    for watcher in (ada, bob, jury, screen):
        assert watcher.received["pitch:ratings"] == []
        assert all(
            "ratings" not in json.dumps(d.get("session", {}))
            for n, d in watcher.frames
            if n.startswith("pitch:")
        )
    mine = (await bob.call("state:get"))["state"]["activity"]["session"]["mine"]
    assert mine["ratings"] == {"p1": 4, "p2": 3} and mine["feedback"] == {"p1": "Clear numbers"}

    closed = await presenter.call("pitch:close", {"session_id": sid})
    view = closed["session"]
    assert view["status"] == "closed"
    assert view["ratings"]["p1"]["stars"] == {"1": 0, "2": 0, "3": 0, "4": 1, "5": 1}
    assert view["jury"]["p1"] == {"jurors": 1, "averages": {"k1": 8.0, "k2": 6.0}}
    assert view["feedback_count"] == {"p1": 2, "p2": 0, "p3": 0}
    final = await presenter.wait_for("pitch:ratings", lambda m: m["final"])
    assert final["ratings"] == view["ratings"]
    assert (await give(ada, "pitch:rate", sid, "p2", stars=1))["error"]["code"] == "not_open"

    # One pitch's feedback, for its pitcher: ratings, texts, the jury's signed scores.
    mail = await presenter.call("pitch:export", {"session_id": sid, "pitch_id": "p1"})
    assert mail["feedback"]["pitch"]["title"] == "Solar roofs"
    assert mail["feedback"]["ratings"]["average"] == 4.5
    assert mail["feedback"]["feedback"] == ["Clear numbers", "Loved the demo"]
    assert mail["feedback"]["jury"] == [
        {"juror": "Judge Jo", "scores": {"k1": 8, "k2": 6}, "comment": "Bold"}
    ]
    async with (
        aiohttp.ClientSession() as http,
        http.get(
            f"{server.url}/api/events/{code}/export",
            headers={"Authorization": f"Bearer {event['presenter_key']}"},
        ) as response,
    ):
        document = json.loads(await response.text())
    [item] = document["pitch_sessions"]
    assert item["pitches_feedback"][0] == mail["feedback"]
    text = json.dumps(item)
    for person in (ada, bob):  # ratings and feedback are anonymous
        assert person.welcome["attendee"]["id"] not in text
    for c in (presenter, screen, ada, bob, jury):
        await c.disconnect()


async def test_a_session_makes_way_for_another_activity(
    server: RunningServer, event: dict[str, str]
) -> None:
    code = event["code"]
    presenter = await clients.presenter(server.url, code, event["presenter_key"])
    ada = await clients.attendee(server.url, code, "Ada")
    sid = (await presenter.call("pitch:create", {"title": "T", "pitches": PITCHES[:1]}))["session"][
        "id"
    ]
    await presenter.call("pitch:open", {"session_id": sid})
    await presenter.call("pitch:now", {"session_id": sid, "pitch_id": "p1"})
    assert (await give(ada, "pitch:rate", sid, "p1", stars=3))["ok"]
    ballot = await presenter.call(
        "ballot:create",
        {
            "title": "Best pitch",
            "method": "plurality",
            "candidates": [{"name": "A"}, {"name": "B"}],
        },
    )
    assert (await presenter.call("ballot:open", {"ballot_id": ballot["ballot"]["id"]}))["ok"]
    closed = await ada.wait_for("pitch:closed")
    assert closed["session"]["status"] == "closed"
    listed = (await presenter.call("pitch:list"))["sessions"]
    assert listed[0]["status"] == "closed" and listed[0]["ratings"]["p1"]["count"] == 1
    for bad, code_ in (
        ({"title": "T", "pitches": []}, "bad_request"),
        ({"title": "T", "pitches": PITCHES, "criteria": ["A", "A"]}, "bad_request"),
    ):
        assert (await presenter.call("pitch:create", bad))["error"]["code"] == code_
    assert (await ada.call("pitch:create", {"title": "T", "pitches": PITCHES}))["error"][
        "code"
    ] == "forbidden"
    for c in (presenter, ada):
        await c.disconnect()


async def test_the_pitch_timer_restarts_and_stops(
    server: RunningServer, event: dict[str, str]
) -> None:
    code = event["code"]
    presenter = await clients.presenter(server.url, code, event["presenter_key"])
    screen = await clients.screen(server.url, code)
    ada = await clients.attendee(server.url, code, "Ada")
    sid = (await presenter.call("pitch:create", {"title": "T", "pitches": PITCHES[:2]}))["session"][
        "id"
    ]
    early = await presenter.call("pitch:timer", {"session_id": sid, "timer_s": 60})
    assert early["ok"] is False and early["error"]["code"] == "not_open"
    await presenter.call("pitch:open", {"session_id": sid})
    no_pitch = await presenter.call("pitch:timer", {"session_id": sid, "timer_s": 60})
    assert no_pitch["error"]["code"] == "not_open"  # no pitch is on yet
    on = await presenter.call("pitch:now", {"session_id": sid, "pitch_id": "p1"})
    assert on["session"]["now_timer_s"] is None  # the session has no timer of its own
    started = await presenter.call("pitch:timer", {"session_id": sid, "timer_s": 90})
    assert started["session"]["now"] == "p1" and started["session"]["now_timer_s"] == 90
    assert started["session"]["now_at"] >= on["session"]["now_at"]
    pushed = await screen.wait_for("pitch:timer")
    assert pushed["session"]["now_timer_s"] == 90 and "ratings" not in pushed["session"]
    stopped = await presenter.call("pitch:timer", {"session_id": sid, "timer_s": None})
    assert stopped["session"]["now_timer_s"] is None
    await ada.wait_for("pitch:timer", lambda m: m["session"]["now_timer_s"] is None)
    for bad in (0, 3601, "60"):
        ack = await presenter.call("pitch:timer", {"session_id": sid, "timer_s": bad})
        assert ack["ok"] is False and ack["error"]["code"] == "bad_request", ack
    assert (await ada.call("pitch:timer", {"session_id": sid, "timer_s": 5}))["error"][
        "code"
    ] == "forbidden"
    # The attendees, to name jurors from.
    listed = await presenter.call("pitch:attendees")
    assert listed["attendees"] == [
        {"id": ada.welcome["attendee"]["id"], "name": "Ada", "organisation": None, "country": None}
    ]
    for c in (presenter, screen, ada):
        await c.disconnect()
