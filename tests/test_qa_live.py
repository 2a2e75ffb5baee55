"""Live Q&A and reactions end to end: the real server on a free port, real Socket.IO
clients over real websockets, against both backends (memory and a real Redis)."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import uuid
from typing import Any

import aiohttp

from tests.support import clients
from tests.support.clients import Client
from tests.support.server import RunningServer


async def people(
    server: RunningServer, event: dict[str, str], names: list[str]
) -> tuple[Client, Client, list[Client]]:
    presenter = await clients.presenter(server.url, event["code"], event["presenter_key"])
    screen = await clients.screen(server.url, event["code"])
    attendees = [await clients.attendee(server.url, event["code"], n) for n in names]
    return presenter, screen, attendees


async def ask(
    client: Client, text: str, anonymous: bool = False, ask_id: str | None = None
) -> dict[str, Any]:
    payload = {"text": text, "anonymous": anonymous, "ask_id": ask_id or uuid.uuid4().hex}
    return await client.call("qa:ask", payload)


async def asked(client: Client, text: str, anonymous: bool = False) -> str:
    ack = await ask(client, text, anonymous)
    assert ack["ok"], ack
    question_id: str = ack["question"]["id"]
    return question_id


async def upvote(client: Client, question_id: str, up: bool = True) -> dict[str, Any]:
    return await client.call("qa:upvote", {"question_id": question_id, "up": up})


async def qa_state(client: Client) -> dict[str, Any]:
    state = await client.call("state:get")
    assert state["ok"], state
    qa: dict[str, Any] = state["state"]["qa"]
    return qa


async def close_all(*everyone: Client) -> None:
    for client in everyone:
        await client.disconnect()


async def test_ask_upvote_and_the_sorted_list(server: RunningServer, event: dict[str, str]) -> None:
    presenter, screen, (ada, bob, cy) = await people(server, event, ["Ada", "Bob", "Cy"])
    assert ada.welcome["qa"] == {
        "questions": [],
        "version": 0,
        "highlighted": None,
        "settings": {"anonymous": True, "moderation": False},
    }
    first = await ask(ada, "  Where   are the slides? ", ask_id="ada-1")
    assert first["ok"] and first["question"]["text"] == "Where are the slides?"
    assert first["question"]["votes"] == 0 and first["question"]["status"] == "approved"
    assert first["question"]["author"] == "Ada" and first["question"]["mine"] is True
    # A retry of the same ask_id is the same question, stored once.
    retry = await ask(ada, "Where are the slides?", ask_id="ada-1")
    assert retry["duplicate"] is True and retry["question"]["id"] == first["question"]["id"]
    slides = first["question"]["id"]
    coffee = await asked(bob, "When is the coffee break?")
    later = await asked(cy, "Will there be a recording?")

    acks = await asyncio.gather(
        upvote(ada, coffee), upvote(bob, later), upvote(cy, coffee), upvote(cy, later)
    )
    assert [a["votes"] for a in acks][-1] in (1, 2)
    assert all(a["ok"] for a in acks), acks
    # Upvoting twice counts once; withdrawing takes it back; withdrawing again is a no-op.
    assert (await upvote(ada, coffee))["votes"] == 2
    assert (await upvote(bob, slides))["votes"] == 1
    assert (await upvote(bob, slides, up=False))["votes"] == 0
    assert (await upvote(bob, slides, up=False))["votes"] == 0
    assert (await upvote(ada, later))["votes"] == 3

    assert [q["voted"] for q in (await qa_state(bob))["questions"]] == [True, False, False]
    expected = [(later, 3), (coffee, 2), (slides, 0)]
    for client in (presenter, screen, ada, bob, cy):
        listing = (await qa_state(client))["questions"]
        assert [(q["id"], q["votes"]) for q in listing] == expected
    final = await presenter.wait_for("qa:votes", lambda m: m["votes"] == {later: 3, coffee: 2})
    assert final["version"] == (await qa_state(presenter))["version"]
    await cy.wait_for("qa:votes", lambda m: m["version"] == final["version"])
    # Everyone heard of every question, each with its rev.
    for client in (presenter, ada, bob, cy):
        seen = {q["id"] for m in client.received["qa:questions"] for q in m["questions"]}
        assert seen == {slides, coffee, later}
    await close_all(presenter, screen, ada, bob, cy)


async def test_moderation_queue(server: RunningServer, event: dict[str, str]) -> None:
    presenter, screen, (ada, bob) = await people(server, event, ["Ada", "Bob"])
    on = await presenter.call("qa:settings", {"moderation": True})
    assert on == {"ok": True, "settings": {"anonymous": True, "moderation": True}}
    await bob.wait_for("qa:settings", lambda m: m["settings"]["moderation"])
    waiting = await ask(ada, "Is this moderated?")
    assert waiting["question"]["status"] == "pending"
    qid = waiting["question"]["id"]
    # Only the author and the staff see a pending question; nobody else can vote on it.
    assert [q["id"] for q in (await qa_state(ada))["questions"]] == [qid]
    assert (await qa_state(bob))["questions"] == []
    assert [q["status"] for q in (await qa_state(presenter))["questions"]] == ["pending"]
    refused = await upvote(bob, qid)
    assert refused["ok"] is False and refused["error"]["code"] == "not_found"
    await presenter.wait_for("qa:questions", lambda m: m["questions"][0]["id"] == qid)

    approved = await presenter.call("qa:moderate", {"question_id": qid, "action": "approve"})
    assert approved["ok"] and approved["question"]["status"] == "approved"
    public = await bob.wait_for("qa:questions", lambda m: bool(m["questions"]))
    assert public["questions"][0]["id"] == qid and public["removed"] == []
    assert (await upvote(bob, qid))["votes"] == 1

    second = await asked(bob, "Can I ask off topic?")
    dismissed = await presenter.call("qa:moderate", {"question_id": second, "action": "dismiss"})
    assert dismissed["question"]["status"] == "dismissed"
    mine = await bob.wait_for("qa:mine", lambda m: m["questions"][0]["status"] == "dismissed")
    assert mine["questions"][0]["mine"] is True
    assert [q["status"] for q in (await qa_state(bob))["questions"] if q["mine"]] == ["dismissed"]
    assert [q["id"] for q in (await qa_state(ada))["questions"]] == [qid]
    bad = await presenter.call("qa:moderate", {"question_id": second, "action": "answer"})
    assert bad["ok"] is False and bad["error"]["code"] == "bad_request"
    await close_all(presenter, screen, ada, bob)


async def test_highlight_answer_reply_and_edit(
    server: RunningServer, event: dict[str, str]
) -> None:
    presenter, screen, (ada, bob) = await people(server, event, ["Ada", "Bob"])
    qid = await asked(ada, "What is teh roadmap?")
    shown = await presenter.call("qa:highlight", {"question_id": qid})
    assert shown["ok"] and shown["question"]["id"] == qid
    for client in (screen, bob, ada):
        message = await client.wait_for("qa:highlight", lambda m: m["question"] is not None)
        assert message["question"]["text"] == "What is teh roadmap?"
    assert (await qa_state(screen))["highlighted"]["id"] == qid

    fixed = await presenter.call("qa:edit", {"question_id": qid, "text": "What is the roadmap?"})
    assert fixed["question"]["text"] == "What is the roadmap?" and fixed["question"]["edited"]
    mine = await ada.wait_for("qa:mine", lambda m: m["questions"][0]["edited"])
    assert mine["questions"][0]["text"] == "What is the roadmap?"
    replied = await presenter.call("qa:reply", {"question_id": qid, "text": "See the last slide."})
    assert replied["question"]["reply"] == "See the last slide."
    await bob.wait_for("qa:questions", lambda m: m["questions"][0]["reply"] is not None)

    answered = await presenter.call("qa:moderate", {"question_id": qid, "action": "answer"})
    assert answered["question"]["status"] == "answered"
    # Answered takes it off the big screen, and its votes are frozen.
    await screen.wait_for("qa:highlight", lambda m: m["question"] is None)
    assert (await qa_state(bob))["highlighted"] is None
    frozen = await upvote(bob, qid)
    assert frozen["ok"] is False and frozen["error"]["code"] == "not_open"
    archived = await presenter.call("qa:moderate", {"question_id": qid, "action": "archive"})
    assert archived["question"]["status"] == "archived"
    gone = await bob.wait_for("qa:questions", lambda m: m["removed"] == [qid])
    assert gone["questions"] == []
    assert (await qa_state(bob))["questions"] == []
    await close_all(presenter, screen, ada, bob)


async def test_an_anonymous_author_is_never_revealed(
    server: RunningServer, event: dict[str, str]
) -> None:
    presenter, screen, (secret, bob) = await people(server, event, ["Secret Sam", "Bob"])
    author_id = secret.welcome["attendee"]["id"]
    qid = await asked(secret, "Why is the budget late?", anonymous=True)
    assert (await upvote(bob, qid))["ok"]
    assert (await presenter.call("qa:highlight", {"question_id": qid}))["ok"]
    assert (await presenter.call("qa:reply", {"question_id": qid, "text": "Soon."}))["ok"]
    await bob.wait_for("qa:questions", lambda m: m["questions"][0]["reply"] == "Soon.")
    await screen.wait_for("qa:questions", lambda m: m["questions"][0]["reply"] == "Soon.")
    await screen.wait_for("qa:highlight")
    late = await clients.attendee(server.url, event["code"], "Late")
    for client in (bob, screen, presenter, late):
        await qa_state(client)
        frames = json.dumps(client.received, ensure_ascii=False)
        assert "Why is the budget late?" in frames  # the question did reach them...
        assert "Secret Sam" not in frames and author_id not in frames  # ...not its author
    assert all(q["author"] is None for q in (await qa_state(bob))["questions"])
    own = (await qa_state(secret))["questions"][0]
    assert own["mine"] is True and own["anonymous"] is True and own["author"] is None

    # The presenter may turn anonymous questions off.
    await presenter.call("qa:settings", {"anonymous": False})
    refused = await ask(secret, "Another one?", anonymous=True)
    assert refused["ok"] is False and refused["error"]["code"] == "bad_request"
    await close_all(presenter, screen, secret, bob, late)


async def test_bad_questions_change_nothing(server: RunningServer, event: dict[str, str]) -> None:
    presenter, screen, (ada,) = await people(server, event, ["Ada"])
    cases: list[tuple[str, Any, str]] = [
        ("qa:ask", {"text": "x" * 301, "ask_id": "a1"}, "too_long"),
        ("qa:ask", {"text": "   ", "ask_id": "a2"}, "bad_request"),
        ("qa:ask", {"text": "Hi?", "ask_id": "no spaces allowed"}, "bad_request"),
        ("qa:ask", {"text": 5, "ask_id": "a3"}, "bad_request"),
        ("qa:ask", {"text": "Hi?"}, "bad_request"),
        ("qa:upvote", {"question_id": "q_missing", "up": True}, "not_found"),
        ("qa:upvote", {"question_id": "q_missing", "up": "yes"}, "bad_request"),
        ("qa:moderate", {"question_id": "q_x", "action": "approve"}, "forbidden"),
    ]
    for message, payload, code in cases:
        ack = await ada.call(message, payload)
        assert ack["ok"] is False and ack["error"]["code"] == code, (message, payload, ack)
        assert ack["error"]["message"]
    for message, payload, code in [
        ("qa:moderate", {"question_id": "q_x", "action": "explode"}, "bad_request"),
        ("qa:moderate", {"question_id": "q_x", "action": "approve"}, "not_found"),
        ("qa:reply", {"question_id": "q_x", "text": "y" * 1001}, "not_found"),
        ("qa:settings", {"moderation": "on"}, "bad_request"),
        ("qa:ask", {"text": "Hi?", "ask_id": "p1"}, "forbidden"),
        ("reactions:settings", {"emojis": []}, "bad_request"),
        ("reactions:settings", {"emojis": ["👍", "👍"]}, "bad_request"),
        ("reactions:settings", {"emojis": ["a b"]}, "bad_request"),
    ]:
        ack = await presenter.call(message, payload)
        assert ack["ok"] is False and ack["error"]["code"] == code, (message, payload, ack)
    assert (await qa_state(presenter))["questions"] == []
    # Questions per attendee per minute: the 4th within the minute is refused.
    for i in range(3):
        await asked(ada, f"Question {i}?")
    limited = await ask(ada, "One too many?")
    assert limited["ok"] is False and limited["error"]["code"] == "rate_limited"
    assert limited["error"]["retry_after_ms"] > 0
    assert len((await qa_state(presenter))["questions"]) == 3
    await close_all(presenter, screen, ada)


async def test_reactions_add_up_per_window(server: RunningServer, event: dict[str, str]) -> None:
    presenter, screen, tappers = await people(server, event, [f"T{i}" for i in range(4)])
    assert tappers[0].welcome["reactions"]["emojis"] == ["👍", "❤️", "😂", "👏", "🎉"]
    window_ms = tappers[0].welcome["reactions"]["window_ms"]
    loop = asyncio.get_running_loop()
    start = loop.time()
    # Each attendee taps 15 times at once: over their burst of 10 the taps are dropped
    # silently (an ok ack, not counted), and an emoji outside the set never counts.
    emojis = ["👏" if i % 3 else "🎉" for _ in tappers for i in range(15)]
    acks = await asyncio.gather(
        *(t.call("reaction", {"emoji": emojis[i]}) for t in tappers for i in range(15)),
        tappers[0].call("reaction", {"emoji": "🦄"}),
    )
    assert all(a["ok"] for a in acks), [a for a in acks if not a["ok"]]
    counted = [a["counted"] for a in acks]
    assert counted[-1] is False
    assert 40 <= sum(counted) <= 44  # 10 each, plus what refilled meanwhile
    expected: dict[str, int] = {}
    for ack, emoji in zip(acks, emojis, strict=False):
        if ack["counted"]:
            expected[emoji] = expected.get(emoji, 0) + 1

    def total(client: Client) -> dict[str, int]:
        summed: dict[str, int] = {}
        for m in client.received["reactions"]:
            for emoji, n in m["counts"].items():
                summed[emoji] = summed.get(emoji, 0) + n
        return summed

    for client in (presenter, screen):
        for _ in range(100):
            if total(client) == expected:
                break
            await asyncio.sleep(0.05)
        assert total(client) == expected
    elapsed_ms = (loop.time() - start) * 1000
    assert len(presenter.received["reactions"]) <= elapsed_ms / window_ms + 1
    assert all(m["window_ms"] == window_ms for m in presenter.received["reactions"])
    assert all(t.received["reactions"] == [] for t in tappers)  # staff only

    changed = await presenter.call("reactions:settings", {"emojis": ["🔥", "🚀"]})
    assert changed == {"ok": True, "emojis": ["🔥", "🚀"]}
    await tappers[1].wait_for("reactions:settings")
    assert (await tappers[1].call("reaction", {"emoji": "🚀"}))["counted"] is True
    assert (await tappers[1].call("reaction", {"emoji": "👏"}))["counted"] is False
    await presenter.wait_for("reactions", lambda m: m["counts"] == {"🚀": 1})
    await close_all(presenter, screen, *tappers)


async def test_export_has_questions_and_reactions(
    server: RunningServer, event: dict[str, str]
) -> None:
    presenter, screen, (ada, bob) = await people(server, event, ["Ada", "Bob"])
    named = await asked(ada, "=SUM(A1) is this safe?")
    hidden = await asked(bob, "Anonymous one", anonymous=True)
    assert (await upvote(bob, named))["ok"]
    await presenter.call("qa:highlight", {"question_id": named})
    await presenter.call("qa:reply", {"question_id": named, "text": "Yes."})
    assert (await ada.call("reaction", {"emoji": "👍"}))["counted"]
    await presenter.wait_for("reactions")
    headers = {"Authorization": f"Bearer {event['presenter_key']}"}
    url = f"{server.url}/api/events/{event['code']}/export"
    async with aiohttp.ClientSession() as http:
        async with http.get(url, headers=headers) as resp:
            data = await resp.json()
        async with http.get(url + "?format=csv", headers=headers) as resp:
            text = await resp.text()
    questions = data["questions"]
    assert [(q["id"], q["votes"], q["status"]) for q in questions] == [
        (named, 1, "approved"),
        (hidden, 0, "approved"),
    ]
    assert questions[0]["reply"] == "Yes." and questions[0]["highlighted_at"] > 0
    assert questions[0]["attendee_name"] == "Ada"
    assert questions[1]["attendee_id"] is None and questions[1]["attendee_name"] is None
    assert [m["counts"] for m in data["reactions"]] == [{"👍": 1}]
    assert "Bob" not in json.dumps(data["questions"])
    lines = text.splitlines()
    assert sum(line.startswith('"qa",') for line in lines) == 2
    assert '"\'=SUM(A1) is this safe?"' in text  # neutralised, as every text cell
    # Read by column name: the other installed kinds' columns may follow reactions'.
    table = list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))
    minute_rows = [row for row in table if row["activity_type"] == "reactions"]
    assert [(row["emoji"], row["count"]) for row in minute_rows] == [("👍", "1")]
    await close_all(presenter, screen, ada, bob)
