"""World café end to end: the real server on a free port, real Socket.IO clients over
real websockets, against both backends (memory and a real Redis), and two `plenary
serve` processes sharing one Redis. Creating and checking a café, starting it, rounds
whose tables agree with what each person is told, reconnects, latecomers, harvests, the
round's clock, the end, the export."""

from __future__ import annotations

import asyncio
import csv
import io
import itertools
import logging
from collections import Counter
from collections.abc import AsyncIterator, Iterator, Sequence
from typing import Any

import aiohttp
import pytest

from plenary.activities.cafe.limits import CafeLimits
from plenary.settings import Limits
from tests.support import clients
from tests.support.clients import Client
from tests.support.redis_proc import RedisProcess
from tests.support.server import (
    RunningServer,
    ServerProcess,
    create_event,
    create_event_sync,
    running_server,
    server_processes,
)

MESSAGES = (
    "cafe:created",
    "cafe:started",
    "cafe:assignment",
    "cafe:round",
    "cafe:table",
    "cafe:warning",
    "cafe:round_ended",
    "cafe:ended",
    "cafe:harvested",
    "cafe:harvest_removed",
    "cafe:spotlight",
    "cafe:table_harvests",
)
LIMITS = CafeLimits(cafe_min_round_s=1, cafe_warning_s=1, cafe_max_harvests=3)
ORGS = ("Acme", "Acme", "Globex", "Globex", "Initech", "Umbrella")
COUNTRIES = ("FR", "DE", "PT", "FR", "KE", "BR")


def listen(*people: Client) -> None:
    """Record the café's messages too (the clients record those of polls)."""
    for client in people:
        for name in MESSAGES:
            client.received[name] = []
            client.sio.on(name, client._recorder(name))


@pytest.fixture
async def server(redis_url: str | None) -> AsyncIterator[RunningServer]:
    # Rounds of a second or two, so the clock's notices come while the test waits.
    # A presenter here sends more messages in a row than a person would.
    limits = Limits(events_burst=200)
    async with running_server(redis_url, limits, kind_limits={CafeLimits: LIMITS}) as running:
        yield running


@pytest.fixture
async def event(server: RunningServer) -> dict[str, str]:
    return await create_event(server.url)


async def people(url: str, code: str, n: int, prefix: str = "P", **extra: Any) -> list[Client]:
    joined = await asyncio.gather(
        *(
            clients.attendee(
                url,
                code,
                f"{prefix}{i}",
                organisation=ORGS[i % len(ORGS)],
                country=COUNTRIES[i % len(COUNTRIES)],
                **extra,
            )
            for i in range(n)
        )
    )
    listen(*joined)
    return list(joined)


def me(client: Client) -> str:
    return str(client.welcome["attendee"]["id"])


async def presenter_of(server: RunningServer, event: dict[str, str]) -> Client:
    presenter = await clients.presenter(server.url, event["code"], event["presenter_key"])
    listen(presenter)
    return presenter


async def started_cafe(presenter: Client, **definition: Any) -> str:
    created = await presenter.call(
        "cafe:create",
        {"rounds": 2, "round_s": 60, "topics": ["Energy", "Food", "Cities"], **definition},
    )
    assert created["ok"], created
    cafe_id: str = created["cafe"]["id"]
    started = await presenter.call("cafe:start", {"cafe_id": cafe_id})
    assert started["ok"] and started["cafe"]["status"] == "open", started
    return cafe_id


async def join_all(cafe_id: str, attendees: Sequence[Client]) -> None:
    acks = await asyncio.gather(*(a.call("cafe:join", {"cafe_id": cafe_id}) for a in attendees))
    assert all(ack["ok"] and ack["joined"] and ack["assignment"] is None for ack in acks), acks


def pairs(tables: Sequence[Sequence[str]]) -> set[frozenset[str]]:
    return {frozenset(p) for t in tables for p in itertools.combinations(t, 2)}


def check_assignments(
    ack: dict[str, Any], by_id: dict[str, Client], cafe_id: str, event: str
) -> None:
    """Each seated person got exactly one assignment for the round, with their own
    table as the ack has it, and tablemates agree (A lists B iff B lists A)."""
    number = ack["round"]
    seen: dict[str, dict[str, Any]] = {}
    for table in ack["tables"]:
        for member in table["members"]:
            mine = [m for m in by_id[member].received["cafe:assignment"] if m["round"] == number]
            assert len(mine) == 1, (member, mine)
            got = mine[0]
            assert got["cafe_id"] == cafe_id and got["rounds"] == ack["rounds"]
            assert (got["table"], got["topic"]) == (table["table"], table["topic"])
            assert got["ends_at"] == ack["ends_at"]
            assert got["room_url"] == f"https://video.example/{event}-{table['table']}"
            mates = {m["id"] for m in got["tablemates"]}
            assert mates == set(table["members"]) - {member}
            assert got.get("host") == table.get("host")
            seen[member] = got
    for member, got in seen.items():
        for mate in got["tablemates"]:
            assert member in {m["id"] for m in seen[mate["id"]]["tablemates"]}
            assert seen[mate["id"]]["table"] == got["table"]
            assert mate["name"] == by_id[mate["id"]].welcome["attendee"]["name"]
            assert mate["organisation"] == by_id[mate["id"]].welcome["attendee"]["organisation"]


# -- creating ---------------------------------------------------------------------------
async def test_create_checks_every_value_and_changes_nothing_when_wrong(
    server: RunningServer, event: dict[str, str], caplog: pytest.LogCaptureFixture
) -> None:
    presenter = await presenter_of(server, event)
    [ada] = await people(server.url, event["code"], 1)
    base = {"rounds": 3, "round_s": 600, "topics": ["Energy"], "tables": 4}
    cases: list[tuple[dict[str, Any], str, str]] = [
        ({"tables": None}, "bad_request", "Give either tables (a count) or table_size"),
        ({"table_size": 5}, "bad_request", "Give either tables (a count) or table_size"),
        ({"tables": 0}, "bad_request", "tables must be a whole number from 1 to 10000."),
        ({"rounds": 0}, "bad_request", "rounds must be a whole number from 1 to 20."),
        ({"rounds": "3"}, "bad_request", "rounds: Input should be a valid integer."),
        ({"round_s": 0}, "bad_request", "round_s must be a whole number from 1 to 14400."),
        ({"topics": []}, "bad_request", "topics must be a list of at least one topic."),
        ({"topics": ["  "]}, "bad_request", "a topic must be non-empty text."),
        ({"topics": ["x" * 121]}, "too_long", "a topic is longer than 120 characters."),
        ({"title": "t" * 121}, "too_long", "title is longer than 120 characters."),
        ({"min_size": 5, "max_size": 4}, "bad_request", "max_size must be at least min_size."),
        ({"spread": ["age"]}, "bad_request", 'spread must list "organisation", "country"'),
        ({"hosts": ["a_nobody"]}, "bad_request", "hosts must be attendees of this event: a_nobody"),
        ({"hosts": [me(ada), me(ada)]}, "bad_request", "hosts names someone twice"),
        ({"room_url": "ftp://x/{table}"}, "bad_request", "room_url must be a link starting"),
        ({"room_url": "https://x/{room}"}, "bad_request", "room_url may hold only"),
        ({"room_url": "https://x/{table"}, "bad_request", "room_url may hold only"),
        ({"room_url": "https://x/ {table}"}, "bad_request", "room_url must not contain spaces"),
    ]
    with caplog.at_level(logging.INFO):
        for change, code, says in cases:
            payload = {k: v for k, v in {**base, **change}.items() if v is not None}
            ack = await presenter.call("cafe:create", payload)
            assert ack["ok"] is False, change
            assert ack["error"]["code"] == code, (change, ack)
            assert ack["error"]["message"].startswith(says), (change, ack)
        forbidden = await ada.call("cafe:create", base)
        assert forbidden["error"]["code"] == "forbidden"
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert (await presenter.call("cafe:list"))["cafes"] == []

    created = await presenter.call(
        "cafe:create",
        {
            **base,
            "title": " Green  transition ",
            "hosts": [me(ada)],
            "room_url": "https://video.example/{event}-{table}",
        },
    )
    assert created["ok"], created
    cafe = created["cafe"]
    assert {k: cafe[k] for k in ("type", "title", "rounds", "round_s", "topics", "tables")} == {
        "type": "cafe",
        "title": "Green transition",
        "rounds": 3,
        "round_s": 600,
        "topics": ["Energy"],
        "tables": 4,
    }
    assert (cafe["status"], cafe["round"], cafe["hosts"]) == ("draft", 0, [me(ada)])
    assert cafe["spread"] == ["organisation", "country"] and cafe["min_size"] == 2
    announced = await presenter.wait_for("cafe:created")
    assert announced["cafe"]["id"] == cafe["id"]
    not_yet = await ada.call("cafe:join", {"cafe_id": cafe["id"]})
    assert not_yet["error"]["code"] == "not_open"
    no_round = await presenter.call("cafe:round", {"cafe_id": cafe["id"]})
    assert no_round["error"]["code"] == "not_open"
    missing = await presenter.call("cafe:start", {"cafe_id": "c_missing"})
    assert missing["error"]["code"] == "not_found"
    for c in (presenter, ada):
        await c.disconnect()


# -- rounds -----------------------------------------------------------------------------
async def test_rounds_seat_who_joined_and_tell_each_their_own_table(
    server: RunningServer, event: dict[str, str]
) -> None:
    code = event["code"]
    presenter = await presenter_of(server, event)
    screen = await clients.screen(server.url, code)
    listen(screen)
    attendees = await people(server.url, code, 12)
    by_id = {me(a): a for a in attendees}
    host = me(attendees[0])
    cafe_id = await started_cafe(
        presenter, tables=3, hosts=[host], room_url="https://video.example/{event}-{table}"
    )
    for a in attendees:
        started = await a.wait_for("cafe:started")
        assert started["cafe"]["id"] == cafe_id
    away = attendees[-1]  # never joins: not seated
    await join_all(cafe_id, attendees[:-1])

    first = await presenter.call("cafe:round", {"cafe_id": cafe_id})
    assert first["ok"] and first["round"] == 1 and first["rounds"] == 2, first
    tables = [t["members"] for t in first["tables"]]
    assert sorted(len(t) for t in tables) == [3, 4, 4]
    assert sorted(m for t in tables for m in t) == sorted(set(by_id) - {me(away)})
    assert [t["table"] for t in first["tables"]] == [1, 2, 3]
    assert [t["topic"] for t in first["tables"]] == ["Energy", "Food", "Cities"]
    assert first["tables"][0]["host"] == host and tables[0][0] == host
    by_id.pop(me(away))
    orgs = {i: a.welcome["attendee"]["organisation"] for i, a in by_id.items()}
    # 4 people of Acme and 4 of Globex at 3 tables: one pair of each must sit together.
    assert first["stats"] == {
        "repeat_pairs": 0,
        "same_org_pairs": 2,
        "min_size": 3,
        "max_size": 4,
    }
    assert sum(orgs[x] == orgs[y] for x, y in map(tuple, pairs(tables))) == 2
    for a in by_id.values():
        await a.wait_for("cafe:assignment", lambda m: m["round"] == 1)
    check_assignments(first, by_id, cafe_id, code)
    overview = await screen.wait_for("cafe:round", lambda m: m["round"] == 1)
    assert overview["tables"] == first["tables"] and overview["ends_at"] == first["ends_at"]
    assert set(overview["people"]) == set(by_id)

    # A retry of round 1 changes nothing; a round that is not next is refused.
    retry = await presenter.call("cafe:round", {"cafe_id": cafe_id, "round": 1})
    assert retry["duplicate"] is True and retry["tables"] == first["tables"]
    skip = await presenter.call("cafe:round", {"cafe_id": cafe_id, "round": 3})
    assert skip["error"]["code"] == "bad_request"

    second = await presenter.call("cafe:round", {"cafe_id": cafe_id, "round": 2})
    assert second["ok"] and second["round"] == 2, second
    again = pairs([t["members"] for t in second["tables"]]) & pairs(tables)
    assert second["stats"]["repeat_pairs"] == len(again)
    together = pairs([t["members"] for t in second["tables"]])
    assert second["stats"]["same_org_pairs"] == sum(
        orgs[x] == orgs[y] for x, y in map(tuple, together)
    )
    assert second["tables"][0]["members"][0] == host  # the host keeps their table
    for a in by_id.values():
        await a.wait_for("cafe:assignment", lambda m: m["round"] == 2)
    check_assignments(second, by_id, cafe_id, code)
    over = await presenter.call("cafe:round", {"cafe_id": cafe_id})
    assert over["error"]["code"] == "not_open" and "All 2 rounds" in over["error"]["message"]

    # The end reaches everyone after the assignments: still one of each per round.
    ended = await presenter.call("cafe:end", {"cafe_id": cafe_id})
    assert ended["ok"] and ended["cafe"]["status"] == "closed"
    for a in attendees:
        await a.wait_for("cafe:ended")
        assert Counter(m["round"] for m in a.received["cafe:assignment"]) == (
            Counter() if a is away else Counter({1: 1, 2: 1})
        )
    late = await away.call("cafe:join", {"cafe_id": cafe_id})
    assert late["error"]["code"] == "not_open"
    for c in (presenter, screen, *attendees):
        await c.disconnect()


async def test_a_reconnecting_attendee_gets_their_table_in_the_welcome(
    server: RunningServer, event: dict[str, str]
) -> None:
    code = event["code"]
    presenter = await presenter_of(server, event)
    attendees = await people(server.url, code, 4)
    cafe_id = await started_cafe(presenter, table_size=2)
    await join_all(cafe_id, attendees)
    ack = await presenter.call("cafe:round", {"cafe_id": cafe_id})
    ada = attendees[0]
    told = await ada.wait_for("cafe:assignment")
    token = ada.welcome["token"]
    await ada.disconnect()

    back = await clients.attendee(server.url, code, token=token)
    activity = back.welcome["activity"]
    assert activity["type"] == "cafe" and activity["cafe"]["id"] == cafe_id
    assert activity["cafe"]["round"] == 1 and activity["cafe"]["status"] == "open"
    assert activity["assignment"] == {k: v for k, v in told.items() if k != "ts"}
    state = (await back.call("state:get"))["state"]["activity"]
    assert state["assignment"] == activity["assignment"]
    # Joining again (what the page does on every welcome) keeps the same table.
    again = await back.call("cafe:join", {"cafe_id": cafe_id})
    assert again["assignment"] == activity["assignment"]
    staff = (await presenter.call("state:get"))["state"]["activity"]
    assert staff["tables"] == ack["tables"] and staff["joined"] == 4
    assert staff["harvests"] == [] and staff["spotlight"] == []
    for c in (presenter, back, *attendees[1:]):
        await c.disconnect()


async def test_latecomers_are_seated_at_once_and_leavers_let_go(
    server: RunningServer, event: dict[str, str]
) -> None:
    code = event["code"]
    presenter = await presenter_of(server, event)
    attendees = await people(server.url, code, 6)
    cafe_id = await started_cafe(presenter, tables=2)
    await join_all(cafe_id, attendees)
    ack = await presenter.call("cafe:round", {"cafe_id": cafe_id})
    assert sorted(len(t["members"]) for t in ack["tables"]) == [3, 3]

    [late] = await people(server.url, code, 1, prefix="Late")
    assert late.welcome["activity"]["assignment"] is None  # not joined yet
    seated = await late.call("cafe:join", {"cafe_id": cafe_id})
    mine = seated["assignment"]
    assert mine["round"] == 1 and len(mine["tablemates"]) == 3
    table = next(t for t in ack["tables"] if t["table"] == mine["table"])
    assert {m["id"] for m in mine["tablemates"]} == set(table["members"])
    told = await late.wait_for("cafe:assignment")
    assert {k: v for k, v in told.items() if k != "ts"} == mine
    by_id = {me(a): a for a in attendees}
    for member in table["members"]:
        update = await by_id[member].wait_for("cafe:table")
        assert update["joined"] == me(late) and update["table"] == mine["table"]
        assert me(late) in {m["id"] for m in update["tablemates"]}
    staff = await presenter.wait_for("cafe:table")
    assert staff["members"] == [*table["members"], me(late)] and staff["joined"] == me(late)
    assert staff["people"][me(late)]["name"] == "Late0"

    left = await late.call("cafe:leave", {"cafe_id": cafe_id})
    assert left == {"ok": True, "cafe_id": cafe_id, "joined": False}
    for member in table["members"]:
        update = await by_id[member].wait_for("cafe:table", lambda m: "left" in m)
        assert me(late) not in {m["id"] for m in update["tablemates"]}
    view = (await late.call("state:get"))["state"]["activity"]
    assert view["assignment"] is None
    # Who left is not seated in the next round.
    second = await presenter.call("cafe:round", {"cafe_id": cafe_id})
    assert me(late) not in {m for t in second["tables"] for m in t["members"]}
    for c in (presenter, late, *attendees):
        await c.disconnect()


async def test_the_round_clock_warns_then_ends_the_round(
    server: RunningServer, event: dict[str, str]
) -> None:
    code = event["code"]
    presenter = await presenter_of(server, event)
    attendees = await people(server.url, code, 2)
    cafe_id = await started_cafe(presenter, tables=1, round_s=2)
    await join_all(cafe_id, attendees)
    ack = await presenter.call("cafe:round", {"cafe_id": cafe_id})
    for client in (presenter, *attendees):
        warning = await client.wait_for("cafe:warning")
        assert (warning["cafe_id"], warning["round"], warning["ends_at"]) == (
            cafe_id,
            1,
            ack["ends_at"],
        )
        assert warning["seconds_left"] in (0, 1)
        ended = await client.wait_for("cafe:round_ended")
        assert (ended["round"], ended["last"]) == (1, False)
    # The round is over: a welcome no longer carries a table.
    view = (await attendees[0].call("state:get"))["state"]["activity"]
    assert view["assignment"] is None and view["cafe"]["round"] == 1
    for c in (presenter, *attendees):
        await c.disconnect()


# -- harvests ---------------------------------------------------------------------------
async def test_harvests_are_idempotent_editable_removable_and_reach_the_staff(
    server: RunningServer, event: dict[str, str]
) -> None:
    code = event["code"]
    presenter = await presenter_of(server, event)
    screen = await clients.screen(server.url, code)
    listen(screen)
    attendees = await people(server.url, code, 5)
    ada, bob, cy, dee, outsider = attendees
    cafe_id = await started_cafe(presenter, tables=2)
    await join_all(cafe_id, attendees[:4])

    def harvest(who: Client, harvest_id: str, text: str) -> Any:
        return who.call(
            "cafe:harvest", {"cafe_id": cafe_id, "harvest_id": harvest_id, "text": text}
        )

    early = await harvest(ada, "h1", "Too soon")
    assert early["error"]["code"] == "not_open"
    ack = await presenter.call("cafe:round", {"cafe_id": cafe_id})
    table_of = {m: t["table"] for t in ack["tables"] for m in t["members"]}

    added = await harvest(ada, "h1", "  Share   the cars ")
    assert added["ok"] and "duplicate" not in added, added
    first = added["harvest"]
    assert {k: first[k] for k in ("harvest_id", "author", "round", "table", "text")} == {
        "harvest_id": "h1",
        "author": me(ada),
        "round": 1,
        "table": table_of[me(ada)],
        "text": "Share the cars",
    }
    assert first["author_name"] == "P0" and first["removed"] is False
    assert first["edited_at"] is None
    retry = await harvest(ada, "h1", "Share the cars")
    assert retry["duplicate"] is True and retry["harvest"] == first
    edited = await harvest(ada, "h1", "Share the bikes")
    assert edited["harvest"]["text"] == "Share the bikes" and edited["harvest"]["edited_at"]
    # The staff saw the add and the edit, not the retry (messages keep their order).
    seen = await presenter.wait_for("cafe:harvested", lambda m: m["harvest"]["edited_at"])
    assert [m["harvest"]["text"] for m in presenter.received["cafe:harvested"]] == [
        "Share the cars",
        "Share the bikes",
    ]
    assert seen["cafe_id"] == cafe_id and seen["harvest"] == edited["harvest"]
    await screen.wait_for("cafe:harvested", lambda m: m["harvest"]["edited_at"])

    # Bad harvests change nothing.
    assert (await harvest(ada, "h2", "   "))["error"]["code"] == "bad_request"
    assert (await harvest(ada, "h2", "x" * 501))["error"]["code"] == "too_long"
    assert (await harvest(outsider, "h9", "Hi"))["error"]["code"] == "forbidden"
    bad_id = await harvest(ada, "no spaces", "Hi")
    assert bad_id["error"]["code"] == "bad_request"
    from_staff = await presenter.call(
        "cafe:harvest", {"cafe_id": cafe_id, "harvest_id": "p1", "text": "Hi"}
    )
    assert from_staff["error"]["code"] == "forbidden"
    not_hers = await bob.call("cafe:harvest_remove", {"cafe_id": cafe_id, "harvest_id": "h1"})
    assert not_hers["error"]["code"] == "not_found"
    # At most 3 live harvests a person a round (the tests' limit).
    assert (await harvest(ada, "h2", "Two"))["ok"]
    assert (await harvest(ada, "h3", "Three"))["ok"]
    too_many = await harvest(ada, "h4", "Four")
    assert (
        too_many["error"]["code"] == "bad_request" and "3 harvests" in too_many["error"]["message"]
    )

    removed = await ada.call("cafe:harvest_remove", {"cafe_id": cafe_id, "harvest_id": "h3"})
    assert isinstance(removed.pop("version"), int)  # orders it among cafe:table_harvests
    assert removed == {
        "ok": True,
        "cafe_id": cafe_id,
        "author_id": me(ada),
        "harvest_id": "h3",
        "removed": True,
    }
    gone = await presenter.wait_for("cafe:harvest_removed")
    assert (gone["harvest_id"], gone["author_id"], gone["round"]) == ("h3", me(ada), 1)
    twice = await ada.call("cafe:harvest_remove", {"cafe_id": cafe_id, "harvest_id": "h3"})
    assert twice["duplicate"] is True
    assert (await harvest(ada, "h3", "Back"))["error"]["code"] == "bad_request"
    assert (await harvest(ada, "h4", "Four"))["ok"]  # a place was freed

    # Tablemates and presenters list them; the screen shows what the presenter picks.
    mate = next(a for a in (bob, cy, dee) if table_of[me(a)] == table_of[me(ada)])
    other = next(a for a in (bob, cy, dee) if table_of[me(a)] != table_of[me(ada)])
    assert (await harvest(other, "o1", "Elsewhere"))["ok"]
    listed = await mate.call("cafe:harvests", {"cafe_id": cafe_id})
    assert [h["text"] for h in listed["harvests"]] == ["Share the bikes", "Two", "Four"]
    everything = await presenter.call("cafe:harvests", {"cafe_id": cafe_id})
    assert sorted(h["harvest_id"] for h in everything["harvests"]) == ["h1", "h2", "h4", "o1"]
    spot = await presenter.call(
        "cafe:spotlight", {"cafe_id": cafe_id, "author_id": me(ada), "harvest_id": "h1"}
    )
    entry = {
        "author_id": me(ada),
        "author_name": "P0",
        "harvest_id": "h1",
        "round": 1,
        "table": table_of[me(ada)],
        "topic": ["Energy", "Food", "Cities"][table_of[me(ada)] - 1],
        "text": "Share the bikes",
    }
    assert spot["spotlight"] == [entry]
    shown = await screen.wait_for("cafe:spotlight")
    assert shown["harvests"] == [entry]
    assert (await harvest(ada, "h1", "Share everything"))["ok"]
    respot = await screen.wait_for("cafe:spotlight", lambda m: m is not shown)
    assert respot["harvests"] == [{**entry, "text": "Share everything"}]
    missing = await presenter.call(
        "cafe:spotlight", {"cafe_id": cafe_id, "author_id": me(ada), "harvest_id": "h3"}
    )
    assert missing["error"]["code"] == "not_found"
    assert (await screen.call("state:get"))["state"]["activity"]["spotlight"] == respot["harvests"]

    # Next round: round 1's harvests can no longer change.
    assert (await presenter.call("cafe:round", {"cafe_id": cafe_id}))["ok"]
    stale = await harvest(ada, "h1", "Too late")
    assert stale["error"]["code"] == "not_open"
    stale_remove = await ada.call("cafe:harvest_remove", {"cafe_id": cafe_id, "harvest_id": "h2"})
    assert stale_remove["error"]["code"] == "not_open"
    assert (await ada.call("cafe:harvests", {"cafe_id": cafe_id}))["harvests"] == []
    for c in (presenter, screen, *attendees):
        await c.disconnect()


# -- the end, the stage, the export -----------------------------------------------------
async def admin_get(server: RunningServer, path: str, token: str) -> Any:
    async with (
        aiohttp.ClientSession() as http,
        http.get(server.url + path, headers={"Authorization": f"Bearer {token}"}) as response,
    ):
        assert response.status == 200, await response.text()
        if response.content_type == "application/json":
            return await response.json()
        return await response.text()


async def test_the_stage_ends_a_cafe_and_the_export_has_every_round(
    server: RunningServer, event: dict[str, str]
) -> None:
    code, key = event["code"], event["presenter_key"]
    presenter = await presenter_of(server, event)
    attendees = await people(server.url, code, 6)
    cafe_id = await started_cafe(presenter, tables=2, hosts=[me(attendees[0])])
    await join_all(cafe_id, attendees)
    rounds = [await presenter.call("cafe:round", {"cafe_id": cafe_id}) for _ in range(2)]
    harvested = await attendees[0].call(
        "cafe:harvest", {"cafe_id": cafe_id, "harvest_id": "h1", "text": "=SUM(A1)"}
    )
    assert harvested["ok"]

    # A poll takes the stage: the café ends, for everyone.
    poll = await presenter.call("poll:create", {"question": "Next?", "kind": "rating"})
    assert (await presenter.call("poll:open", {"poll_id": poll["poll"]["id"]}))["ok"]
    for a in attendees:
        ended = await a.wait_for("cafe:ended")
        assert ended["cafe_id"] == cafe_id and ended["cafe"]["status"] == "closed"
    closed = await attendees[1].call("cafe:join", {"cafe_id": cafe_id})
    assert closed["error"]["code"] == "not_open"
    again = await presenter.call("cafe:end", {"cafe_id": cafe_id})
    assert again["ok"] and again["cafe"]["status"] == "closed"

    data = await admin_get(server, f"/api/events/{code}/export", key)
    [cafe] = data["cafes"]
    assert (cafe["id"], cafe["status"], cafe["joined"]) == (cafe_id, "closed", 6)
    assert cafe["rounds_held"] == [{"round": r["round"], "tables": r["tables"]} for r in rounds]
    assert cafe["rounds_held"][0]["tables"][0]["host"] == me(attendees[0])
    [harvest] = cafe["harvests"]
    assert (harvest["text"], harvest["author"], harvest["round"]) == (
        "=SUM(A1)",
        me(attendees[0]),
        2,
    )
    text = await admin_get(server, f"/api/events/{code}/export?format=csv", key)
    rows = [r for r in csv.DictReader(io.StringIO(text[1:])) if r["activity_type"] == "cafe"]
    seats = [r for r in rows if r["record"] == "seat"]
    assert len(seats) == 12  # 6 people, 2 rounds
    names = {me(a): a.welcome["attendee"]["name"] for a in attendees}
    for r in rounds:
        for table in r["tables"]:
            got = sorted(
                (s["attendee_id"], s["attendee_name"], s["host"], s["topic"])
                for s in seats
                if (int(s["round"]), int(s["table"])) == (r["round"], table["table"])
            )
            want = sorted(
                (m, names[m], "yes" if table.get("host") == m else "", table["topic"])
                for m in table["members"]
            )
            assert got == want
    [row] = [r for r in rows if r["record"] == "harvest"]
    assert (row["harvest_id"], row["text"], row["round"]) == ("h1", "'=SUM(A1)", "2")
    for c in (presenter, *attendees):
        await c.disconnect()


# -- two processes ----------------------------------------------------------------------
@pytest.fixture
def two_servers(redis_proc: RedisProcess) -> Iterator[tuple[ServerProcess, ServerProcess]]:
    # A presenter here sends more messages in a row than a person would.
    with server_processes(redis_proc, extra_args=["--events-burst", "200"]) as pair:
        yield pair


@pytest.mark.redis
async def test_two_processes_one_round_each_person_told_once(
    two_servers: tuple[ServerProcess, ServerProcess],
) -> None:
    one, two = two_servers
    event = await asyncio.to_thread(create_event_sync, one.url)
    code, key = event["code"], event["presenter_key"]
    first_presenter = await clients.presenter(one.url, code, key)
    second_presenter = await clients.presenter(two.url, code, key)
    screen = await clients.screen(two.url, code)
    listen(first_presenter, second_presenter, screen)
    on_one = await people(one.url, code, 10, prefix="One")
    on_two = await people(two.url, code, 10, prefix="Two")
    everyone = [*on_one, *on_two]
    by_id = {me(a): a for a in everyone}
    cafe_id = await started_cafe(
        first_presenter,
        tables=5,
        rounds=3,
        room_url="https://video.example/{event}-{table}",
    )
    await join_all(cafe_id, everyone)

    # Round 1 starts on process one: process two's attendees hear from process two.
    first = await first_presenter.call("cafe:round", {"cafe_id": cafe_id})
    assert first["ok"] and first["round"] == 1
    for a in everyone:
        await a.wait_for("cafe:assignment", lambda m: m["round"] == 1)
    check_assignments(first, by_id, cafe_id, code)
    await screen.wait_for("cafe:round", lambda m: m["round"] == 1)

    # Two presenters on two processes start round 2 at once: it starts once. Each says
    # which round it starts, as the console does: without it, a click that lands after
    # the other's round has started starts the next one (two rounds were asked for).
    racing = await asyncio.gather(
        first_presenter.call("cafe:round", {"cafe_id": cafe_id, "round": 2}),
        second_presenter.call("cafe:round", {"cafe_id": cafe_id, "round": 2}),
    )
    assert [r["round"] for r in racing] == [2, 2]
    assert sorted(bool(r.get("duplicate")) for r in racing) == [False, True]
    assert racing[0]["tables"] == racing[1]["tables"]
    second = racing[0]
    assert second["stats"]["repeat_pairs"] == 0
    for a in everyone:
        await a.wait_for("cafe:assignment", lambda m: m["round"] == 2)
    check_assignments(second, by_id, cafe_id, code)

    # A reconnect on the other process gets the table in its welcome.
    moved_from = on_one[0]
    token = moved_from.welcome["token"]
    await moved_from.disconnect()
    moved = await clients.attendee(two.url, code, token=token)
    mine = next(m for m in moved_from.received["cafe:assignment"] if m["round"] == 2)
    assert moved.welcome["activity"]["assignment"] == {k: v for k, v in mine.items() if k != "ts"}

    assert (await second_presenter.call("cafe:end", {"cafe_id": cafe_id}))["ok"]
    for a in [*on_one[1:], *on_two]:
        await a.wait_for("cafe:ended")
        assert Counter(m["round"] for m in a.received["cafe:assignment"]) == {1: 1, 2: 1}
    for c in (first_presenter, second_presenter, screen, moved, *on_one[1:], *on_two):
        await c.disconnect()
