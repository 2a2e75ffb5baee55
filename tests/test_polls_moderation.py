"""Moderation of text answers (word clouds and open text).

Unit tests of the pure rules (activities/polls/moderation.py): statuses, decisions,
settings, the profanity filter and its word lists, what presenters and everyone else
see. Then end to end against the real server on both backends: pre-moderation, a
hidden answer leaving every screen and attendee and staying in the export with its
status, the filter, concurrent decisions from two presenters (and from two processes
sharing one Redis), errors, and the attendees' gapless ``state_seq``.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any, ClassVar

import aiohttp
import pytest

from plenary.activities.polls.domain import Poll, build_poll
from plenary.activities.polls.limits import PollLimits
from plenary.activities.polls.moderation import (
    LANGUAGES,
    MAX_BLOCKED_WORDS,
    WORDLISTS,
    Blocklist,
    EntryStatus,
    Mode,
    Moderation,
    Pattern,
    builtin_words,
    decision_meta,
    entry_key,
    read_wordlist,
    settings_meta,
    summaries,
)
from plenary.errors import ErrorCode, PlenaryError
from plenary.text import normalise_word
from tests.support import clients
from tests.support.clients import Client
from tests.support.server import RunningServer, ServerProcess, create_event_sync

LIMITS = PollLimits()


def text_poll(kind: str = "open_text") -> Poll:
    return build_poll("p_1", "Thoughts?", kind, None, None, LIMITS, now=1)


def moderation(**meta: Any) -> Moderation:
    return Moderation.from_meta(meta)


def error_code(fn: Any, *args: Any) -> ErrorCode:
    with pytest.raises(PlenaryError) as info:
        fn(*args)
    return info.value.code


# -- the rules -------------------------------------------------------------------------------
class TestStatus:
    def test_off_shows_everything_at_once(self) -> None:
        m = moderation()
        assert m.status("great talk") is EntryStatus.APPROVED
        assert not m.active

    def test_pre_waits_for_approval(self) -> None:
        m = moderation(moderation="pre")
        assert m.status("great talk") is EntryStatus.PENDING
        assert m.active

    def test_decisions_win_over_mode_and_filter(self) -> None:
        m = moderation(
            moderation="pre",
            filter=True,
            **{"entry:shit": "approved", "entry:nice": "hidden", "entry:ok": "approved"},
        )
        blocked = m.blocklist()
        assert m.status("shit", blocked) is EntryStatus.APPROVED  # shown on purpose
        assert m.status("nice", blocked) is EntryStatus.HIDDEN
        assert m.status("ok", blocked) is EntryStatus.APPROVED
        assert m.status("fuck off", blocked) is EntryStatus.FILTERED
        assert m.status("other", blocked) is EntryStatus.PENDING

    def test_hidden_in_off_mode_makes_it_active(self) -> None:
        assert moderation(**{"entry:x": "hidden"}).active
        assert not moderation(**{"entry:x": "approved"}).active

    def test_junk_in_the_state_fields_is_ignored(self) -> None:
        m = moderation(moderation="later", filter=0, **{"entry:x": "maybe", "other": 1})
        assert m == Moderation()


class TestFilter:
    @pytest.mark.parametrize(
        "entry",
        [
            "Shit",
            "this is shit!",
            "FUCKING great",
            "motherfucker",
            "Scheiße",
            "SCHEISSE",
            "enculé",
            "ENCULE",
            "ta gueule",
            "Ta   gueule!",
            "kurwa mać",
            "vaffanculo",
            "hijo de puta",
        ],
    )
    def test_builtin_lists_block(self, entry: str) -> None:
        m = moderation(filter=True)
        assert m.status(normalise_word(entry), m.blocklist()) is EntryStatus.FILTERED

    @pytest.mark.parametrize(
        "entry",
        ["class", "assistant", "shitake", "Scunthorpe", "café con leche", "gueule de bois", ""],
    )
    def test_whole_words_only(self, entry: str) -> None:
        m = moderation(filter=True)
        assert m.status(normalise_word(entry), m.blocklist()) is EntryStatus.APPROVED

    def test_a_polls_own_words_also_with_the_filter_off(self) -> None:
        m = moderation(blocked_words=["pineapple", "ana*", "hot dog"])
        blocked = m.blocklist()
        assert blocked is not None and m.active
        for entry in ("Pineapple pizza", "ananas", "a hot dog", "ANA"):
            assert m.status(normalise_word(entry), blocked) is EntryStatus.FILTERED, entry
        for entry in ("shit", "banana", "hot", "dog hot"):
            assert m.status(normalise_word(entry), blocked) is EntryStatus.APPROVED, entry

    def test_patterns(self) -> None:
        assert Pattern.parse("  ") is None and Pattern.parse("*") is None
        assert Pattern.parse("Fuck*") == Pattern(("fuck",), True)
        assert Pattern.parse("ta Gueule") == Pattern(("ta", "gueule"), False)
        assert Blocklist(["a b*"]).blocks("x a bcd y")
        assert not Blocklist(["a b*"]).blocks("a x bcd")

    def test_every_language_has_a_list_that_blocks_its_own_words(self) -> None:
        assert {p.stem for p in WORDLISTS.glob("*.txt")} == set(LANGUAGES)
        every = builtin_words()
        for lang in LANGUAGES:
            entries = read_wordlist(WORDLISTS / f"{lang}.txt")
            assert len(entries) >= 15, lang
            assert set(entries) <= set(every)
            blocked = Blocklist(entries)
            for entry in entries:
                assert blocked.blocks(normalise_word(entry.rstrip("*"))), (lang, entry)

    def test_the_lists_leave_common_words_of_the_other_languages_alone(self) -> None:
        blocked = Blocklist(builtin_words())
        everyday = (
            "con leche",  # es, it: with
            "the class assignment",
            "Analyse",
            "Mitarbeiter",
            "Konferenz",
            "bonjour à tous",
            "grazie mille",
            "dziękuję bardzo",
            "gracias",
            "passion",
        )
        for text in everyday:
            assert not blocked.blocks(normalise_word(text)), text


class TestChanges:
    def test_decisions_bump_the_moderation_seq_once(self) -> None:
        m = moderation(mod_seq=4)
        change = decision_meta(m, "great talk", "hide")
        assert change == {"entry:great talk": "hidden", "mod_seq": 5}
        after = Moderation.from_meta(change)
        assert decision_meta(after, "great talk", "hide") == {}  # nothing changes
        assert decision_meta(after, "great talk", "show") == {
            "entry:great talk": "approved",
            "mod_seq": 6,
        }
        assert decision_meta(after, "x", "approve")["entry:x"] == "approved"
        assert error_code(decision_meta, m, "x", "delete") is ErrorCode.BAD_REQUEST

    def test_entry_keys_are_counting_keys(self) -> None:
        assert entry_key("  Great Talk!! ") == "great talk"
        assert error_code(entry_key, "!!!") is ErrorCode.BAD_REQUEST
        assert error_code(entry_key, "x" * 401) is ErrorCode.BAD_REQUEST
        assert error_code(entry_key, 3) is ErrorCode.BAD_REQUEST

    def test_settings(self) -> None:
        m = Moderation()
        assert settings_meta(m) == {}
        assert settings_meta(m, "off", False, []) == {}
        assert settings_meta(m, "pre", True, [" Pine  apple ", "pine apple", "x*"]) == {
            "moderation": "pre",
            "filter": True,
            "blocked_words": ["Pine apple", "pine apple", "x*"],
            "mod_seq": 1,
        }
        assert error_code(settings_meta, m, "post") is ErrorCode.BAD_REQUEST
        assert error_code(settings_meta, m, None, "yes") is ErrorCode.BAD_REQUEST
        too_many = [f"w{i}" for i in range(MAX_BLOCKED_WORDS + 1)]
        assert error_code(settings_meta, m, None, None, too_many) is ErrorCode.BAD_REQUEST
        assert error_code(settings_meta, m, None, None, ["x" * 41]) is ErrorCode.BAD_REQUEST
        assert error_code(settings_meta, m, None, None, "x") is ErrorCode.BAD_REQUEST
        assert Moderation.from_meta(settings_meta(m, "pre")).mode is Mode.PRE


class TestSummaries:
    COUNTS: ClassVar[dict[str, int]] = {
        "great talk": 5,
        "shit": 3,
        "coffee": 2,
        "later": 1,
        "gone": 0,
    }
    LABELS: ClassVar[dict[str, str]] = {
        "great talk": "Great talk!",
        "shit": "Shit",
        "coffee": "Coffee",
        "later": "later",
    }

    def test_without_moderation_both_see_the_same(self) -> None:
        staff, public = summaries(text_poll(), self.COUNTS, 9, self.LABELS, Moderation())
        assert staff is public
        assert "statuses" not in staff and staff["distinct"] == 4

    def test_everyone_else_sees_visible_entries_only(self) -> None:
        m = moderation(
            moderation="pre",
            filter=True,
            **{"entry:great talk": "approved", "entry:coffee": "hidden"},
        )
        staff, public = summaries(text_poll(), self.COUNTS, 9, self.LABELS, m)
        assert public == {
            "total": 9,
            "counts": {"great talk": 5},
            "distinct": 1,
            "labels": {"great talk": "Great talk!"},
        }
        assert staff["total"] == 9 and staff["distinct"] == 4
        assert staff["counts"] == {"great talk": 5, "shit": 3, "coffee": 2, "later": 1}
        assert list(staff["counts"]) == ["great talk", "shit", "coffee", "later"]
        assert staff["labels"] == self.LABELS
        assert staff["statuses"] == {
            "great talk": "approved",
            "shit": "filtered",
            "coffee": "hidden",
            "later": "pending",
        }
        assert staff["by_status"] == {"approved": 1, "pending": 1, "hidden": 1, "filtered": 1}

    def test_presenters_see_the_top_visible_and_the_top_waiting(self) -> None:
        counts = {f"w{i:03d}": 1000 - i for i in range(120)}
        m = moderation(moderation="pre", **{f"entry:w{i:03d}": "approved" for i in range(60)})
        staff, public = summaries(text_poll("wordcloud"), counts, 500, None, m)
        assert list(public["counts"]) == [f"w{i:03d}" for i in range(50)]
        assert public["distinct"] == 60
        assert len(staff["counts"]) == 100 and staff["distinct"] == 120
        waiting = [k for k, s in staff["statuses"].items() if s == "pending"]
        assert waiting == [f"w{i:03d}" for i in range(60, 110)]

    def test_choice_polls_are_never_moderated(self) -> None:
        poll = build_poll("p", "Q", "single", ["a", "b"], None, LIMITS, now=1)
        m = moderation(moderation="pre", **{"entry:a": "hidden"})
        staff, public = summaries(poll, {"a": 2}, 2, None, m)
        assert staff is public and public["counts"] == {"a": 2, "b": 0}


# -- end to end ----------------------------------------------------------------------------
async def text_poll_open(presenter: Client, kind: str = "open_text", **settings: Any) -> str:
    created = await presenter.call("poll:create", {"question": "Thoughts?", "kind": kind})
    assert created["ok"], created
    poll_id: str = created["poll"]["id"]
    if settings:
        changed = await presenter.call("poll:moderation", {"poll_id": poll_id, **settings})
        assert changed["ok"], changed
    assert (await presenter.call("poll:screen", {"poll_id": poll_id, "live": True}))["ok"]
    assert (await presenter.call("poll:open", {"poll_id": poll_id}))["ok"]
    return poll_id


async def latest(client: Client, poll_id: str, seq: int) -> dict[str, Any]:
    """The first ``poll:results`` of ``poll_id`` with ``seq`` at least ``seq``."""
    return await client.wait_for(
        "poll:results", lambda m: m["poll_id"] == poll_id and m["seq"] >= seq
    )


async def test_pre_moderation_shows_only_approved_answers(
    server: RunningServer, event: dict[str, str]
) -> None:
    code = event["code"]
    presenter = await clients.presenter(server.url, code, event["presenter_key"])
    screen = await clients.screen(server.url, code)
    people = [await clients.attendee(server.url, code, f"P{i}") for i in range(3)]
    poll_id = await text_poll_open(presenter, mode="pre")
    opened = await screen.wait_for("poll:opened")
    assert opened["poll"]["moderation"] == "pre" and "blocked_words" not in opened["poll"]
    for person, text in zip(people, ["Great talk!", "great talk", "More coffee"], strict=True):
        assert (await person.vote(poll_id, text))["ok"]

    mine = await latest(presenter, poll_id, 4)  # 3 answers, the mode
    assert mine["counts"] == {"great talk": 2, "more coffee": 1}
    assert mine["statuses"] == {"great talk": "pending", "more coffee": "pending"}
    assert mine["by_status"]["pending"] == 2
    shown = await latest(screen, poll_id, 4)
    assert shown["counts"] == {} and shown["total"] == 3 and shown["distinct"] == 0
    assert "statuses" not in shown

    approved = await presenter.call(
        "poll:moderate", {"poll_id": poll_id, "entry": "Great talk", "action": "approve"}
    )
    assert approved["ok"] and approved["entry"] == "great talk"
    assert approved["status"] == "approved"
    assert approved["results"]["statuses"]["great talk"] == "approved"
    assert approved["results"]["seq"] == 5  # 3 answers, the mode, 1 decision
    shown = await latest(screen, poll_id, 5)
    assert shown["counts"] == {"great talk": 2} and shown["labels"]["great talk"] == "Great talk!"

    # The reveal: attendees see what the screen sees.
    revealed = await presenter.call("poll:reveal", {"poll_id": poll_id})
    assert revealed["results"]["counts"] == {"great talk": 2, "more coffee": 1}
    for person in people:
        seen = await person.wait_for("poll:revealed")
        assert seen["results"]["counts"] == {"great talk": 2}
        assert "statuses" not in seen["results"]
    # Welcomes follow the same rule.
    late = await clients.attendee(server.url, code, "Late")
    assert late.welcome["activity"]["poll"]["results"]["counts"] == {"great talk": 2}
    again = await clients.screen(server.url, code)
    assert again.welcome["activity"]["poll"]["results"]["counts"] == {"great talk": 2}
    assert again.welcome["polls"][0]["results"]["counts"] == {"great talk": 2}
    listed = await presenter.call("poll:list")
    assert listed["polls"][0]["results"]["statuses"]["more coffee"] == "pending"
    for c in (presenter, screen, late, again, *people):
        await c.disconnect()


async def test_a_hidden_answer_leaves_every_screen_and_attendee_and_stays_exported(
    server: RunningServer, event: dict[str, str]
) -> None:
    code = event["code"]
    presenter = await clients.presenter(server.url, code, event["presenter_key"])
    screens = [await clients.screen(server.url, code) for _ in range(2)]
    people = [await clients.attendee(server.url, code, f"P{i}") for i in range(3)]
    poll_id = await text_poll_open(presenter, kind="wordcloud")
    assert (await presenter.call("poll:reveal", {"poll_id": poll_id}))["ok"]
    answers = [["Rude", "sun"], ["rude"], ["Sun", "sea"]]
    for person, words in zip(people, answers, strict=True):
        assert (await person.vote(poll_id, words))["ok"]
    for client in (*screens, *people):
        live = await latest(client, poll_id, 3)
        assert live["counts"] == {"rude": 2, "sun": 2, "sea": 1}

    hidden = await presenter.call(
        "poll:moderate", {"poll_id": poll_id, "entry": "rude", "action": "hide"}
    )
    assert hidden["ok"] and hidden["status"] == "hidden"
    assert hidden["results"]["statuses"] == {"rude": "hidden", "sun": "approved", "sea": "approved"}
    state_seq = hidden["poll"]["state_seq"]
    for client in (*screens, *people):
        gone = await latest(client, poll_id, 4)
        assert gone["counts"] == {"sun": 2, "sea": 1} and gone["total"] == 3
        assert "rude" not in gone["labels"] and gone["seq"] == 4
        # The poll itself went to everyone too: its state_seq follows without a gap.
        updated = await client.wait_for("poll:updated", lambda m: m["poll"]["id"] == poll_id)
        if client in people:  # attendees: the first since poll:revealed, right after it
            revealed = client.received["poll:revealed"][0]["poll"]["state_seq"]
            assert revealed + 1 == updated["poll"]["state_seq"] == state_seq
        else:
            await client.wait_for(
                "poll:updated", lambda m, seq=state_seq: m["poll"]["state_seq"] == seq
            )
    # Again: nothing changes, nothing is sent.
    again = await presenter.call(
        "poll:moderate", {"poll_id": poll_id, "entry": "rude", "action": "hide"}
    )
    assert again["ok"] and again["poll"]["state_seq"] == hidden["poll"]["state_seq"]

    # The export keeps every answer, with the status of each word.
    async with (
        aiohttp.ClientSession() as http,
        http.get(
            f"{server.url}/api/events/{code}/export",
            headers={"Authorization": f"Bearer {event['presenter_key']}"},
        ) as response,
    ):
        exported = json.loads(await response.text())
    poll = exported["polls"][0]
    assert sorted((a["labels"], a["statuses"]) for a in poll["answers"]) == sorted(
        [
            (["Rude", "sun"], ["hidden", "approved"]),
            (["rude"], ["hidden"]),
            (["Sun", "sea"], ["approved", "approved"]),
        ]
    )
    assert poll["results"]["counts"]["rude"] == 2
    assert poll["results"]["statuses"]["rude"] == "hidden"

    shown = await presenter.call(
        "poll:moderate", {"poll_id": poll_id, "entry": "rude", "action": "show"}
    )
    assert shown["status"] == "approved"
    for client in (*screens, *people):
        back = await latest(client, poll_id, 5)
        assert back["counts"] == {"rude": 2, "sun": 2, "sea": 1}
    for c in (presenter, *screens, *people):
        await c.disconnect()


async def test_the_profanity_filter_and_a_polls_own_words(
    server: RunningServer, event: dict[str, str]
) -> None:
    code = event["code"]
    presenter = await clients.presenter(server.url, code, event["presenter_key"])
    screen = await clients.screen(server.url, code)
    people = [await clients.attendee(server.url, code, f"P{i}") for i in range(4)]
    poll_id = await text_poll_open(presenter, kind="wordcloud", filter=True)
    for person, words in zip(
        people, [["Shit"], ["sunshine", "Scheiße"], ["pineapple"], ["class"]], strict=True
    ):
        assert (await person.vote(poll_id, words))["ok"]
    shown = await latest(screen, poll_id, 5)  # 4 answers, the filter
    assert shown["counts"] == {"class": 1, "pineapple": 1, "sunshine": 1}
    mine = await latest(presenter, poll_id, 5)
    assert mine["statuses"]["shit"] == mine["statuses"]["scheisse"] == "filtered"

    words = await presenter.call(
        "poll:moderation", {"poll_id": poll_id, "blocked_words": ["Pineapple"]}
    )
    assert words["ok"] and words["poll"]["blocked_words"] == ["Pineapple"]
    assert words["results"]["statuses"]["pineapple"] == "filtered"
    shown = await latest(screen, poll_id, words["results"]["seq"])
    assert shown["counts"] == {"class": 1, "sunshine": 1}
    # The screen's copy of the poll never carries the blocked words.
    assert all("blocked_words" not in m["poll"] for m in screen.received["poll:updated"])

    # A filtered word shown on purpose; the filter off shows the rest.
    await presenter.call("poll:moderate", {"poll_id": poll_id, "entry": "shit", "action": "show"})
    off = await presenter.call("poll:moderation", {"poll_id": poll_id, "filter": False})
    assert off["results"]["statuses"]["scheisse"] == "approved"
    shown = await latest(screen, poll_id, off["results"]["seq"])
    assert shown["counts"] == {"class": 1, "scheisse": 1, "shit": 1, "sunshine": 1}
    for c in (presenter, screen, *people):
        await c.disconnect()


async def test_concurrent_decisions_from_two_presenters_all_stay(
    server: RunningServer, event: dict[str, str]
) -> None:
    code = event["code"]
    one = await clients.presenter(server.url, code, event["presenter_key"])
    two = await clients.presenter(server.url, code, event["presenter_key"])
    people = [await clients.attendee(server.url, code, f"P{i}") for i in range(20)]
    poll_id = await text_poll_open(one, mode="pre")
    assert all(
        a["ok"]
        for a in await asyncio.gather(*(p.vote(poll_id, f"idea {i}") for i, p in enumerate(people)))
    )
    decisions = [
        (one if i % 2 else two, f"idea {i}", "hide" if i % 3 == 0 else "approve") for i in range(20)
    ]
    acks = await asyncio.gather(
        *(
            c.call("poll:moderate", {"poll_id": poll_id, "entry": e, "action": a})
            for c, e, a in decisions
        )
    )
    assert all(a["ok"] for a in acks), acks
    listed = (await one.call("poll:list"))["polls"][0]["results"]
    expected = {e: ("hidden" if a == "hide" else "approved") for _, e, a in decisions}
    assert listed["statuses"] == expected
    # Every answer, the mode and every decision counted once.
    assert listed["seq"] == 20 + 1 + 20
    for c in (one, two, *people):
        await c.disconnect()


async def test_errors_change_nothing(server: RunningServer, event: dict[str, str]) -> None:
    code = event["code"]
    presenter = await clients.presenter(server.url, code, event["presenter_key"])
    screen = await clients.screen(server.url, code)
    ada = await clients.attendee(server.url, code, "Ada")
    choice = await presenter.call(
        "poll:create", {"question": "Q", "kind": "single", "options": ["x", "y"]}
    )
    choice_id = choice["poll"]["id"]
    text_id = (await presenter.call("poll:create", {"question": "T", "kind": "open_text"}))["poll"][
        "id"
    ]
    cases: list[tuple[Client, str, dict[str, Any], str]] = [
        (presenter, "poll:moderation", {"poll_id": choice_id, "mode": "pre"}, "bad_request"),
        (presenter, "poll:moderation", {"poll_id": text_id, "mode": "later"}, "bad_request"),
        (presenter, "poll:moderation", {"poll_id": text_id, "filter": "yes"}, "bad_request"),
        (presenter, "poll:moderation", {"poll_id": "p_nope", "mode": "pre"}, "not_found"),
        (
            presenter,
            "poll:moderate",
            {"poll_id": choice_id, "entry": "a", "action": "hide"},
            "bad_request",
        ),
        (
            presenter,
            "poll:moderate",
            {"poll_id": text_id, "entry": "a", "action": "burn"},
            "bad_request",
        ),
        (
            presenter,
            "poll:moderate",
            {"poll_id": text_id, "entry": "!!", "action": "hide"},
            "bad_request",
        ),
        (
            presenter,
            "poll:moderate",
            {"poll_id": text_id, "entry": "", "action": "hide"},
            "bad_request",
        ),
        (presenter, "poll:screen", {"poll_id": text_id, "live": "yes"}, "bad_request"),
        (
            screen,
            "poll:moderate",
            {"poll_id": text_id, "entry": "a", "action": "hide"},
            "forbidden",
        ),
        (ada, "poll:moderation", {"poll_id": text_id, "mode": "pre"}, "forbidden"),
        (ada, "poll:screen", {"poll_id": text_id, "live": True}, "forbidden"),
        (screen, "poll:screen", {"poll_id": text_id, "live": True}, "forbidden"),
    ]
    for client, name, payload, code_ in cases:
        ack = await client.call(name, payload)
        assert ack["ok"] is False and ack["error"]["code"] == code_, (name, payload, ack)
    created = await presenter.call(
        "poll:create", {"question": "Q", "kind": "rating", "moderation": "pre"}
    )
    assert created["error"]["code"] == "bad_request"
    polls = (await presenter.call("poll:list"))["polls"]
    assert [p["state_seq"] for p in polls] == [0, 0]
    assert polls[1]["moderation"] == "off" and polls[1]["filter"] is False
    assert polls[1]["blocked_words"] == [] and polls[1]["screen_live"] is False
    for c in (presenter, screen, ada):
        await c.disconnect()


async def test_settings_at_creation_and_in_a_duplicate(
    server: RunningServer, event: dict[str, str]
) -> None:
    presenter = await clients.presenter(server.url, event["code"], event["presenter_key"])
    created = await presenter.call(
        "poll:create",
        {
            "question": "Words?",
            "kind": "wordcloud",
            "screen_live": True,
            "moderation": "pre",
            "filter": True,
            "blocked_words": ["kale"],
        },
    )
    assert created["ok"], created
    poll = created["poll"]
    assert (poll["screen_live"], poll["moderation"], poll["filter"]) == (True, "pre", True)
    assert poll["blocked_words"] == ["kale"]
    copy = await presenter.call("poll:duplicate", {"poll_id": poll["id"]})
    twin = copy["poll"]
    assert (twin["screen_live"], twin["moderation"], twin["filter"]) == (True, "pre", True)
    assert twin["blocked_words"] == ["kale"] and twin["id"] != poll["id"]
    await presenter.disconnect()


# -- two processes sharing one Redis ------------------------------------------------------
@pytest.mark.redis
async def test_two_processes_moderate_at_once_and_every_screen_follows(
    two_servers: tuple[ServerProcess, ServerProcess],
) -> None:
    one, two = two_servers
    event = await asyncio.to_thread(create_event_sync, one.url)
    code, key = event["code"], event["presenter_key"]
    host_one = await clients.presenter(one.url, code, key)
    host_two = await clients.presenter(two.url, code, key)
    screens = [await clients.screen(one.url, code), await clients.screen(two.url, code)]
    people = [await clients.attendee((one, two)[i % 2].url, code, f"P{i}") for i in range(12)]
    poll_id = await text_poll_open(host_one)
    acks = await asyncio.gather(*(p.vote(poll_id, f"idea {i}") for i, p in enumerate(people)))
    assert all(a["ok"] for a in acks)
    for screen in screens:
        assert len((await latest(screen, poll_id, 12))["counts"]) == 12
    # Each presenter hides half the ideas, on its own process, at the same time.
    hides = await asyncio.gather(
        *(
            (host_one if i % 2 else host_two).call(
                "poll:moderate", {"poll_id": poll_id, "entry": f"idea {i}", "action": "hide"}
            )
            for i in range(12)
            if i % 3
        )
    )
    assert all(a["ok"] for a in hides), hides
    visible = {f"idea {i}": 1 for i in range(12) if i % 3 == 0}
    for screen in screens:
        final = await latest(screen, poll_id, 12 + len(hides))
        assert final["counts"] == visible
    statuses = (await host_two.call("poll:list"))["polls"][0]["results"]["statuses"]
    assert [k for k, s in statuses.items() if s == "approved"] == sorted(visible)
    for c in (host_one, host_two, *screens, *people):
        await c.disconnect()


def test_word_lists_are_packaged() -> None:
    pyproject = (Path(__file__).resolve().parents[1] / "pyproject.toml").read_text()
    assert "activities/polls/wordlists/*.txt" in pyproject
