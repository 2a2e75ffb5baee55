"""Award ballots end to end: the real server on a free port, real Socket.IO clients over
real websockets, on both backends (memory and a real Redis), and two ``plenary serve``
processes sharing one Redis. Sealed results (every message attendees and screens get
before the reveal is read), eligibility, receipts, the staged reveal, the export and
``plenary recount`` run as a subprocess on it."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from tests.support import clients
from tests.support.clients import Client
from tests.support.server import RunningServer, ServerProcess, create_event_sync
from tests.test_rooms_live import add_room

CITIES = [
    {"name": "Memphis", "organisation": "West"},
    {"name": "Nashville", "organisation": "Middle"},
    {"name": "Chattanooga", "organisation": "East"},
    {"name": "Knoxville", "organisation": "East"},
]
M, N, C, K = "c1", "c2", "c3", "c4"
# Ten voters ranking the cities by distance, like the Tennessee capital election:
# instant-runoff drops Chattanooga (1), then Nashville and Knoxville tie on 3 and the
# first round (Nashville 3, Knoxville 2) sends Knoxville out; Nashville wins 6 to 4.
RANKINGS = [
    *[[M, N, C, K]] * 4,
    *[[N, C, K, M]] * 3,
    [C, K, N, M],
    *[[K, C, N, M]] * 2,
]
IRV_RESULT = {
    "method": "irv",
    "ballots": 10,
    "winners": [N],
    "tie": False,
    "totals": {M: 4, N: 6},
    "rounds": [
        {"totals": {M: 4, N: 3, C: 1, K: 2}, "eliminated": [C]},
        {"totals": {M: 4, N: 3, K: 3}, "eliminated": [K]},
        {"totals": {M: 4, N: 6}, "eliminated": []},
    ],
}
#: Words that would carry a count or a result in a ballot message.
SEALED_WORDS = ("result", "totals", "rounds", "pairwise", "winners", "places", "counts")


def vote_id() -> str:
    return uuid.uuid4().hex


async def cast(client: Client, ballot_id: str, choice: Any, vid: str | None = None) -> Any:
    payload = {"ballot_id": ballot_id, "choice": choice, "vote_id": vid or vote_id()}
    return await client.call("ballot:cast", payload)


async def create(presenter: Client, **spec: Any) -> dict[str, Any]:
    ack = await presenter.call("ballot:create", spec)
    assert ack["ok"], ack
    ballot: dict[str, Any] = ack["ballot"]
    return ballot


async def open_ballot(presenter: Client, ballot_id: str) -> dict[str, Any]:
    ack = await presenter.call("ballot:open", {"ballot_id": ballot_id})
    assert ack["ok"] and ack["ballot"]["status"] == "open", ack
    ballot: dict[str, Any] = ack["ballot"]
    return ballot


def leaks(frames: list[tuple[str, Any]]) -> list[tuple[str, Any]]:
    """The ballot messages that show a count or a result (anything but the turnout)."""
    found = []
    for name, data in frames:
        text = json.dumps(data)
        if name.startswith("ballot:") or '"ballot"' in text:
            view = data.get("ballot") if isinstance(data, dict) else None
            if name == "ballot:results" or (
                isinstance(view, dict)
                and (view.get("result") is not None or view.get("reveal") is not None)
            ):
                found.append((name, data))
        if name == "welcome" and isinstance(data.get("activity"), dict):
            view = data["activity"].get("ballot") or {}
            if view.get("result") is not None or view.get("reveal") is not None:
                found.append((name, data))
    return found


def ballot_frames(frames: list[tuple[str, Any]]) -> list[tuple[str, Any]]:
    return [(n, d) for n, d in frames if n.startswith("ballot:")]


async def test_ranked_ballot_sealed_until_a_staged_reveal(
    server: RunningServer, event: dict[str, str]
) -> None:
    code = event["code"]
    presenter = await clients.presenter(server.url, code, event["presenter_key"])
    screen = await clients.screen(server.url, code)
    voters = list(
        await asyncio.gather(*(clients.attendee(server.url, code, f"V{i}") for i in range(10)))
    )
    ballot = await create(presenter, title="State capital", method="irv", candidates=CITIES)
    assert [c["id"] for c in ballot["candidates"]] == [M, N, C, K]
    assert ballot["status"] == "draft" and ballot["turnout"] == 0 and "receipt_key" not in ballot
    bid = ballot["id"]
    await open_ballot(presenter, bid)
    for voter in voters:
        opened = await voter.wait_for("ballot:opened")
        assert opened["ballot"]["id"] == bid and opened["ballot"]["result"] is None

    # The first voter first ranks Knoxville first, then changes their mind: the last
    # ballot counts, the receipt stays theirs. A retry of the change counts once.
    first = await cast(voters[0], bid, [K, C], "v0-a")
    assert first["ok"] and first["choice"] == [K, C]
    acks = await asyncio.gather(*(cast(v, bid, r) for v, r in zip(voters, RANKINGS, strict=True)))
    assert all(a["ok"] for a in acks), acks
    assert acks[0]["receipt"] == first["receipt"]
    retry = await cast(voters[0], bid, RANKINGS[0], "v0-a")  # a late retry of the first
    assert retry["duplicate"] is True and retry["choice"] == RANKINGS[0]
    receipts = [a["receipt"] for a in acks]
    assert len(set(receipts)) == 10

    turnout = await screen.wait_for("ballot:turnout", lambda m: m["turnout"] == 10)
    assert set(turnout) == {"ballot_id", "turnout", "seq", "ts"}
    await voters[5].wait_for("ballot:turnout", lambda m: m["turnout"] == 10)
    closed = await presenter.call("ballot:close", {"ballot_id": bid})
    assert closed["ok"] and closed["ballot"]["status"] == "closed"
    assert closed["ballot"]["result"] is None  # not live: not even the presenter sees it
    assert closed["ballot"]["turnout"] == 10
    late = await cast(voters[1], bid, RANKINGS[1])
    assert late["ok"] is False and late["error"]["code"] == "not_open"
    await screen.wait_for("ballot:closed")

    # Sealed: nothing an attendee or the screen received so far shows a count.
    for watcher in [screen, *voters]:
        assert leaks(watcher.frames) == [], leaks(watcher.frames)
        names = {n for n, _ in ballot_frames(watcher.frames)}
        assert names <= {"ballot:opened", "ballot:turnout", "ballot:closed"}
    assert leaks(presenter.frames) == []
    state = await voters[2].call("state:get")
    assert state["state"]["activity"]["ballot"]["result"] is None
    assert state["state"]["activity"]["ballot"]["mine"]["receipt"] == receipts[2]
    published = await voters[2].call("ballot:published", {"ballot_id": bid})
    assert published["ok"] is False and published["error"]["code"] == "not_open"

    # Staged reveal: third, then second, then the winner.
    third = await presenter.call("ballot:reveal", {"ballot_id": bid, "places": 3})
    assert third["ballot"]["reveal"]["places"] == [{"place": 3, "candidates": [K]}]
    assert third["ballot"]["result"] is None
    shown = await screen.wait_for("ballot:revealed")
    assert shown["ballot"]["reveal"]["places"] == [{"place": 3, "candidates": [K]}]
    assert shown["ballot"]["result"] is None
    second = await presenter.call("ballot:reveal", {"ballot_id": bid, "places": 2})
    assert second["ballot"]["reveal"]["places"] == [
        {"place": 2, "candidates": [M]},
        {"place": 3, "candidates": [K]},
    ]
    winner = await presenter.call("ballot:reveal", {"ballot_id": bid, "places": 1})
    result = winner["ballot"]["result"]
    assert result == {"ballot_id": bid, **IRV_RESULT}
    assert winner["ballot"]["reveal"]["complete"] is True
    assert winner["ballot"]["reveal"]["places"] == [
        {"place": 1, "candidates": [N]},
        {"place": 2, "candidates": [M]},
        {"place": 3, "candidates": [K]},
        {"place": 4, "candidates": [C]},
    ]
    for watcher in [screen, *voters]:
        final = await watcher.wait_for("ballot:revealed", lambda m: m["ballot"]["result"])
        assert final["ballot"]["result"] == result

    # Each state change is one broadcast: state_seq grows by one, no gap.
    for watcher in [screen, *voters]:
        seqs = [d["ballot"]["state_seq"] for n, d in ballot_frames(watcher.frames) if "ballot" in d]
        assert seqs == list(range(seqs[0], seqs[0] + len(seqs))), seqs

    # Every voter finds their receipt in the published list, with their last ballot.
    published = await voters[3].call("ballot:published", {"ballot_id": bid})
    assert published["ok"]
    listed = {entry["receipt"]: entry["choice"] for entry in published["cast"]}
    assert [e["receipt"] for e in published["cast"]] == sorted(receipts)
    for receipt, ranking in zip(receipts, RANKINGS, strict=True):
        assert listed[receipt] == ranking
    again = await presenter.call("ballot:open", {"ballot_id": bid})
    assert again["ok"] is False and again["error"]["code"] == "bad_request"
    for c in [presenter, screen, *voters]:
        await c.disconnect()


async def test_a_live_ballot_shows_its_count_to_presenters_only(
    server: RunningServer, event: dict[str, str]
) -> None:
    code = event["code"]
    presenter = await clients.presenter(server.url, code, event["presenter_key"])
    screen = await clients.screen(server.url, code)
    ada, bob, cy = await asyncio.gather(
        *(clients.attendee(server.url, code, n) for n in ("Ada", "Bob", "Cy"))
    )
    ballot = await create(
        presenter,
        title="Best pitch",
        method="approval",
        candidates=[{"name": "Alpha"}, {"name": "Beta"}, {"name": "Gamma"}],
        live=True,
    )
    bid = ballot["id"]
    opened = await open_ballot(presenter, bid)
    assert opened["result"]["ballots"] == 0
    for voter, choice in ((ada, ["c1", "c2"]), (bob, ["c2"]), (cy, ["c3", "c2"])):
        assert (await cast(voter, bid, choice))["ok"]
    live = await presenter.wait_for("ballot:results", lambda m: m["result"]["ballots"] == 3)
    assert live["result"]["totals"] == {"c1": 1, "c2": 3, "c3": 1}
    assert live["final"] is False
    closed = await presenter.call("ballot:close", {"ballot_id": bid})
    assert closed["ballot"]["result"]["winners"] == ["c2"]
    await presenter.wait_for("ballot:results", lambda m: m["final"])
    await screen.wait_for("ballot:closed")
    for watcher in (screen, ada, bob, cy):
        assert watcher.received["ballot:results"] == []
        assert leaks(watcher.frames) == []
    for c in (presenter, screen, ada, bob, cy):
        await c.disconnect()


async def test_eligibility_rules(server: RunningServer, event: dict[str, str]) -> None:
    code = event["code"]
    presenter = await clients.presenter(server.url, code, event["presenter_key"])
    ana = await clients.attendee(server.url, code, "Ana", organisation="Lisbon Cluster")
    colleague = await clients.attendee(server.url, code, "Rui", organisation=" lisbon  CLUSTER")
    voter = await clients.attendee(server.url, code, "Eva", organisation="Other")
    ana_id = ana.welcome["attendee"]["id"]
    ballot = await create(
        presenter,
        title="Cluster manager of the year",
        method="plurality",
        candidates=[
            {"name": "Ana", "organisation": "Lisbon Cluster", "attendee_id": ana_id},
            {"name": "Jonas", "organisation": "Nordic"},
        ],
        eligibility={"joined_before_open": True},
    )
    bid = ballot["id"]
    await open_ballot(presenter, bid)
    latecomer = await clients.attendee(server.url, code, "Late")

    own = await cast(ana, bid, "c1")
    assert own["ok"] is False and own["error"]["code"] == "bad_choice"
    peer = await cast(colleague, bid, "c1")
    assert peer["ok"] is False and peer["error"]["code"] == "bad_choice"
    assert (await cast(ana, bid, "c2"))["ok"] and (await cast(colleague, bid, "c2"))["ok"]
    eva = await cast(voter, bid, "c1")
    assert eva["ok"], eva
    late = await cast(latecomer, bid, "c2")
    assert late["ok"] is False and late["error"]["code"] == "not_eligible"
    mine = (await latecomer.call("state:get"))["state"]["activity"]["ballot"]["mine"]
    assert (mine["eligible"], mine["reason"]) == (False, "joined_late")
    mine = (await colleague.call("state:get"))["state"]["activity"]["ballot"]["mine"]
    assert (mine["eligible"], mine["excluded"]) == (True, ["c1"])
    closed = await presenter.call("ballot:close", {"ballot_id": bid})
    assert closed["ballot"]["turnout"] == 3
    revealed = await presenter.call("ballot:reveal", {"ballot_id": bid})
    assert revealed["ballot"]["result"]["totals"] == {"c1": 1, "c2": 2}
    for c in (presenter, ana, colleague, voter, latecomer):
        await c.disconnect()


async def test_voter_roll_codes_are_personal(server: RunningServer, event: dict[str, str]) -> None:
    code = event["code"]
    presenter = await clients.presenter(server.url, code, event["presenter_key"])
    ada, bob, cy = await asyncio.gather(
        *(clients.attendee(server.url, code, n) for n in ("Ada", "Bob", "Cy"))
    )
    ballot = await create(
        presenter,
        title="Board election",
        method="borda",
        candidates=[{"name": "X"}, {"name": "Y"}, {"name": "Z"}],
        eligibility={"voter_roll": True},
    )
    bid = ballot["id"]
    assert ballot["roll"] == {"codes": 0, "claimed": 0}
    roll = await presenter.call(
        "ballot:roll", {"ballot_id": bid, "csv": "name,voting_code\nA,AB12-CD34\nB,ef56gh78\n"}
    )
    assert roll["ok"] and roll["roll"] == {"codes": 2, "claimed": 0} and roll["read"] == 2
    more = await presenter.call("ballot:roll", {"ballot_id": bid, "csv": "EF56GH78\nJK90LM12\n"})
    assert more["roll"] == {"codes": 3, "claimed": 0}  # a code already there counts once
    short = await presenter.call("ballot:roll", {"ballot_id": bid, "csv": "abc\n"})
    assert short["ok"] is False and short["error"]["code"] == "bad_request"
    await open_ballot(presenter, bid)

    no_code = await cast(ada, bid, ["c1"])
    assert no_code["ok"] is False and no_code["error"]["code"] == "not_eligible"
    wrong = await ada.call("ballot:claim", {"ballot_id": bid, "voting_code": "ZZZZ9999"})
    assert wrong["ok"] is False and wrong["error"]["code"] == "not_eligible"
    claimed = await ada.call("ballot:claim", {"ballot_id": bid, "voting_code": "ab12cd34"})
    assert claimed == {"ok": True, "ballot_id": bid, "has_code": True}
    again = await ada.call("ballot:claim", {"ballot_id": bid, "voting_code": "AB12 CD34"})
    assert again["ok"]  # the same code, the same holder: fine
    taken = await bob.call("ballot:claim", {"ballot_id": bid, "voting_code": "AB12-CD34"})
    assert taken["ok"] is False and taken["error"]["code"] == "not_eligible"
    second = await ada.call("ballot:claim", {"ballot_id": bid, "voting_code": "EF56GH78"})
    assert second["ok"] is False and second["error"]["code"] == "not_eligible"
    assert (await bob.call("ballot:claim", {"ballot_id": bid, "voting_code": "EF56GH78"}))["ok"]
    assert (await cast(ada, bid, ["c1", "c2"]))["ok"]
    assert (await cast(bob, bid, ["c2"]))["ok"]
    assert (await cast(cy, bid, ["c3"]))["error"]["code"] == "not_eligible"
    listed = await presenter.call("ballot:list")
    assert listed["ballots"][0]["roll"] == {"codes": 3, "claimed": 2}
    await presenter.call("ballot:close", {"ballot_id": bid})
    revealed = await presenter.call("ballot:reveal", {"ballot_id": bid})
    # Borda, 3 candidates: 2, 1, 0 points. X 2, Y 1 + 2 = 3, Z 0.
    assert revealed["ballot"]["result"]["totals"] == {"c1": 2, "c2": 3, "c3": 0}
    assert revealed["ballot"]["result"]["winners"] == ["c2"]
    for c in (presenter, ada, bob, cy):
        await c.disconnect()


async def test_bad_input_changes_nothing(server: RunningServer, event: dict[str, str]) -> None:
    code = event["code"]
    presenter = await clients.presenter(server.url, code, event["presenter_key"])
    ada = await clients.attendee(server.url, code, "Ada")
    same = [{"name": "A"}, {"name": "a"}]
    nobody = [{"name": "A", "attendee_id": "a_nobody"}, {"name": "B"}]
    refusals = [
        ({"method": "lottery"}, "bad_request"),
        ({"candidates": CITIES[:1]}, "bad_request"),
        ({"title": ""}, "bad_request"),
        ({"candidates": same}, "bad_request"),
        ({"method": "score", "max_choices": 2}, "bad_request"),
        ({"eligibility": {"x": True}}, "bad_request"),
        ({"title": "x" * 500}, "too_long"),
        ({"candidates": nobody}, "not_found"),
        ({"candidates": "AB"}, "bad_request"),
    ]
    for change, error in refusals:
        spec = {"title": "T", "method": "irv", "candidates": CITIES, **change}
        ack = await presenter.call("ballot:create", spec)
        assert ack["ok"] is False and ack["error"]["code"] == error, (spec, ack)
        assert ack["error"]["message"]
    assert (await presenter.call("ballot:list"))["ballots"] == []
    forbidden = await ada.call(
        "ballot:create", {"title": "T", "method": "irv", "candidates": CITIES}
    )
    assert forbidden["error"]["code"] == "forbidden"

    ballot = await create(presenter, title="T", method="score", candidates=CITIES[:3])
    bid = ballot["id"]
    draft = await cast(ada, bid, {"c1": 3})
    assert draft["error"]["code"] == "not_open"
    assert (await presenter.call("ballot:close", {"ballot_id": bid}))["error"]["code"] == "not_open"
    assert (await presenter.call("ballot:reveal", {"ballot_id": bid}))["error"][
        "code"
    ] == "not_open"
    await open_ballot(presenter, bid)
    for choice, error in (
        ({"c1": 6}, "bad_choice"),
        ({"c9": 1}, "bad_choice"),
        ({}, "bad_choice"),
        (["c1"], "bad_request"),
        ({"c1": True}, "bad_choice"),
    ):
        ack = await cast(ada, bid, choice)
        assert ack["ok"] is False and ack["error"]["code"] == error, (choice, ack)
    assert (await cast(ada, "b_nope", {"c1": 1}))["error"]["code"] == "not_found"
    bad_vote_id = await ada.call("ballot:cast", {"ballot_id": bid, "vote_id": "", "choice": {}})
    assert bad_vote_id["error"]["code"] == "bad_request"
    reveal_open = await presenter.call("ballot:reveal", {"ballot_id": bid, "places": 2})
    assert reveal_open["error"]["code"] == "not_open"
    no_roll = await presenter.call("ballot:roll", {"ballot_id": bid, "csv": "ABCDEF12"})
    assert no_roll["error"]["code"] == "bad_request"
    claim = await ada.call("ballot:claim", {"ballot_id": bid, "voting_code": "ABCDEF12"})
    assert claim["error"]["code"] == "bad_request"
    closed = await presenter.call("ballot:close", {"ballot_id": bid})
    assert closed["ballot"]["turnout"] == 0
    places = await presenter.call("ballot:reveal", {"ballot_id": bid, "places": 9})
    assert places["error"]["code"] == "bad_request"
    for c in (presenter, ada):
        await c.disconnect()


async def test_opening_a_poll_closes_the_ballot_and_records_its_count(
    server: RunningServer, event: dict[str, str]
) -> None:
    code = event["code"]
    presenter = await clients.presenter(server.url, code, event["presenter_key"])
    ada = await clients.attendee(server.url, code, "Ada")
    ballot = await create(presenter, title="T", method="schulze", candidates=CITIES[:3])
    bid = ballot["id"]
    await open_ballot(presenter, bid)
    assert (await cast(ada, bid, ["c2", "c1"]))["ok"]
    poll = await presenter.call("poll:create", {"question": "Q", "kind": "rating"})
    assert (await presenter.call("poll:open", {"poll_id": poll["poll"]["id"]}))["ok"]
    closed = await ada.wait_for("ballot:closed")
    assert closed["ballot"]["status"] == "closed" and closed["ballot"]["result"] is None
    revealed = await presenter.call("ballot:reveal", {"ballot_id": bid})
    result = revealed["ballot"]["result"]
    assert (result["winners"], result["ballots"]) == (["c2"], 1)
    assert result["pairwise"] == {
        "c1": {"c2": 0, "c3": 1},
        "c2": {"c1": 1, "c3": 1},
        "c3": {"c1": 0, "c2": 0},
    }
    # The reveal put the ballot back on stage (and closed the poll).
    welcome = (await ada.call("state:get"))["state"]
    assert welcome["activity"]["type"] == "ballot"
    for c in (presenter, ada):
        await c.disconnect()


async def export(base_url: str, code: str, key: str) -> dict[str, Any]:
    async with (
        aiohttp.ClientSession() as http,
        http.get(
            f"{base_url}/api/events/{code}/export", headers={"Authorization": f"Bearer {key}"}
        ) as response,
    ):
        assert response.status == 200, await response.text()
        body: dict[str, Any] = json.loads(await response.text())
        return body


def recount(path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "plenary", "recount", str(path), *args],
        capture_output=True,
        text=True,
        timeout=60,
    )


async def test_recount_of_the_export_agrees(
    server: RunningServer, event: dict[str, str], tmp_path: Path
) -> None:
    code, key = event["code"], event["presenter_key"]
    presenter = await clients.presenter(server.url, code, key)
    voters = list(
        await asyncio.gather(*(clients.attendee(server.url, code, f"V{i}") for i in range(10)))
    )
    irv = (await create(presenter, title="IRV", method="irv", candidates=CITIES))["id"]
    await open_ballot(presenter, irv)
    await asyncio.gather(*(cast(v, irv, r) for v, r in zip(voters, RANKINGS, strict=True)))
    await presenter.call("ballot:close", {"ballot_id": irv})
    score = (await create(presenter, title="Score", method="score", candidates=CITIES))["id"]
    await open_ballot(presenter, score)  # closes nothing: the irv ballot is closed
    await asyncio.gather(*(cast(v, score, {M: i % 6, K: 5 - i % 6}) for i, v in enumerate(voters)))
    # The score ballot is still open at the export: its result is the count of the list.
    document = await export(server.url, code, key)
    section = {b["id"]: b for b in document["ballots"]}
    assert section[irv]["result"] == {"ballot_id": irv, **IRV_RESULT}
    assert section[irv]["status"] == "closed" and section[score]["status"] == "open"
    assert len(section[irv]["cast"]) == 10
    assert all(set(entry) == {"receipt", "choice"} for entry in section[irv]["cast"])
    text = json.dumps(document["ballots"])
    for voter in voters:  # anonymised: no attendee id anywhere in the ballots
        assert voter.welcome["attendee"]["id"] not in text
    assert "receipt_key" not in text
    path = tmp_path / "export.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    done = await asyncio.to_thread(recount, path)
    assert done.returncode == 0, done.stderr
    assert "tie" not in done.stdout.split("\n")[1] and "winner: Nashville" in done.stdout
    assert "round 2: Memphis 4, Nashville 3, Knoxville 3; out: Knoxville" in done.stdout
    assert "2 ballots recounted: every recorded result checks out." in done.stdout
    as_json = await asyncio.to_thread(recount, path, "--json")
    assert json.loads(as_json.stdout)[0] == {"ballot_id": irv, **IRV_RESULT}

    # One ballot changed in the file: the recount finds it and fails.
    tampered = json.loads(json.dumps(document))
    first = next(b for b in tampered["ballots"] if b["id"] == irv)
    first["cast"][0]["choice"] = [C] if first["cast"][0]["choice"][0] != C else [M]
    path.write_text(json.dumps(tampered), encoding="utf-8")
    done = await asyncio.to_thread(recount, path)
    assert done.returncode == 1
    assert f"DIFFERENT ballot {irv}: rounds: recorded" in done.stderr
    assert "1 ballots recounted" not in done.stderr and "differences" in done.stderr
    path.write_text("not json", encoding="utf-8")
    assert (await asyncio.to_thread(recount, path)).returncode == 2
    for c in (presenter, *voters):
        await c.disconnect()


# -- two processes sharing one Redis ------------------------------------------------


@pytest.mark.redis
async def test_ballot_across_two_processes(
    two_servers: tuple[ServerProcess, ServerProcess],
) -> None:
    one, two = two_servers
    event = await asyncio.to_thread(create_event_sync, one.url)
    code = event["code"]
    presenter = await clients.presenter(one.url, code, event["presenter_key"])
    screen = await clients.screen(two.url, code)
    on_one = await asyncio.gather(*(clients.attendee(one.url, code, f"One{i}") for i in range(5)))
    on_two = await asyncio.gather(*(clients.attendee(two.url, code, f"Two{i}") for i in range(5)))
    voters = [*on_one, *on_two]
    ballot = await create(
        presenter,
        title="Across",
        method="irv",
        candidates=CITIES,
        eligibility={"voter_roll": True},
    )
    bid = ballot["id"]
    codes = [f"CODE{i:04d}" for i in range(10)]
    assert (await presenter.call("ballot:roll", {"ballot_id": bid, "csv": "\n".join(codes)}))["ok"]
    await open_ballot(presenter, bid)
    # Both processes' attendees race for the same code: exactly one gets it.
    raced = await asyncio.gather(
        on_one[0].call("ballot:claim", {"ballot_id": bid, "voting_code": codes[0]}),
        on_two[0].call("ballot:claim", {"ballot_id": bid, "voting_code": codes[0]}),
    )
    assert sorted(a["ok"] for a in raced) == [False, True]
    winner, loser = (on_one[0], on_two[0]) if raced[0]["ok"] else (on_two[0], on_one[0])
    # The winner's code first (it holds it already), the loser gets the last one.
    order = [winner, *(v for v in voters if v is not winner and v is not loser), loser]
    claims = await asyncio.gather(
        *(
            v.call("ballot:claim", {"ballot_id": bid, "voting_code": c})
            for v, c in zip(order, codes, strict=True)
        )
    )
    assert all(c["ok"] for c in claims), claims
    acks = await asyncio.gather(*(cast(v, bid, r) for v, r in zip(voters, RANKINGS, strict=True)))
    assert all(a["ok"] for a in acks), acks
    retried = await asyncio.gather(
        *(cast(v, bid, [C], vid=f"late-{i}") for i, v in enumerate(on_two))
    )
    again = await asyncio.gather(
        *(cast(v, bid, [C], vid=f"late-{i}") for i, v in enumerate(on_two))
    )
    assert all(a["ok"] for a in retried) and all(a["duplicate"] for a in again)
    await screen.wait_for("ballot:turnout", lambda m: m["turnout"] == 10, timeout=15)
    closed = await presenter.call("ballot:close", {"ballot_id": bid})
    assert closed["ballot"]["turnout"] == 10
    await screen.wait_for("ballot:closed")
    revealed = await presenter.call("ballot:reveal", {"ballot_id": bid})
    # Voters 5-9 (on process two) all switched to Chattanooga alone.
    expected = [*RANKINGS[:5], *[[C]] * 5]
    assert revealed["ballot"]["result"]["ballots"] == 10
    assert revealed["ballot"]["result"]["rounds"][0]["totals"] == {M: 4, N: 1, C: 5, K: 0}
    final = await screen.wait_for("ballot:revealed", lambda m: m["ballot"]["result"])
    assert final["ballot"]["result"] == revealed["ballot"]["result"]
    for watcher in [screen, *voters]:
        await watcher.wait_for("ballot:revealed")
        before = watcher.frames[
            : next(i for i, (n, _) in enumerate(watcher.frames) if n == "ballot:revealed")
        ]
        assert leaks(before) == []
    published = await on_one[1].call("ballot:published", {"ballot_id": bid})
    assert sorted(e["choice"] for e in published["cast"]) == sorted(expected)
    for c in (presenter, screen, *voters):
        await c.disconnect()


async def test_a_ballot_in_a_room_belongs_to_that_room(
    server: RunningServer, event: dict[str, str], tmp_path: Path
) -> None:
    code = event["code"]
    room = (await add_room(server, event, "Pitch room"))["room"]["id"]
    presenter = await clients.presenter(server.url, code, event["presenter_key"], room=room)
    inside = await clients.attendee(server.url, code, "Inside", room=room)
    outside = await clients.attendee(server.url, code, "Outside")
    ballot = await create(presenter, title="Room award", method="plurality", candidates=CITIES)
    bid = ballot["id"]
    await open_ballot(presenter, bid)
    await inside.wait_for("ballot:opened")
    assert (await cast(inside, bid, C))["ok"]
    # The main room has no such ballot; its attendee heard nothing of it.
    missing = await cast(outside, bid, C)
    assert missing["ok"] is False and missing["error"]["code"] == "not_found"
    assert [n for n, _ in outside.frames if n.startswith("ballot:")] == []
    await presenter.call("ballot:close", {"ballot_id": bid})
    document = await export(server.url, code, event["presenter_key"])
    [item] = document["ballots"]
    assert (item["room"], item["result"]["winners"], item["result"]["ballots"]) == (room, [C], 1)
    path = tmp_path / "export.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    assert (await asyncio.to_thread(recount, path)).returncode == 0
    for c in (presenter, inside, outside):
        await c.disconnect()
