"""The attendee page with the keyboard alone (WCAG 2.1.1, 2.4.3, 2.4.7): join, then
answer each poll kind (single, multiple, rating, word cloud, open text) with Tab, Enter,
Space and typing, never a click. The focus order is logical, the focused control is
visibly outlined, and when a new poll replaces what had the focus, the focus goes to its
question so the next Tab reaches its answers. Also moving between rooms, and Q&A: ask
a question and upvote another's (and take the upvote back); a pitch session (rating
with the arrow keys, feedback, a juror's scores, the presenter's next pitch and timer).
Real server, real Chromium; the answers are checked on the server.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.async_api import Browser, Page, expect

from tests.support import clients
from tests.support.browser import (  # noqa: F401 - fixtures
    assert_accessible,
    chromium,
    chromium_browser,
    chromium_path,
    embedded_server,
    open_page,
)
from tests.support.server import RunningServer, create_event

pytestmark = [
    pytest.mark.browser,
]
expect.set_options(timeout=15_000)


async def focused(page: Page, selector: str) -> bool:
    result: bool = await page.evaluate(
        "(s) => Boolean(document.activeElement && document.activeElement.matches(s))", selector
    )
    return result


async def tab_to(page: Page, selector: str, max_presses: int = 12, key: str = "Tab") -> None:
    """Press Tab (or ``key``: Shift+Tab) until the element matching ``selector`` has the
    focus; it must show a visible focus outline."""
    for _ in range(max_presses):
        if await focused(page, selector):
            break
        await page.keyboard.press(key)
    assert await focused(page, selector), f"{key} never reached {selector}"
    await assert_focus_visible(page, selector)


async def assert_focus_visible(page: Page, selector: str) -> None:
    """The element matching ``selector`` has the focus and is outlined (at least 2 px),
    so a keyboard user sees where they are."""
    # Waited for: a broadcast often shows a change before the ack that moves the focus.
    await expect(page.locator(selector)).to_be_focused()
    outline = await page.evaluate(
        """() => {
        const style = getComputedStyle(document.activeElement);
        return { style: style.outlineStyle, width: parseFloat(style.outlineWidth) };
    }"""
    )
    assert outline["style"] != "none" and outline["width"] >= 2, (selector, outline)


async def answered(server: RunningServer, code: str, poll_id: str) -> dict[str, Any]:
    polls = await server.services.kinds["poll"].service.list_polls(code)  # type: ignore[attr-defined]
    results: dict[str, Any] = next(p["results"] for p in polls if p["id"] == poll_id)
    return results


async def test_keyboard_only_join_and_answer_every_poll_kind(
    server: RunningServer, browser: Browser
) -> None:
    event = await create_event(server.url, "Keyboard event")
    code = event["code"]
    page, _, log = await open_page(browser, f"{server.url}/?event={code}", width=390, height=844)

    # The code came with the link: the focus starts on the name; the order is the form's.
    await expect(page.locator("#event-code")).to_have_value(code)
    assert await focused(page, "#name")
    await page.keyboard.type("Kim")
    order = []
    for _ in range(3):
        await page.keyboard.press("Tab")
        order.append(await page.evaluate("document.activeElement.id"))
    assert order == ["country", "organisation", "join"]
    await page.keyboard.press("Enter")
    await expect(page.locator("#attendee-name")).to_have_text("Kim")
    # The join button is gone: the focus went on to the "waiting" card, not to <body>.
    assert await focused(page, "#waiting-title")

    boss = await clients.presenter(server.url, code, event["presenter_key"])
    try:

        async def open_poll(spec: dict[str, Any]) -> str:
            created = await boss.call("poll:create", spec)
            poll_id: str = created["poll"]["id"]
            assert (await boss.call("poll:open", {"poll_id": poll_id}))["ok"]
            await expect(page.locator("#question")).to_have_text(spec["question"])
            # What had the focus is gone: it is on the new question now.
            await expect(page.locator("#question")).to_be_focused()
            return poll_id

        status = page.locator("#answer-status")

        single = await open_poll(
            {"question": "Colour?", "kind": "single", "options": ["Red", "Green", "Blue"]}
        )
        await tab_to(page, '#answer-area [data-option="b"]')
        await page.keyboard.press("Enter")
        await expect(status).to_have_text("Your answer: Green")

        multiple = await open_poll(
            {"question": "Drinks?", "kind": "multiple", "options": ["Tea", "Coffee", "Water"]}
        )
        await tab_to(page, '#answer-area [data-option="a"] input')
        await page.keyboard.press("Space")
        await tab_to(page, '#answer-area [data-option="c"] input')
        await page.keyboard.press("Space")
        await tab_to(page, "#submit-answer")
        await page.keyboard.press("Enter")
        await expect(status).to_have_text("Your answer: Tea, Water")

        rating = await open_poll({"question": "Rate it", "kind": "rating", "scale": 5})
        await tab_to(page, '#answer-area [data-option="4"]')
        await page.keyboard.press("Space")
        await expect(status).to_have_text("Your answer: 4 / 5")

        cloud = await open_poll({"question": "One word?", "kind": "wordcloud"})
        await tab_to(page, "#text-answer")
        await page.keyboard.type("sunny")
        await page.keyboard.press("Enter")  # submits the form
        await expect(status).to_have_text("Your answer: sunny")

        text = await open_poll({"question": "Comments?", "kind": "open_text"})
        await tab_to(page, "#text-answer")
        await page.keyboard.type("Clear and useful")
        await tab_to(page, "#submit-answer")
        await page.keyboard.press("Enter")
        await expect(status).to_have_text("Your answer: Clear and useful")
        await assert_accessible(page, "attendee, after keyboard answers")
    finally:
        await boss.disconnect()

    assert (await answered(server, code, single))["counts"]["b"] == 1
    assert (await answered(server, code, multiple))["counts"] == {"a": 1, "b": 0, "c": 1}
    assert (await answered(server, code, rating))["counts"]["4"] == 1
    assert (await answered(server, code, cloud))["total"] == 1
    assert (await answered(server, code, text))["total"] == 1
    log.assert_clean()


async def test_keyboard_only_rank_review_and_cast_an_award_ballot(
    server: RunningServer, browser: Browser
) -> None:
    """Rank with Enter (each candidate in turn), reorder with the arrow buttons, remove
    one, review, cast: the focus follows every step (the next candidate to rank, the
    moved row's arrow, the review heading, the receipt), never lost on <body>."""
    event = await create_event(server.url, "Keyboard awards")
    code = event["code"]
    page, _, log = await open_page(browser, f"{server.url}/?event={code}", width=390, height=844)
    await expect(page.locator("#name")).to_be_focused()
    await page.keyboard.type("Kim")
    await page.keyboard.press("Enter")
    await expect(page.locator("#attendee-name")).to_have_text("Kim")
    boss = await clients.presenter(server.url, code, event["presenter_key"])
    try:
        spec = {
            "title": "Best pitch",
            "method": "borda",
            "candidates": [{"name": "Alpha"}, {"name": "Beta"}, {"name": "Gamma"}],
        }
        ballot_id = (await boss.call("ballot:create", spec))["ballot"]["id"]
        assert (await boss.call("ballot:open", {"ballot_id": ballot_id}))["ok"]
        await expect(page.locator("#ballot-title")).to_be_focused()
        # Enter on Gamma ranks it first; the focus goes on to the next candidate (Alpha).
        await tab_to(page, '#ballot-pool [data-candidate="c3"]')
        await page.keyboard.press("Enter")
        # Waited for: the focus moves once the ranking is drawn again.
        await expect(page.locator('#ballot-pool [data-candidate="c1"]')).to_be_focused()
        await page.keyboard.press("Enter")
        await page.keyboard.press("Enter")  # Beta, the last one
        names = page.locator("#ballot-ranking .ballot-name")
        await expect(names).to_have_text(["Gamma", "Alpha", "Beta"])
        # Beta up one place with its arrow: the focus stays on that arrow of its row.
        await tab_to(page, '#ballot-ranking [data-candidate="c2"] [data-move="up"]', 20)
        await page.keyboard.press("Enter")
        await expect(names).to_have_text(["Gamma", "Beta", "Alpha"])
        moved_up = '#ballot-ranking [data-candidate="c2"] [data-move="up"]'
        await expect(page.locator(moved_up)).to_be_focused()
        await tab_to(page, '#ballot-ranking [data-candidate="c1"] [data-remove]')
        await page.keyboard.press("Enter")
        await expect(names).to_have_text(["Gamma", "Beta"])
        await tab_to(page, "#ballot-review", 20)
        await page.keyboard.press("Enter")
        await expect(page.locator("#ballot-review-heading")).to_be_focused()
        await expect(page.locator("#ballot-summary")).to_have_text("1. Gamma, 2. Beta")
        await tab_to(page, "#ballot-submit")
        await page.keyboard.press("Enter")
        await expect(page.locator("#ballot-receipt-heading")).to_be_focused()
        await assert_accessible(page, "attendee, ballot cast with the keyboard")
        listed = (await boss.call("ballot:list"))["ballots"]
        assert listed[0]["turnout"] == 1
    finally:
        await boss.disconnect()
    service = server.services.kinds["ballot"].service  # type: ignore[attr-defined]
    cast = await service.cast_list(code, ballot_id)
    assert [c["choice"] for c in cast] == [["c3", "c2"]]
    log.assert_clean()


async def test_keyboard_only_move_between_rooms(server: RunningServer, browser: Browser) -> None:
    """The programme with the keyboard alone: Tab to a room, Enter moves there; the focus
    goes on from the new room's view, and Tab reaches the way back."""
    event = await create_event(server.url, "Keyboard conference")
    code = event["code"]
    boss = await clients.presenter(server.url, code, event["presenter_key"])
    try:
        added = await boss.call("room:create", {"title": "Breakout 1"})
        assert added["ok"], added
        room = added["room"]["id"]
        page, _, log = await open_page(
            browser, f"{server.url}/?event={code}", width=390, height=844
        )
        # The page is ready (the code came with the link): the focus starts on the name.
        await expect(page.locator("#event-code")).to_have_value(code)
        assert await focused(page, "#name")
        await page.keyboard.type("Kim")
        await page.keyboard.press("Enter")
        await expect(page.locator("#attendee-name")).to_have_text("Kim")
        assert await focused(page, "#waiting-title")

        await tab_to(page, f'#rooms-list button[data-room="{room}"]')
        await page.keyboard.press("Enter")
        await expect(page.locator("#room-name")).to_have_text("Breakout 1")
        moved = await boss.wait_for(
            "presence",
            lambda p: (p["rooms_online"].get("main", 0), p["rooms_online"].get(room, 0)) == (0, 1),
        )
        # The button that had the focus is gone ("You are here"): the focus went on to the
        # room's view, not to <body>.
        assert await focused(page, "#waiting-title")
        await expect(page.locator("#room-status")).to_have_text("You are now in Breakout 1.")

        await tab_to(page, '#rooms-list button[data-room="main"]')
        await page.keyboard.press("Space")
        await expect(page.locator("#room-name")).to_have_text("Main room")
        await expect(page.locator("#connection")).to_have_attribute("data-connects", "1")
        await assert_accessible(page, "attendee, after moving with the keyboard")
        # The presenter saw the attendee go and come back (presence per room): a count of
        # (1, 0) after the (0, 1) one.
        seen = boss.received["presence"]
        after = next(i for i, p in enumerate(seen) if p is moved)

        def back(p: dict[str, Any]) -> bool:
            counts = (p["rooms_online"].get("main", 0), p["rooms_online"].get(room, 0))
            return counts == (1, 0) and any(m is p for m in seen[after + 1 :])

        await boss.wait_for("presence", back)
    finally:
        await boss.disconnect()
    log.assert_clean()


async def test_keyboard_only_world_cafe_table_and_takeaways(
    server: RunningServer, browser: Browser
) -> None:
    """The world café with the keyboard alone: when the café replaces the "waiting" card
    the focus goes to its heading; from there Tab reaches the table's video room, the
    harvest box and its button; a takeaway is added, edited and removed with Enter and
    Space, and the focus never falls back to <body>."""
    from plenary.activities.cafe.records import checked_in
    from tests.test_browser_cafe import eventually_async

    event = await create_event(server.url, "Keyboard café")
    code = event["code"]
    page, _, log = await open_page(browser, f"{server.url}/?event={code}", width=390, height=844)
    await expect(page.locator("#event-code")).to_have_value(code)
    await page.keyboard.type("Kim")
    await page.keyboard.press("Enter")
    await expect(page.locator("#attendee-name")).to_have_text("Kim")
    assert await focused(page, "#waiting-title")

    boss = await clients.presenter(server.url, code, event["presenter_key"])
    guest = await clients.attendee(server.url, code, "Guest")
    try:
        made = await boss.call(
            "cafe:create",
            {
                "rounds": 1,
                "round_s": 600,
                "topics": ["Energy"],
                "tables": 1,
                "room_url": "https://video.example/{event}-{table}",
            },
        )
        cafe_id = made["cafe"]["id"]
        assert (await boss.call("cafe:start", {"cafe_id": cafe_id}))["ok"]
        assert (await guest.call("cafe:join", {"cafe_id": cafe_id}))["ok"]
        await expect(page.locator("#cafe")).to_have_attribute("data-state", "waiting")
        # The "waiting" card that had the focus is gone: the café's heading has it.
        await expect(page.locator("#cafe-heading")).to_be_focused()

        async def joined() -> int:
            return len(checked_in(await server.services.store.list_answers(code, cafe_id)))

        await eventually_async(joined, 2)
        assert (await boss.call("cafe:round", {"cafe_id": cafe_id, "round": 1}))["ok"]
        await expect(page.locator("#cafe")).to_have_attribute("data-table", "1")
        await expect(page.locator("#cafe-heading")).to_be_focused()

        await tab_to(page, "#cafe-room-link")
        await tab_to(page, "#cafe-harvest-text")
        await page.keyboard.type("Storage is the bottleneck")
        await tab_to(page, "#cafe-harvest-send")
        await page.keyboard.press("Enter")
        status = page.locator("#cafe-harvest-status")
        await expect(status).to_have_text("Takeaway saved.")
        assert await focused(page, "#cafe-harvest-send")

        await tab_to(page, '#cafe-harvests button[data-harvest-action="edit"]')
        await page.keyboard.press("Enter")
        await expect(page.locator("#cafe-harvest-text")).to_be_focused()
        await page.keyboard.press("Control+A")
        await page.keyboard.type("Storage and grids are the bottleneck")
        await tab_to(page, "#cafe-harvest-send")
        await expect(page.locator("#cafe-harvest-send")).to_have_text("Save changes")
        await page.keyboard.press("Enter")
        await expect(page.locator("#cafe-harvests li .cafe-harvest-text")).to_have_text(
            "Storage and grids are the bottleneck"
        )
        listed = await guest.call("cafe:harvests", {"cafe_id": cafe_id})
        assert [h["text"] for h in listed["harvests"]] == ["Storage and grids are the bottleneck"]

        await tab_to(page, '#cafe-harvests button[data-harvest-action="remove"]')
        await page.keyboard.press("Space")
        await expect(status).to_have_text("Takeaway removed.")
        await expect(page.locator("#cafe-harvests li")).to_have_count(0)
        assert await focused(page, "#cafe-harvest-title")
        listed = await guest.call("cafe:harvests", {"cafe_id": cafe_id})
        assert listed["ok"] and listed["harvests"] == []
        await assert_accessible(page, "attendee, café after the keyboard")
    finally:
        await boss.disconnect()
        await guest.disconnect()
    log.assert_clean()


async def join_by_keyboard(
    server: RunningServer, browser: Browser, code: str, name: str = "Kim"
) -> tuple[Page, Any]:
    page, _, log = await open_page(browser, f"{server.url}/?event={code}", width=390, height=844)
    await expect(page.locator("#event-code")).to_have_value(code)
    assert await focused(page, "#name")
    await page.keyboard.type(name)
    await page.keyboard.press("Enter")
    await expect(page.locator("#attendee-name")).to_have_text(name)
    return page, log


async def test_keyboard_only_ask_and_upvote(server: RunningServer, browser: Browser) -> None:
    """Q&A with the keyboard alone (issue 19): Tab to the question box, type, Tab to
    Send, Enter; then Tab to another attendee's question's upvote and press Space, Tab
    to it again and press Enter to take the upvote back, then Space once more. The
    server counts what the keyboard did."""
    event = await create_event(server.url, "Keyboard Q&A")
    code = event["code"]
    page, log = await join_by_keyboard(server, browser, code)

    await tab_to(page, "#qa-text", max_presses=20)
    await page.keyboard.type("Can we get the slides?")
    await tab_to(page, "#qa-send")
    await page.keyboard.press("Enter")
    await expect(page.locator("#qa-text")).to_have_value("")
    await expect(page.locator("#qa-mine li")).to_contain_text("Can we get the slides?")

    other = await clients.attendee(server.url, code, "Sam")
    try:
        asked = await other.call(
            "qa:ask", {"text": "Is there a recording?", "ask_id": "k1", "anonymous": False}
        )
        assert asked["ok"], asked
        question = asked["question"]["id"]
        upvote = f'#qa-list button[data-upvote="{question}"]'
        await expect(page.locator(upvote)).to_be_visible()
        await tab_to(page, upvote, max_presses=30)
        await page.keyboard.press("Space")
        await expect(page.locator(upvote)).to_have_attribute("aria-pressed", "true")
        await other.wait_for("qa:votes", lambda m: m["votes"].get(question) == 1)
        await tab_to(page, upvote, max_presses=30)
        await page.keyboard.press("Enter")  # take it back
        await expect(page.locator(upvote)).to_have_attribute("aria-pressed", "false")
        await other.wait_for("qa:votes", lambda m: m["votes"].get(question, 0) == 0)
        await tab_to(page, upvote, max_presses=30)
        await page.keyboard.press("Space")
        await expect(page.locator(upvote)).to_have_attribute("aria-pressed", "true")
        await other.wait_for("qa:votes", lambda m: m["votes"].get(question) == 1)
        listed = await other.call("qa:list", {})
        votes = {q["id"]: q["votes"] for q in listed["qa"]["questions"]}
        assert votes[question] == 1
        mine = [q for q in listed["qa"]["questions"] if q["text"] == "Can we get the slides?"]
        assert len(mine) == 1 and mine[0]["status"] == "approved"
        await assert_accessible(page, "attendee, after asking and upvoting by keyboard")
    finally:
        await other.disconnect()
    log.assert_clean()


async def test_keyboard_upvote_keeps_the_focus(server: RunningServer, browser: Browser) -> None:
    """After an upvote by keyboard, and the ``qa:votes`` that follow, the focus is still
    on that question's upvote, so the next Tab goes on from there."""
    event = await create_event(server.url, "Keyboard Q&A focus")
    code = event["code"]
    page, log = await join_by_keyboard(server, browser, code)
    other = await clients.attendee(server.url, code, "Sam")
    try:
        asked = await other.call("qa:ask", {"text": "Recording?", "ask_id": "k2"})
        question = asked["question"]["id"]
        upvote = f'#qa-list button[data-upvote="{question}"]'
        await tab_to(page, upvote, max_presses=30)
        await page.keyboard.press("Space")
        await expect(page.locator(upvote)).to_have_attribute("aria-pressed", "true")
        await other.wait_for("qa:votes", lambda m: m["votes"].get(question) == 1)
        assert await focused(page, upvote)
    finally:
        await other.disconnect()
    log.assert_clean()


async def test_keyboard_only_answer_every_quiz_question_kind(
    server: RunningServer, browser: Browser
) -> None:
    """A quiz with the keyboard alone (issue 16): each new question takes the focus, so
    Tab reaches its tiles; Enter or Space answers a single-choice or true/false tile;
    Space picks several tiles of a multiple-choice question and Enter on Send sends
    them; a typed text or number is sent with Enter (a decimal comma is fine). The
    server has every answer as the keyboard gave it."""
    from tests.support.quiz import EVERY_KIND, SECRET_TEXT

    event = await create_event(server.url, "Keyboard quiz")
    code = event["code"]
    page, log = await join_by_keyboard(server, browser, code)
    boss = await clients.presenter(server.url, code, event["presenter_key"])
    # Online but silent: questions wait for the close, once the heartbeat has counted
    # them (an answer before that would close the question at once).
    silent = await clients.attendee(server.url, code, "Silent")
    status = page.locator("#quiz-status")
    try:
        await boss.wait_for("presence", lambda m: m["online"] == 2)
        quiz_id = (await boss.call("quiz:create", EVERY_KIND))["quiz"]["id"]
        assert (await boss.call("quiz:start", {"quiz_id": quiz_id}))["ok"]
        await expect(page.locator("#quiz")).to_have_attribute("data-phase", "lobby")

        async def next_question(text: str) -> None:
            assert (await boss.call("quiz:next", {"quiz_id": quiz_id}))["ok"]
            await expect(page.locator("#quiz-question")).to_have_text(text)
            await expect(page.locator("#quiz-question")).to_be_focused()

        async def close() -> None:
            assert (await boss.call("quiz:close", {"quiz_id": quiz_id}))["ok"]
            await expect(page.locator("#quiz-outcome")).to_be_visible()

        await next_question("Which one?")
        await tab_to(page, '#quiz-answer-area [data-option="c"]')
        await page.keyboard.press("Enter")
        await expect(status).to_contain_text("Your answer: East")
        await close()

        await next_question("Which ones?")
        await tab_to(page, '#quiz-answer-area [data-option="a"]')
        await page.keyboard.press("Space")
        await expect(page.locator('#quiz-answer-area [data-option="a"]')).to_have_attribute(
            "aria-pressed", "true"
        )
        await tab_to(page, '#quiz-answer-area [data-option="c"]')
        await page.keyboard.press("Space")
        await tab_to(page, "#quiz-submit")
        await page.keyboard.press("Enter")
        await expect(status).to_contain_text("Your answer: Red, Blue")
        await close()

        await next_question("Is it so?")
        await tab_to(page, '#quiz-answer-area [data-option="false"]')
        await page.keyboard.press("Space")
        await expect(status).to_contain_text("Your answer: False")
        await close()

        await next_question("The mineral?")
        await tab_to(page, "#quiz-typed-answer")
        await page.keyboard.type(f"  {SECRET_TEXT.lower()} ")
        await page.keyboard.press("Enter")
        await expect(status).to_contain_text(f"Your answer: {SECRET_TEXT.lower()}")
        await close()

        await next_question("The figure?")
        await tab_to(page, "#quiz-typed-answer")
        await page.keyboard.type("987654,5")
        await page.keyboard.press("Enter")
        await expect(status).to_contain_text("Your answer: 987,654.5")
        await close()
        await assert_accessible(page, "attendee, after keyboard quiz answers")
    finally:
        for client in (boss, silent):
            await client.disconnect()

    export = await server.services.kinds["quiz"].export(code)  # type: ignore[attr-defined]
    [item] = export.items
    given = {q["id"]: [a["choice"] for a in q["answers"]] for q in item["questions"]}
    assert given == {
        "q1": ["c"],
        "q2": [["a", "c"]],
        "q3": [False],
        "q4": [SECRET_TEXT.lower()],
        "q5": [987654.5],
    }
    log.assert_clean()


async def test_keyboard_only_anonymous_join_and_three_words(
    server: RunningServer, browser: Browser
) -> None:
    """An anonymous event (no field to fill in: the focus starts on Join) and a word
    cloud of three words, typed field after field with Tab and sent with Enter."""
    event = await create_event(server.url, "Keyboard words")
    code = event["code"]
    boss = await clients.presenter(server.url, code, event["presenter_key"])
    try:
        changed = await boss.call(
            "event:join_form", {"join": {"name": "none", "organisation": False, "country": False}}
        )
        assert changed["ok"], changed
        page, _, log = await open_page(
            browser, f"{server.url}/?event={code}", width=390, height=844
        )
        await expect(page.locator("#event-code")).to_have_value(code)
        await expect(page.locator("#join")).to_be_focused()
        await page.keyboard.press("Enter")
        await expect(page.locator("#waiting-title")).to_be_focused()

        created = await boss.call(
            "poll:create", {"question": "Three words?", "kind": "wordcloud", "max_words": 3}
        )
        poll_id = created["poll"]["id"]
        assert (await boss.call("poll:open", {"poll_id": poll_id}))["ok"]
        await expect(page.locator("#question")).to_be_focused()
        await tab_to(page, "#text-answer")
        await page.keyboard.type("green")
        await tab_to(page, "#text-answer-2")
        await page.keyboard.type("quiet")
        await tab_to(page, "#text-answer-3")
        await page.keyboard.type("open")
        await page.keyboard.press("Enter")
        await expect(page.locator("#answer-status")).to_have_text("Your answer: green, quiet, open")
        await assert_accessible(page, "attendee, three words with the keyboard")
    finally:
        await boss.disconnect()
    results = await answered(server, code, poll_id)
    assert results["total"] == 1
    assert results["counts"] == {"green": 1, "quiet": 1, "open": 1}
    log.assert_clean()


async def test_keyboard_only_big_screen_switch_and_moderation(
    server: RunningServer, browser: Browser
) -> None:
    """The console's "Big screen and moderation" card with the keyboard alone: the screen
    switch, approve before showing, hiding a word (the focus stays on its row)."""
    event = await create_event(server.url, "Keyboard console")
    code = event["code"]
    page, _, log = await open_page(
        browser, f"{server.url}/presenter#event={code}&key={event['presenter_key']}"
    )
    await expect(page.locator("#connection")).to_have_attribute("data-state", "connected")
    boss = await clients.presenter(server.url, code, event["presenter_key"])
    people = [await clients.attendee(server.url, code, f"P{i}") for i in range(2)]
    try:
        created = await boss.call("poll:create", {"question": "One word?", "kind": "wordcloud"})
        poll_id = created["poll"]["id"]
        assert (await boss.call("poll:open", {"poll_id": poll_id}))["ok"]
        for person, word in zip(people, ["calm", "rubbish"], strict=True):
            assert (await person.vote(poll_id, [word]))["ok"]
        card = page.locator("#moderation-card")
        await expect(card).to_have_attribute("data-poll", poll_id)
        row = page.locator('#moderation-entries [data-entry="rubbish"]')
        await expect(row).to_have_attribute("data-status", "approved")

        async def poll_now() -> dict[str, Any]:
            polls = await server.services.kinds["poll"].service.list_polls(code)  # type: ignore[attr-defined]
            found: dict[str, Any] = next(p for p in polls if p["id"] == poll_id)
            return found

        await tab_to(page, "#screen-live", max_presses=40)
        await page.keyboard.press("Space")
        await expect(page.locator("#screen-live")).to_be_checked()
        await expect(page.locator("#screen-live")).to_be_enabled()
        assert (await poll_now())["screen_live"] is True

        await tab_to(page, "#moderation-pre")
        await page.keyboard.press("Space")
        await expect(row).to_have_attribute("data-status", "pending")
        assert (await poll_now())["moderation"] == "pre"

        await tab_to(page, '#moderation-entries [data-entry="rubbish"] [data-moderate="hide"]', 20)
        await page.keyboard.press("Enter")
        await expect(row).to_have_attribute("data-status", "hidden")
        # The row was drawn again: the focus stays on it, on what can be done now.
        await expect(row.locator('[data-moderate="show"]')).to_be_focused()
        results = (await poll_now())["results"]
        assert results["statuses"] == {"calm": "pending", "rubbish": "hidden"}
        await assert_accessible(page, "console, moderation by keyboard")
    finally:
        for client in (boss, *people):
            await client.disconnect()
    log.assert_clean()


async def test_keyboard_only_pitch_rating_feedback_jury_and_stage(
    server: RunningServer, browser: Browser
) -> None:
    """A pitch session with the keyboard alone. The presenter names a juror (Choose
    jurors, Space on her box, Save jurors), Shift+Tabs to "Next pitch" and presses
    Enter, types a timer and starts it; an attendee on a phone rates the pitch on now
    with the arrow keys in the star radio group (each arrow sends a rating: 2, 3, 4,
    then back to 3), types feedback and sends it; the juror Shift+Tabs back into the
    stars and wraps round to 5 with the left arrow, scores the one criterion and sends.
    The presenter's live average is (3 + 5) / 2 = 4.00 from 2 ratings. Then the
    presenter puts the next pitches on: the focus stays on "Next pitch", and once it is
    disabled (the last pitch is on) goes to what is on now, so the next Tab reaches the
    timer; the attendee's focus on an earlier pitch in "Pitches so far" survives the
    list being drawn anew. The focused control is outlined at every step; the stored
    state and the export have exactly what the keyboard gave."""
    event = await create_event(server.url, "Keyboard pitches")
    code = event["code"]
    kim, kim_log = await join_by_keyboard(server, browser, code)
    assert await focused(kim, "#waiting-title")
    jo, jo_log = await join_by_keyboard(server, browser, code, "Jo")
    console, _, console_log = await open_page(
        browser, f"{server.url}/presenter#event={code}&key={event['presenter_key']}"
    )
    await expect(console.locator("#connection")).to_have_attribute("data-state", "connected")
    boss = await clients.presenter(server.url, code, event["presenter_key"])
    service = server.services.kinds["pitch_session"].service  # type: ignore[attr-defined]
    try:
        spec = {
            "title": "Green pitches",
            "pitches": [
                {"title": "Solar roofs", "organisation": "SunCo", "speaker": "Ana Lima"},
                {"title": "Heat pumps", "organisation": "WarmCo", "speaker": "Cy Dube"},
                {"title": "Bike lanes", "organisation": "CycleOrg", "speaker": "Bo Berg"},
            ],
            "criteria": ["Impact"],
        }
        sid = (await boss.call("pitch:create", spec))["session"]["id"]
        assert (await boss.call("pitch:open", {"session_id": sid}))["ok"]
        # The "waiting" card that had the focus is gone: the session's heading has it.
        for phone in (kim, jo):
            await expect(phone.locator("#pitch")).to_have_attribute("data-status", "open")
            await expect(phone.locator("#pitch-title")).to_be_focused()

        # The presenter names the juror: Choose jurors lists the attendees (the focus on
        # the first, Jo), Space ticks her, Save jurors names her.
        await expect(console.locator("#pitch-next")).to_be_enabled()
        await tab_to(console, "#pitch-jurors-load", max_presses=80)
        await console.keyboard.press("Enter")
        jo_box = console.get_by_label("Jo", exact=True)
        await expect(jo_box).to_be_focused()
        await console.keyboard.press("Space")
        await expect(jo_box).to_be_checked()
        await tab_to(console, "#pitch-jurors-save")
        await console.keyboard.press("Enter")
        await expect(console.locator("#pitch-jurors-now")).to_contain_text("Jurors: Jo")
        await assert_focus_visible(console, "#pitch-jurors-load")

        # Then the first pitch on now and a 90 s timer: Shift+Tab, Tab and Enter only.
        await tab_to(console, "#pitch-next", max_presses=20, key="Shift+Tab")
        await expect(console.locator("#pitch-next")).to_have_text("Next pitch: Solar roofs")
        await console.keyboard.press("Enter")
        await expect(console.locator("#pitch-stage-now")).to_have_text(
            "On now: Solar roofs (SunCo, Ana Lima)"
        )
        await expect(console.locator("#pitch-next")).to_have_text("Next pitch: Heat pumps")
        await assert_focus_visible(console, "#pitch-next")
        await tab_to(console, "#pitch-timer-input")
        await console.keyboard.type("90")
        await tab_to(console, "#pitch-timer-start")
        await console.keyboard.press("Enter")
        await expect(console.locator("#pitch-stage-countdown")).to_have_text(re.compile(r" left$"))
        await assert_focus_visible(console, "#pitch-timer-start")
        activity, _ = await service.load(code, sid)
        assert (activity.meta["now"], activity.meta["now_timer_s"]) == ("p1", 90)

        # The attendee: into the star group (none checked: its first star has the focus),
        # then each arrow moves and rates; every rating is saved before the next key.
        for phone in (kim, jo):
            await expect(phone.locator("#pitch-title")).to_have_text("Solar roofs")
        await tab_to(kim, "#pitch-star-1")
        await expect(kim.locator("#pitch-star-1")).not_to_be_checked()
        status = kim.locator("#pitch-status")
        for key, stars in (
            ("ArrowRight", 2),
            ("ArrowRight", 3),
            ("ArrowRight", 4),
            ("ArrowLeft", 3),
        ):
            await kim.keyboard.press(key)
            await expect(status).to_have_text(f"Saved: {stars} stars for Solar roofs.")
            await expect(kim.locator(f"#pitch-star-{stars}")).to_be_checked()
            await assert_focus_visible(kim, f"#pitch-star-{stars}")
        await tab_to(kim, "#pitch-feedback")
        await kim.keyboard.type("Clear numbers")
        await expect(kim.locator("#pitch-feedback-count")).to_have_text("13 of 500 characters")
        await tab_to(kim, "#pitch-feedback-send")
        await kim.keyboard.press("Enter")
        await expect(status).to_have_text("Your feedback for Solar roofs is saved.")
        await assert_focus_visible(kim, "#pitch-feedback-send")

        # The juror: Shift+Tab back into the stars (none checked: the first has the
        # focus), the left arrow wraps round to the last one and rates 5.
        await expect(jo.locator("#pitch-jury")).to_be_visible()
        await tab_to(jo, "#pitch-feedback")
        await tab_to(jo, "#pitch-star-1", key="Shift+Tab")
        await jo.keyboard.press("ArrowLeft")
        jo_status = jo.locator("#pitch-status")
        await expect(jo_status).to_have_text("Saved: 5 stars for Solar roofs.")
        await assert_focus_visible(jo, "#pitch-star-5")
        await tab_to(jo, "#pitch-jury-k1")
        await jo.keyboard.type("8")
        await tab_to(jo, "#pitch-jury-send")
        await jo.keyboard.press("Enter")
        await expect(jo_status).to_have_text("Your jury scores for Solar roofs are saved.")
        await assert_focus_visible(jo, "#pitch-jury-send")

        # The presenter's live view: exactly (3 + 5) / 2 = 4.00 from 2 ratings.
        row = console.locator('#pitch-stage-pitches [data-pitch-id="p1"]')
        await expect(row.locator(".pitch-average")).to_have_text("4.00")
        await expect(row.locator(".pitch-count")).to_have_text("2")

        # Back to "Next pitch" with Shift+Tab: Heat pumps on, the focus stays there.
        await tab_to(console, "#pitch-next", key="Shift+Tab")
        await console.keyboard.press("Enter")
        await expect(console.locator("#pitch-next")).to_have_text("Next pitch: Bike lanes")
        await assert_focus_visible(console, "#pitch-next")
        await expect(row).to_contain_text("1 feedback · jury (1): Impact 8.00")
        # The attendee Tabs to the first pitch in "Pitches so far"...
        await expect(kim.locator("#pitch-title")).to_have_text("Heat pumps")
        earlier = '#pitch-so-far-list button[data-pitch-id="p1"]'
        await expect(kim.locator(earlier)).to_contain_text("your rating: 3 stars")
        await tab_to(kim, earlier)
        # ... when the last pitch goes on: "Next pitch" is disabled, the focus goes to
        # what is on now (not <body>); the attendee's list is redrawn, her focus stays.
        await console.keyboard.press("Enter")
        await expect(console.locator("#pitch-stage-now")).to_have_text(
            "On now: Bike lanes (CycleOrg, Bo Berg)"
        )
        await expect(console.locator("#pitch-next")).to_be_disabled()
        await expect(console.locator("#pitch-stage-now")).to_be_focused()
        await tab_to(console, "#pitch-timer-input", max_presses=2)
        await console.keyboard.type("60")
        await tab_to(console, "#pitch-timer-start")
        await console.keyboard.press("Enter")
        await expect(kim.locator("#pitch")).to_have_attribute("data-now", "p3")
        await expect(kim.locator("#pitch-so-far-list button")).to_have_count(3)
        await assert_focus_visible(kim, earlier)
        activity, _ = await service.load(code, sid)
        assert (activity.meta["now"], activity.meta["now_timer_s"]) == ("p3", 60)

        # Enter rates that earlier pitch: its heading has the focus, her 3 stars are
        # there, and the next Tab lands on them.
        await kim.keyboard.press("Enter")
        await expect(kim.locator("#pitch-title")).to_have_text("Solar roofs")
        await expect(kim.locator("#pitch-title")).to_be_focused()
        await tab_to(kim, "#pitch-star-3")
        await expect(kim.locator("#pitch-star-3")).to_be_checked()
        await assert_accessible(kim, "attendee, pitch rated with the keyboard")
        await assert_accessible(jo, "juror, pitch scored with the keyboard")
        await assert_accessible(console, "console, pitch session run with the keyboard")

        exported = await boss.call("pitch:export", {"session_id": sid, "pitch_id": "p1"})
        feedback = exported["feedback"]
        assert feedback["ratings"] == {
            "count": 2,
            "average": 4.0,
            "stars": {"1": 0, "2": 0, "3": 1, "4": 0, "5": 1},
        }
        assert feedback["feedback"] == ["Clear numbers"]
        assert feedback["jury"] == [{"juror": "Jo", "scores": {"k1": 8}, "comment": ""}]
    finally:
        await boss.disconnect()
    for log in (kim_log, jo_log, console_log):
        log.assert_clean()
