"""The presenter console and the attendee page polish (issue #20, items 1, 4 and 5), in
Debian's Chromium against the real server (no mocks):

- the console edits a draft (question, options, kind, words per attendee), duplicates a
  poll right after itself, deletes one after a confirmation that says its answers go too,
  and changes the running order by dragging a row and with the keyboard alone (Alt+Arrow
  and the Move up / Move down buttons, each move said to screen readers); "Newest first"
  shows the polls the other way round;
- the README's walkthrough works as written (the first poll is the one the stage offers,
  never the rating poll created last), the poll on stage is marked in words, Reveal is
  off for drafts, and a 10-point rating's average shows at 1366x768 without scrolling;
- the event ends from the console with the event-wide key (the join code typed to
  confirm; a room's key has no such button), the console keeps its layout and its online
  count drops to nothing;
- a word cloud takes up to three words from each attendee, sent as one list; equal counts
  draw equal sizes and a long word stays whole on a phone;
- the attendee page asks what the event asks (name optional or not asked, organisation
  and country or not), never shows an internal id, and a visitor who comes after the end
  is told the event has ended, not thanked for taking part.
"""

from __future__ import annotations

import asyncio
import re
from typing import Any

import aiohttp
import pytest
from playwright.async_api import Browser, Page, expect

from tests.support import clients
from tests.support.browser import (  # noqa: F401 - fixtures
    assert_accessible,
    chromium_browser,
    embedded_server,
    horizontal_overflow,
    open_page,
)
from tests.support.server import RunningServer, create_event, end_event

pytestmark = [
    pytest.mark.browser,
]
expect.set_options(timeout=15_000)

INTERNAL_ID = re.compile(r"\ba_[0-9a-f]{10}\b")


# -- helpers ----------------------------------------------------------------------------------
async def open_console(
    browser: Browser, server: RunningServer, code: str, key: str, **options: Any
) -> Page:
    page, _, log = await open_page(
        browser, f"{server.url}/presenter#event={code}&key={key}", **options
    )
    page.plenary_log = log  # type: ignore[attr-defined]
    await expect(page.locator("#connection")).to_have_attribute("data-state", "connected")
    await expect(page.locator("#join-code")).to_have_text(code)
    return page


async def open_attendee(browser: Browser, server: RunningServer, code: str) -> Page:
    """An attendee's phone on the event's link, the join form ready."""
    page, _, log = await open_page(browser, f"{server.url}/?event={code}", width=390, height=844)
    page.plenary_log = log  # type: ignore[attr-defined]
    await expect(page.locator("#event-code")).to_have_value(code)
    return page


async def join(page: Page, name: str | None) -> None:
    if name is not None:
        await page.fill("#name", name)
    await page.click("#join")
    await expect(page.locator("#connection")).to_have_attribute("data-state", "connected")
    await expect(page.locator("#event-view")).to_be_visible()


def row(page: Page, poll_id: str) -> Any:
    return page.locator(f'#polls [data-poll-id="{poll_id}"]')


async def shown_order(page: Page) -> list[str]:
    ids: list[str] = await page.locator("#polls [data-poll-id]").evaluate_all(
        "(rows) => rows.map((r) => r.dataset.pollId)"
    )
    return ids


async def server_order(server: RunningServer, code: str) -> list[str]:
    polls = await server.services.kinds["poll"].service.list_polls(code)  # type: ignore[attr-defined]
    return [p["id"] for p in polls]


async def server_polls(server: RunningServer, code: str) -> dict[str, dict[str, Any]]:
    polls = await server.services.kinds["poll"].service.list_polls(code)  # type: ignore[attr-defined]
    return {p["id"]: p for p in polls}


async def expect_order(page: Page, server: RunningServer, code: str, order: list[str]) -> None:
    """The list shows ``order`` and the server holds it."""
    await expect(page.locator("#polls [data-poll-id]")).to_have_count(len(order))
    for index, poll_id in enumerate(order):
        await expect(page.locator("#polls [data-poll-id]").nth(index)).to_have_attribute(
            "data-poll-id", poll_id
        )
    assert await server_order(server, code) == order


async def create(boss: clients.Client, **spec: Any) -> str:
    created = await boss.call("poll:create", spec)
    assert created["ok"], created
    poll_id: str = created["poll"]["id"]
    return poll_id


async def set_join_form(url: str, code: str, key: str, **join: Any) -> None:
    async with (
        aiohttp.ClientSession() as http,
        http.patch(
            f"{url}/api/events/{code}/join",
            json=join,
            headers={"Authorization": f"Bearer {key}"},
        ) as response,
    ):
        assert response.status == 200, await response.text()


def assert_clean(*pages: Page) -> None:
    for page in pages:
        page.plenary_log.assert_clean()  # type: ignore[attr-defined]


# -- 1. edit, duplicate, delete ---------------------------------------------------------------
async def test_edit_duplicate_and_delete_polls(server: RunningServer, browser: Browser) -> None:
    event = await create_event(server.url, "Editing")
    code, key = event["code"], event["presenter_key"]
    page = await open_console(browser, server, code, key)

    # A draft from the form; it is selected, with its tools.
    await page.fill("#question-input", "Where from?")
    await page.select_option("#kind-select", "single")
    await page.fill("#options-input", "EU\nUS")
    await page.click("#create-button")
    created = page.locator("#polls [data-poll-id]").filter(has_text="Where from?")
    await expect(created).to_have_attribute("data-status", "draft")
    first_id = await created.get_attribute("data-poll-id")
    assert first_id
    first = row(page, first_id)
    await expect(first.locator('[data-action="select"]')).to_have_attribute("aria-current", "true")

    # Edit: question and options.
    await first.locator('[data-action="edit"]').click()
    await expect(page.locator("#poll-edit-question")).to_be_focused()
    await expect(page.locator("#poll-edit-question")).to_have_value("Where from?")
    await expect(page.locator("#poll-edit-options")).to_have_value("EU\nUS")
    await assert_accessible(page, "presenter, editing a draft")
    await page.fill("#poll-edit-question", "Where are you joining from?")
    await page.fill("#poll-edit-options", "Europe\nAmericas\nAsia-Pacific")
    await page.click("#poll-edit-save")
    await expect(first.locator(".poll-question")).to_have_text("Where are you joining from?")
    await expect(page.locator("#poll-edit-question")).to_have_count(0)
    await expect(page.locator("#stage-question")).to_have_text("Where are you joining from?")
    await expect(page.locator('#chart [data-option="c"] .bar-label')).to_have_text("Asia-Pacific")
    await expect(first.locator('[data-action="edit"]')).to_be_focused()
    stored = (await server_polls(server, code))[first_id]
    assert stored["question"] == "Where are you joining from?"
    assert [o["label"] for o in stored["options"]] == ["Europe", "Americas", "Asia-Pacific"]

    # Edit: another kind, a word cloud of two words per attendee (the form follows the kind).
    await first.locator('[data-action="edit"]').click()
    await page.select_option("#poll-edit-kind", "wordcloud")
    await expect(page.locator("#poll-edit-options")).to_be_hidden()
    await expect(page.locator("#poll-edit-words")).to_be_visible()
    await page.fill("#poll-edit-words", "2")
    await page.click("#poll-edit-save")
    await expect(first.locator(".poll-meta")).to_contain_text("Word cloud (2 words)")
    stored = (await server_polls(server, code))[first_id]
    assert (stored["kind"], stored["max_words"], list(stored["options"])) == ("wordcloud", 2, [])
    # Back to a choice poll; a bad form is refused before anything is sent.
    await first.locator('[data-action="edit"]').click()
    await page.select_option("#poll-edit-kind", "single")
    await page.fill("#poll-edit-options", "Only one")
    await page.click("#poll-edit-save")
    await expect(page.locator("#poll-edit-error")).to_have_text(
        "Give at least two options, one per line."
    )
    await page.fill("#poll-edit-options", "Europe\nAmericas")
    await page.click("#poll-edit-save")
    await expect(first.locator(".poll-meta")).to_contain_text("Single choice")

    # Duplicate: a new draft right after the original, selected.
    boss = await clients.presenter(server.url, code, key)
    try:
        second_id = await create(boss, question="Rate it", kind="rating")
    finally:
        await boss.disconnect()
    await expect(row(page, second_id)).to_have_count(1)
    await first.locator('[data-action="select"]').click()
    await first.locator('[data-action="duplicate"]').click()
    await expect(page.locator("#polls [data-poll-id]")).to_have_count(3)
    order = await server_order(server, code)
    copy_id = order[1]
    assert order == [first_id, copy_id, second_id] and copy_id not in (first_id, second_id)
    await expect_order(page, server, code, [first_id, copy_id, second_id])
    copy = row(page, copy_id)
    await expect(copy.locator(".poll-question")).to_have_text("Where are you joining from?")
    await expect(copy).to_have_attribute("data-status", "draft")
    await expect(copy.locator('[data-action="select"]')).to_have_attribute("aria-current", "true")
    await expect(copy.locator('[data-action="select"]')).to_be_focused()
    await expect(page.locator("#announcer")).to_have_text(
        "Duplicated: “Where are you joining from?”, a new draft, is selected."
    )

    # An open poll: neither edited nor deleted (said why); Reveal works once it ran.
    await first.locator('[data-action="open"]').click()
    await expect(first).to_have_attribute("data-status", "open")
    await expect(first.locator('[data-action="edit"]')).to_be_disabled()
    await expect(first.locator('[data-action="delete"]')).to_be_disabled()
    await expect(first.locator(".poll-tools-note")).to_have_text(
        "An open poll cannot be edited or deleted: close it first."
    )
    voter = await clients.attendee(server.url, code, "Voter")
    try:
        assert (await voter.vote(first_id, "a"))["ok"]
    finally:
        await voter.disconnect()
    await expect(first.locator(".answers")).to_have_text("1")
    await first.locator('[data-action="close"]').click()
    await expect(first).to_have_attribute("data-status", "closed")

    # Delete the draft copy: the confirmation says it has no answers; Cancel keeps it.
    await copy.locator('[data-action="select"]').click()
    await copy.locator('[data-action="delete"]').click()
    confirm = copy.locator(".poll-confirm")
    await expect(confirm).to_contain_text("It has no answers yet. This cannot be undone.")
    await expect(copy.locator('[data-action="confirm-delete"]')).to_be_focused()
    await assert_accessible(page, "presenter, a deletion to confirm")
    await copy.locator('[data-action="cancel"]').click()
    await expect(confirm).to_have_count(0)
    await expect(copy.locator('[data-action="delete"]')).to_be_focused()
    assert copy_id in await server_order(server, code)
    await copy.locator('[data-action="delete"]').click()
    await copy.locator('[data-action="confirm-delete"]').click()
    await expect(row(page, copy_id)).to_have_count(0)
    assert await server_order(server, code) == [first_id, second_id]

    # Delete the closed poll: its answer goes with it, as the confirmation says.
    await first.locator('[data-action="select"]').click()
    await first.locator('[data-action="delete"]').click()
    await expect(first.locator(".poll-confirm")).to_contain_text(
        "Delete “Where are you joining from?”? Its 1 answer is deleted with it, also from "
        "the export. This cannot be undone."
    )
    await first.locator('[data-action="confirm-delete"]').click()
    await expect(row(page, first_id)).to_have_count(0)
    assert await server_order(server, code) == [second_id]
    assert await server.services.store.list_answers(code, first_id) == {}
    # The selection moved on to the poll that is left.
    await expect(row(page, second_id).locator('[data-action="select"]')).to_have_attribute(
        "aria-current", "true"
    )
    await expect(page.locator("#stage-question")).to_have_text("Rate it")
    assert_clean(page)


# -- 2. the running order: drag, keyboard, newest first -----------------------------------
async def test_reorder_by_drag_and_by_keyboard(server: RunningServer, browser: Browser) -> None:
    event = await create_event(server.url, "Order")
    code, key = event["code"], event["presenter_key"]
    boss = await clients.presenter(server.url, code, key)
    try:
        a = await create(boss, question="Alpha?", kind="single", options=["x", "y"])
        await asyncio.sleep(0.01)  # three distinct creation times, for "Newest first"
        b = await create(boss, question="Bravo?", kind="rating")
        await asyncio.sleep(0.01)
        c = await create(boss, question="Charlie?", kind="open_text")
    finally:
        await boss.disconnect()
    created = [p["created_at"] for p in (await server_polls(server, code)).values()]
    assert len(set(created)) == 3, created
    page = await open_console(browser, server, code, key)
    other = await open_console(browser, server, code, key)
    await expect_order(page, server, code, [a, b, c])

    # Drag Charlie onto the top half of Alpha: it goes first. Another console follows.
    await (
        row(page, c)
        .locator(".drag-handle")
        .drag_to(row(page, a).locator(".poll-question"), target_position={"x": 5, "y": 1})
    )
    await expect_order(page, server, code, [c, a, b])
    await expect_order(other, server, code, [c, a, b])
    await expect(page.locator("#announcer")).to_have_text("Moved “Charlie?” to position 1 of 3.")

    # Alt+Down on a row, with the keyboard alone: the focus stays on the moved row.
    select_c = row(page, c).locator('[data-action="select"]')
    await select_c.focus()
    await page.keyboard.press("Alt+ArrowDown")
    await expect_order(page, server, code, [a, c, b])
    await expect(select_c).to_be_focused()
    await expect(page.locator("#announcer")).to_have_text("Moved “Charlie?” to position 2 of 3.")
    await page.keyboard.press("Alt+ArrowDown")
    await expect_order(page, server, code, [a, b, c])
    await expect(select_c).to_be_focused()
    await page.keyboard.press("Alt+ArrowDown")  # already last: nothing moves
    assert await server_order(server, code) == [a, b, c]

    # Move up / Move down: select with Enter, then the buttons, with the keyboard.
    await page.keyboard.press("Enter")
    await expect(select_c).to_have_attribute("aria-current", "true")
    await expect(row(page, c).locator('[data-action="down"]')).to_be_disabled()
    up = row(page, c).locator('[data-action="up"]')
    await up.focus()
    await page.keyboard.press("Enter")
    await expect_order(page, server, code, [a, c, b])
    await expect(up).to_be_focused()
    await page.keyboard.press("Enter")
    await expect_order(page, server, code, [c, a, b])
    # At the top its Move up is off: the focus stays in the row.
    await expect(up).to_be_disabled()
    await expect(select_c).to_be_focused()
    await expect_order(other, server, code, [c, a, b])

    # Newest first: the other way round by creation, without reordering tools; the
    # running order stays, and the choice is kept on this device.
    await page.select_option("#poll-order", "newest")
    await expect(page.locator("#polls [data-poll-id]").nth(0)).to_have_attribute("data-poll-id", c)
    assert await shown_order(page) == [c, b, a]
    await expect(page.locator("#polls .drag-handle")).to_have_count(0)
    await expect(page.locator('#polls [data-action="up"]')).to_have_count(0)
    assert await page.locator('#polls [draggable="true"]').count() == 0
    await page.reload()
    await expect(page.locator("#poll-order")).to_have_value("newest")
    await expect(page.locator("#polls [data-poll-id]")).to_have_count(3)
    assert await shown_order(page) == [c, b, a]
    assert await server_order(server, code) == [c, a, b]
    await page.select_option("#poll-order", "running")
    await expect_order(page, server, code, [c, a, b])
    assert_clean(page, other)


# -- 3. the README's walkthrough, the poll on stage, Reveal, a 10-point rating ----------------
async def test_readme_walkthrough_on_stage_marker_and_rating_fits(
    server: RunningServer, browser: Browser
) -> None:
    event = await create_event(server.url, "Demo")
    code, key = event["code"], event["presenter_key"]
    boss = await clients.presenter(server.url, code, key)
    try:
        # The demo's polls, in its order: the rating poll comes last.
        where = await create(
            boss,
            question="Where are you joining from?",
            kind="single",
            options=["Europe", "Americas", "Africa", "Asia-Pacific"],
        )
        await create(boss, question="Three words for how you feel today", kind="wordcloud")
        rating = await create(
            boss, question="How useful was this session?", kind="rating", scale=10
        )
    finally:
        await boss.disconnect()
    page = await open_console(browser, server, code, key, width=1366, height=768)

    # The stage offers the first poll of the running order, not the rating poll.
    await expect(page.locator("#stage-question")).to_have_text("Where are you joining from?")
    await expect(page.locator("#stage-meta")).to_have_text("Single choice · Draft")
    await expect(page.locator("#stage-on-stage")).to_be_hidden()
    # A draft has nothing to reveal.
    await expect(page.locator('[data-stage-action="reveal"]')).to_be_disabled()
    await expect(row(page, where).locator('[data-action="reveal"]')).to_be_disabled()

    # "Open 'Where are you joining from?'" from the stage opens that one.
    attendee = await open_attendee(browser, server, code)
    await join(attendee, "Ada")
    await page.click('[data-stage-action="open"]')
    await expect(row(page, where)).to_have_attribute("data-status", "open")
    await expect(attendee.locator("#question")).to_have_text("Where are you joining from?")
    # On stage, in words: on its row and on the stage card.
    await expect(row(page, where).locator(".on-stage-badge")).to_have_text("On stage")
    await expect(page.locator("#stage-on-stage")).to_be_visible()
    await expect(page.locator("#polls .on-stage-badge")).to_have_count(1)
    await attendee.locator('#answer-area [data-option="a"]').click()
    await expect(page.locator('#chart [data-option="a"] .count')).to_have_text("1")
    await page.click('[data-stage-action="close"]')
    await expect(row(page, where)).to_have_attribute("data-status", "closed")
    # Closed, still what the phones show: still on stage.
    await expect(row(page, where).locator(".on-stage-badge")).to_have_text("On stage")
    await page.click('[data-stage-action="reveal"]')
    await expect(row(page, where)).to_have_attribute("data-revealed", "true")
    await expect(attendee.locator('#results [data-option="a"] .count')).to_have_text("1")
    await assert_accessible(page, "presenter, a poll on stage, revealed")

    # A 10-point rating on stage: its average is on screen at 1366x768, no scrolling.
    voters = [await clients.attendee(server.url, code, f"V{i}") for i in range(10)]
    try:
        await row(page, rating).locator('[data-action="open"]').click()
        await expect(row(page, rating)).to_have_attribute("data-status", "open")
        for value, voter in enumerate(voters, start=1):
            assert (await voter.vote(rating, value))["ok"]
    finally:
        for voter in voters:
            await voter.disconnect()
    await expect(page.locator("#total")).to_have_text("10")
    await expect(page.locator("#chart .mean")).to_have_text("5.5")
    await expect(row(page, rating).locator(".on-stage-badge")).to_have_text("On stage")
    await expect(row(page, where).locator(".on-stage-badge")).to_have_count(0)
    await page.evaluate("window.scrollTo(0, 0)")
    box = await page.evaluate(
        """() => {
        const mean = document.querySelector('#chart .rating-mean').getBoundingClientRect();
        const last = document.querySelector('#chart [data-option="10"]').getBoundingClientRect();
        return { mean: mean.bottom, last: last.bottom, height: window.innerHeight,
                 scroll: window.scrollY };
    }"""
    )
    assert box["scroll"] == 0
    assert box["mean"] <= box["height"], box
    assert box["last"] <= box["height"], box
    assert_clean(page, attendee)


# -- 4. the end of the event from the console ---------------------------------------------------
async def test_end_event_from_the_console(server: RunningServer, browser: Browser) -> None:
    event = await create_event(server.url, "Closing")
    code, key = event["code"], event["presenter_key"]
    boss = await clients.presenter(server.url, code, key)
    try:
        added = await boss.call("room:create", {"title": "Breakout"})
        assert added["ok"], added
        poll_id = await create(boss, question="Last one?", kind="single", options=["Y", "N"])
        assert (await boss.call("poll:open", {"poll_id": poll_id}))["ok"]
    finally:
        await boss.disconnect()
    room_key = added["presenter_key"]

    # A room's own key may not end the event: no such button.
    room_console = await open_console(browser, server, code, room_key)
    await expect(room_console.locator("#room-fixed")).to_be_visible()
    await expect(room_console.locator("#end-event")).to_be_hidden()
    await expect(room_console.locator("#join-settings")).to_be_hidden()

    page = await open_console(browser, server, code, key)
    attendee = await open_attendee(browser, server, code)
    await join(attendee, "Katherine")
    await expect(page.locator("#online")).to_have_text("1")

    await page.click("#end-event-button")
    await expect(page.locator("#end-event-confirm")).to_be_focused()
    await expect(page.locator("#end-event-button")).to_have_attribute("aria-expanded", "true")
    await assert_accessible(page, "presenter, ending the event")
    # Cancel, then a wrong code: nothing ends.
    await page.click("#end-event-cancel")
    await expect(page.locator("#end-event-panel")).to_be_hidden()
    await expect(page.locator("#end-event-button")).to_be_focused()
    await page.click("#end-event-button")
    await page.fill("#end-event-confirm", "WRONG1")
    await page.click("#end-event-submit")
    await expect(page.locator("#end-event-error")).to_have_text(
        f"Type the join code, {code}, to end the event."
    )
    assert (await server.services.store.get_event(code)).ended_at is None  # type: ignore[union-attr]

    # The code, typed in lower case, ends it for everyone.
    await page.fill("#end-event-confirm", code.lower())
    await page.keyboard.press("Enter")
    await expect(page.locator("#ended-banner")).to_be_visible()
    await expect(attendee.locator("#ended-view")).to_be_visible()
    await expect(attendee.locator("#ended-title")).to_have_text("Thank you for taking part!")
    assert (await server.services.store.get_event(code)).ended_at is not None  # type: ignore[union-attr]
    await expect(room_console.locator("#ended-banner")).to_be_visible()

    # The console keeps its layout, read-only; nobody is online any more.
    await expect(page.locator("#connection")).to_have_attribute("data-state", "offline")
    await expect(page.locator("#online")).to_have_text("0")
    await expect(page.locator("#end-event")).to_be_hidden()
    await expect(row(page, poll_id)).to_have_attribute("data-status", "closed")
    await expect(row(page, poll_id).locator('[data-action="open"]')).to_be_disabled()
    await expect(page.locator("#polls .on-stage-badge")).to_have_count(0)
    layout = await page.evaluate(
        """() => ({
        display: getComputedStyle(document.querySelector('#console')).display,
        align: getComputedStyle(document.querySelector('#stage')).textAlign,
        side: document.querySelector('.console-side').getBoundingClientRect().left,
        main: document.querySelector('.console-main').getBoundingClientRect().left,
    })"""
    )
    assert layout["display"] == "grid" and layout["align"] in ("start", "left"), layout
    assert layout["side"] > layout["main"], layout  # two columns, side by side
    await assert_accessible(page, "presenter, ended from the console")
    # Opened again later: the console says the event ended (not "check your key").
    await page.reload()
    await expect(page.locator("#ended-banner")).to_have_text(
        "This event has ended: its console is closed and nobody can join any more."
    )
    await expect(page.locator("#setup")).to_be_hidden()
    await expect(page.locator("#connection")).to_have_text("Event ended")
    assert_clean(page, attendee, room_console)


# -- 5. three words per attendee ----------------------------------------------------------------
async def test_word_cloud_takes_three_words_per_attendee(
    server: RunningServer, browser: Browser
) -> None:
    event = await create_event(server.url, "Words")
    code, key = event["code"], event["presenter_key"]
    page = await open_console(browser, server, code, key)
    await page.fill("#question-input", "Three words for today")
    await page.select_option("#kind-select", "wordcloud")
    await expect(page.locator("#max-words-input")).to_have_value("3")
    await page.click("#create-button")
    await expect(page.locator("#polls [data-poll-id]")).to_have_count(1)
    poll_id = (await server_order(server, code))[0]
    assert (await server_polls(server, code))[poll_id]["max_words"] == 3
    await row(page, poll_id).locator('[data-action="open"]').click()

    screen, _, slog = await open_page(browser, f"{server.url}/screen?event={code}")
    attendee = await open_attendee(browser, server, code)
    await join(attendee, "Wanda")
    await expect(attendee.locator("#question")).to_have_text("Three words for today")
    # The field says so: three fields, named, and the hint.
    await expect(attendee.locator("#poll-hint")).to_have_text(
        "Up to 3 words or short phrases, 40 characters each."
    )
    fields = attendee.locator("#answer-area input[type=text]")
    await expect(fields).to_have_count(3)
    for n in (1, 2, 3):
        await expect(attendee.get_by_label(f"Word {n}", exact=True)).to_be_visible()
    # The same word twice is refused on the page.
    await attendee.fill("#text-answer", "Sunny")
    await attendee.fill("#text-answer-2", "sunny ")
    await attendee.click("#submit-answer")
    await expect(attendee.locator("#answer-status")).to_have_text("Give each word only once.")
    await attendee.fill("#text-answer-2", "Calm")
    await attendee.fill("#text-answer-3", "Curious")
    await attendee.click("#submit-answer")
    await expect(attendee.locator("#answer-status")).to_have_text(
        "Your answer: Sunny, Calm, Curious"
    )
    await expect(fields.nth(0)).to_have_value("")
    # Stored as one answer of three words, each counted.
    answers = await server.services.store.list_answers(code, poll_id)
    assert [a.value for a in answers.values()] == [["Sunny", "Calm", "Curious"]]
    await expect(page.locator("#chart .word")).to_have_count(3)
    await expect(page.locator("#total")).to_have_text("1")

    # Equal counts, equal sizes; a lead of one does not dwarf the rest.
    voter = await clients.attendee(server.url, code, "Second")
    try:
        assert (await voter.vote(poll_id, ["sunny", "Donaudampfschifffahrtsgesellschaft"]))["ok"]
    finally:
        await voter.disconnect()
    await expect(page.locator("#chart .word")).to_have_count(4)
    sizes = await page.locator("#chart .word").evaluate_all(
        "(ws) => Object.fromEntries(ws.map((w) => [w.querySelector('.word-text').textContent,"
        " parseFloat(getComputedStyle(w).fontSize)]))"
    )
    assert sizes["Calm"] == sizes["Curious"], sizes
    assert sizes["Sunny"] > sizes["Calm"] >= 0.7 * sizes["Sunny"], sizes
    # The long word, with the same count, is as big as the width lets it be.
    assert sizes["Donaudampfschifffahrtsgesellschaft"] <= sizes["Calm"], sizes

    # Revealed on a phone: the long word stays whole (one line) and inside the width.
    await row(page, poll_id).locator('[data-action="close"]').click()
    await row(page, poll_id).locator('[data-action="reveal"]').click()
    # The big screen, revealed: the same words, equal counts the same size.
    await expect(screen.locator("#chart .word")).to_have_count(4)
    on_screen = await screen.locator("#chart .word").evaluate_all(
        "(ws) => Object.fromEntries(ws.map((w) => [w.querySelector('.word-text').textContent,"
        " parseFloat(getComputedStyle(w).fontSize)]))"
    )
    assert on_screen["Calm"] == on_screen["Curious"] < on_screen["Sunny"], on_screen
    long_word = attendee.locator("#results .word-text").filter(
        has_text="Donaudampfschifffahrtsgesellschaft"
    )
    await expect(long_word).to_be_visible()
    for scale in ("", "200%"):
        await attendee.evaluate(f"document.documentElement.style.fontSize = '{scale}'")
        lines = await long_word.evaluate(
            """(node) => {
            const range = document.createRange();
            range.selectNodeContents(node);
            const tops = new Set([...range.getClientRects()].map((r) => Math.round(r.top)));
            const box = node.getBoundingClientRect();
            const width = document.documentElement.clientWidth;
            return { lines: tops.size, right: box.right, width };
        }"""
        )
        assert lines["lines"] == 1 and lines["right"] <= lines["width"], (scale, lines)
        assert await horizontal_overflow(attendee) == 0
    await attendee.evaluate("document.documentElement.style.fontSize = ''")
    assert_clean(page, attendee)
    slog.assert_clean()


# -- 6. a late visitor ------------------------------------------------------------------------
async def test_a_late_visitor_sees_the_event_has_ended(
    server: RunningServer, browser: Browser
) -> None:
    event = await create_event(server.url, "Yesterday's event")
    code = event["code"]
    early = await open_attendee(browser, server, code)
    await join(early, "Early bird")
    await end_event(server.url, code)
    await expect(early.locator("#ended-title")).to_have_text("Thank you for taking part!")

    # Someone with the link, after the end: told it ended at once (no form to fill in
    # first), not thanked for taking part.
    late = await open_attendee(browser, server, code)
    await sees_it_ended(late)
    await expect(late.locator("#ended-title")).to_have_text("This event has ended")
    await expect(late.locator("#ended-text")).to_have_text("It is no longer possible to join it.")
    await expect(late.locator("#ended-title")).to_be_focused()
    await expect(late.locator("#connection")).to_have_text("Event ended")
    # The same in French.
    french, _, flog = await open_page(
        browser, f"{server.url}/?event={code}", width=390, height=844, locale="fr-FR"
    )
    await sees_it_ended(french)
    await expect(french.locator("#ended-title")).to_have_text("Cet événement est terminé")
    # The one who took part, coming back later, is still thanked.
    await early.reload()
    await expect(early.locator("#ended-view")).to_be_visible()
    await expect(early.locator("#ended-title")).to_have_text("Thank you for taking part!")
    await assert_accessible(late, "attendee, a late visitor")
    assert_clean(early, late)
    flog.assert_clean()


async def sees_it_ended(page: Page) -> None:
    await expect(page.locator("#ended-view")).to_be_visible()
    await expect(page.locator("#join-view")).to_be_hidden()
    await expect(page.locator("#event-view")).to_be_hidden()


# -- 7. the join form: optional name, anonymous event ----------------------------------------
async def test_join_form_optional_name_and_anonymous_event(
    server: RunningServer, browser: Browser
) -> None:
    event = await create_event(server.url, "Open forum")
    code, key = event["code"], event["presenter_key"]
    page = await open_console(browser, server, code, key)

    # The console shows the event's settings (folded, summed up) and changes them.
    await expect(page.locator("#join-settings")).to_be_visible()
    await expect(page.locator("#join-settings-summary")).to_have_text(
        "name required, organisation, country"
    )
    await expect(page.locator("#join-name-mode")).to_be_hidden()
    await page.click("#join-settings summary")
    await expect(page.locator("#join-name-mode")).to_have_value("required")
    await expect(page.locator("#join-ask-organisation")).to_be_checked()
    await expect(page.locator("#join-ask-country")).to_be_checked()
    await page.select_option("#join-name-mode", "optional")
    await page.locator("#join-ask-organisation").uncheck()
    await page.click("#join-settings-save")
    await expect(page.locator("#join-settings-status")).to_have_text(
        "Saved: people who join from now on get this form."
    )
    await expect(page.locator("#join-settings-summary")).to_have_text("name optional, country")
    event_record = await server.services.store.get_event(code)
    assert event_record is not None
    assert event_record.join == {"name": "optional", "organisation": False, "country": True}

    # A name is optional: said so; no organisation asked; the country is.
    attendee = await open_attendee(browser, server, code)
    await expect(attendee.locator("#name")).to_be_visible()
    await expect(attendee.locator("label[for=name]")).to_have_text("Your name (optional)")
    await expect(attendee.locator("#organisation")).to_be_hidden()
    await expect(attendee.locator("#country")).to_be_visible()
    await expect(attendee.locator("#join-anonymous")).to_be_hidden()
    await assert_accessible(attendee, "attendee, a name optional")
    await attendee.fill("#country", "Portugal")
    await join(attendee, None)
    await expect(attendee.locator("#attendee-name")).to_have_text(re.compile(r"^Guest \d{4}$"))
    people = await server.services.store.list_attendees(code)
    assert [(p.name.startswith("Guest "), p.country, p.organisation) for p in people] == [
        (True, "Portugal", None)
    ]
    assert await shows_no_internal_id(attendee, people[0].id)

    # An anonymous event: no name, no organisation, no country; the page says so.
    await page.select_option("#join-name-mode", "none")
    await page.locator("#join-ask-country").uncheck()
    await page.click("#join-settings-save")
    await expect(page.locator("#join-settings-status")).to_have_text(
        "Saved: people who join from now on get this form."
    )
    anonymous = await open_attendee(browser, server, code)
    await expect(anonymous.locator("#join-anonymous")).to_have_text(
        "This event is anonymous: you join without a name."
    )
    for field in ("#name", "#organisation", "#country"):
        await expect(anonymous.locator(field)).to_be_hidden()
    # Nothing to fill in: the focus is on the Join button.
    await expect(anonymous.locator("#join")).to_be_focused()
    await assert_accessible(anonymous, "attendee, an anonymous event")
    await anonymous.keyboard.press("Enter")
    await expect(anonymous.locator("#event-view")).to_be_visible()
    await expect(anonymous.locator("#attendee-name")).to_have_text(re.compile(r"^Guest \d{4}$"))
    people = await server.services.store.list_attendees(code)
    assert len(people) == 2
    newcomer = next(p for p in people if p.country is None)
    assert newcomer.name.startswith("Guest ") and newcomer.organisation is None
    assert await shows_no_internal_id(anonymous, newcomer.id)

    # A code typed by hand: its event's form is read before joining.
    other = await create_event(server.url, "Named event")
    typed, _, tlog = await open_page(browser, f"{server.url}/", width=390, height=844)
    await set_join_form(server.url, other["code"], other["presenter_key"], name="required")
    await typed.fill("#event-code", code.lower())
    await typed.locator("#event-code").blur()
    await expect(typed.locator("#name")).to_be_hidden()
    await typed.fill("#event-code", other["code"])
    # Enter, not a click: leaving the field reads the form too, and the name field it
    # shows can push the Join button away between the press and the release.
    await typed.locator("#event-code").press("Enter")
    await expect(typed.locator("#name")).to_be_visible()
    await expect(typed.locator("#join-error")).to_have_text("Enter your name to join.")
    await typed.fill("#name", "Nadia")
    await typed.click("#join")
    await expect(typed.locator("#attendee-name")).to_have_text("Nadia")
    assert_clean(page, attendee, anonymous)
    tlog.assert_clean()


# -- 8. no internal ids ---------------------------------------------------------------------
async def shows_no_internal_id(page: Page, attendee_id: str) -> bool:
    """Neither this attendee's id nor any other is in the page's text or its markup."""
    text = await page.locator("body").inner_text()
    html = await page.content()
    return INTERNAL_ID.search(text) is None and attendee_id not in html


async def test_attendees_never_see_internal_ids(server: RunningServer, browser: Browser) -> None:
    event = await create_event(server.url, "Ids")
    code, key = event["code"], event["presenter_key"]
    attendee = await open_attendee(browser, server, code)
    await join(attendee, "Ada")
    await expect(attendee.locator("#attendee-name")).to_have_text("Ada")
    (person,) = await server.services.store.list_attendees(code)
    assert INTERNAL_ID.fullmatch(person.id), person.id
    await expect(attendee.locator("#attendee-id")).to_have_count(0)
    assert await shows_no_internal_id(attendee, person.id)
    boss = await clients.presenter(server.url, code, key)
    try:
        poll_id = await create(boss, question="Hello?", kind="single", options=["Hi", "Yo"])
        assert (await boss.call("poll:open", {"poll_id": poll_id}))["ok"]
        await attendee.locator('#answer-area [data-option="a"]').click()
        await expect(attendee.locator("#answer-status")).to_have_text("Your answer: Hi")
        assert (await boss.call("poll:close", {"poll_id": poll_id}))["ok"]
        assert (await boss.call("poll:reveal", {"poll_id": poll_id}))["ok"]
        await expect(attendee.locator("#results-total")).to_have_text("1")
    finally:
        await boss.disconnect()
    assert await shows_no_internal_id(attendee, person.id)
    await attendee.reload()
    await expect(attendee.locator("#attendee-name")).to_have_text("Ada")
    assert await shows_no_internal_id(attendee, person.id)
    assert_clean(attendee)
