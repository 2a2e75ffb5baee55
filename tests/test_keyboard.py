"""The attendee page with the keyboard alone (WCAG 2.1.1, 2.4.3, 2.4.7): join, then
answer each poll kind (single, multiple, rating, word cloud, open text) with Tab, Enter,
Space and typing, never a click. The focus order is logical, the focused control is
visibly outlined, and when a new poll replaces what had the focus, the focus goes to its
question so the next Tab reaches its answers. Real server, real Chromium; the answers
are checked on the server.
"""

from __future__ import annotations

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


async def tab_to(page: Page, selector: str, max_presses: int = 12) -> None:
    """Press Tab until the element matching ``selector`` has the focus; it must show a
    visible focus outline."""
    for _ in range(max_presses):
        if await focused(page, selector):
            break
        await page.keyboard.press("Tab")
    assert await focused(page, selector), f"Tab never reached {selector}"
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
        assert await focused(page, '#ballot-pool [data-candidate="c1"]')
        await page.keyboard.press("Enter")
        await page.keyboard.press("Enter")  # Beta, the last one
        names = page.locator("#ballot-ranking .ballot-name")
        await expect(names).to_have_text(["Gamma", "Alpha", "Beta"])
        # Beta up one place with its arrow: the focus stays on that arrow of its row.
        await tab_to(page, '#ballot-ranking [data-candidate="c2"] [data-move="up"]', 20)
        await page.keyboard.press("Enter")
        await expect(names).to_have_text(["Gamma", "Beta", "Alpha"])
        assert await focused(page, '#ballot-ranking [data-candidate="c2"] [data-move="up"]')
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
