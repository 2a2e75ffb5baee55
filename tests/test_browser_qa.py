"""Q&A and reactions in a real Chromium against the real server: two attendees, a
presenter and the big screen. Ask, approve, upvote, highlight, as people would, with an
anonymous question whose author no other page ever shows; a reaction tap reaches the
presenter; every page stays accessible (axe-core) and free of errors."""

from __future__ import annotations

import pytest
from playwright.async_api import Browser, Page, expect

from tests.support.browser import (  # noqa: F401 - fixtures
    assert_accessible,
    chromium_browser,
    embedded_server,
    open_page,
)
from tests.support.server import RunningServer, create_event
from tests.test_browser import open_attendee, open_presenter

pytestmark = [pytest.mark.browser]
expect.set_options(timeout=15_000)


async def ask(page: Page, text: str, anonymous: bool = False) -> None:
    await page.fill("#qa-text", text)
    if anonymous:
        await page.check("#qa-anonymous")
    await page.click("#qa-send")
    await expect(page.locator("#qa-text")).to_have_value("")


async def test_ask_approve_upvote_and_highlight(server: RunningServer, browser: Browser) -> None:
    event = await create_event(server.url)
    code = event["code"]
    presenter = await open_presenter(browser, server, event)
    screen, _, screen_log = await open_page(browser, f"{server.url}/screen?event={code}")
    ada = await open_attendee(browser, server, code, "Ada Lovelace")
    sam = await open_attendee(browser, server, code, "Secret Sam")

    # The presenter turns moderation on; the attendees' questions wait for approval.
    await presenter.check("#qa-moderation")
    await expect(presenter.locator("#qa-moderation")).to_be_checked()
    await ask(ada, "Where can I find the slides?")
    await expect(ada.locator("#qa-status")).to_contain_text("moderator")
    await expect(ada.locator("#qa-mine li")).to_contain_text("waiting for approval")
    await ask(sam, "Why is the budget late?", anonymous=True)
    queue = presenter.locator("#qa-queue li")
    await expect(queue).to_have_count(2)
    await expect(sam.locator("#qa-list li")).to_have_count(0)  # nothing public yet

    for text in ("Where can I find the slides?", "Why is the budget late?"):
        await queue.filter(has_text=text).get_by_role("button", name="Approve").click()
    await expect(queue).to_have_count(0)
    listed = presenter.locator("#qa-questions li")
    await expect(listed).to_have_count(2)
    await expect(ada.locator("#qa-list li")).to_have_count(2)
    await expect(ada.locator("#qa-mine li")).to_contain_text("published")

    # Ada upvotes Sam's question; it goes to the top everywhere, with one vote.
    budget = ada.locator("#qa-list li").filter(has_text="Why is the budget late?")
    await budget.locator("button.upvote").click()
    await expect(budget.locator("button.upvote")).to_have_attribute("aria-pressed", "true")
    await expect(ada.locator("#qa-list li").first).to_contain_text("Why is the budget late?")
    await expect(sam.locator("#qa-list li").first).to_contain_text("Why is the budget late?")
    await expect(sam.locator("#qa-list li").first.locator("button.upvote")).to_contain_text("▲ 1")
    await expect(listed.first).to_contain_text("1 votes")

    # Highlighted on the big screen, without the anonymous author's name.
    await (
        listed.filter(has_text="Why is the budget late?")
        .get_by_role("button", name="Highlight")
        .click()
    )
    await expect(screen.locator("#screen-qa-text")).to_have_text("Why is the budget late?")
    await expect(screen.locator("#screen-qa-meta")).to_contain_text("Anonymous")
    await expect(presenter.locator("#qa-highlighted")).to_contain_text("Why is the budget late?")
    for page in (screen, ada, presenter):
        assert "Secret Sam" not in await page.locator("body").inner_text()

    # A reaction tap reaches the presenter's console.
    await ada.get_by_role("button", name="Send 👏").click()
    await expect(presenter.locator("#reactions-live")).to_contain_text("👏 1")

    # Answered: off the big screen; the attendees see it answered.
    await (
        listed.filter(has_text="Why is the budget late?")
        .get_by_role("button", name="Answered")
        .click()
    )
    await expect(screen.locator("#screen-qa")).to_be_hidden()
    await expect(ada.locator("#qa-list li").filter(has_text="budget")).to_contain_text("answered")

    for page, state in ((ada, "attendee with questions"), (screen, "screen")):
        await assert_accessible(page, f"Q&A: {state}")
    for page in (presenter, ada, sam):
        page.plenary_log.assert_clean()  # type: ignore[attr-defined]
    screen_log.assert_clean()
