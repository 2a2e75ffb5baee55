"""A ranked award ballot in a real Chromium on a phone-sized touch screen, against the
real server: the attendee ranks candidates by tapping, reorders them by dragging a row
with a real touch drag and with the arrow buttons, reviews, casts and gets a receipt;
the big screen shows the turnout and, after a staged reveal, the winner's name; the
presenter console sets up a ballot and drives the staged reveal; the attendee checks the
receipt in the published ballots. Every ballot state is held to WCAG 2.1 AA (axe-core,
44 px touch targets, 200 % text without sideways scrolling)."""

from __future__ import annotations

import re

import pytest
from playwright.async_api import Browser, Locator, Page, expect

from tests.support import clients
from tests.support.browser import (  # noqa: F401 - fixtures
    assert_accessible,
    chromium_browser,
    embedded_server,
    horizontal_overflow,
    open_page,
    small_touch_targets,
)
from tests.support.server import RunningServer, create_event

pytestmark = [pytest.mark.browser]
expect.set_options(timeout=15_000)

CITIES = ["Memphis", "Nashville", "Chattanooga", "Knoxville"]


async def check_phone(page: Page, state: str) -> None:
    await assert_accessible(page, f"ballot, {state}")
    assert await small_touch_targets(page) == [], f"ballot, {state}: targets under 44 px"
    await page.evaluate("document.documentElement.style.fontSize = '200%'")
    try:
        assert await horizontal_overflow(page) == 0, f"ballot, {state}: 200 % text overflows"
    finally:
        await page.evaluate("document.documentElement.style.fontSize = ''")


async def ranked(page: Page, *names: str) -> None:
    """The ranking on the page is ``names``, in this order."""
    await expect(page.locator("#ballot-ranking .ballot-ranked-name .ballot-name")).to_have_text(
        list(names)
    )


async def touch_drag(page: Page, handle: Locator, to: Locator) -> None:
    """A real touch drag (Chrome DevTools Protocol touch events, which the page gets as
    pointer events of type "touch") from ``handle`` to just above ``to``'s middle."""
    await to.scroll_into_view_if_needed()
    await handle.scroll_into_view_if_needed()
    start = await handle.bounding_box()
    end = await to.bounding_box()
    assert start is not None and end is not None
    x = start["x"] + start["width"] / 2
    y0 = start["y"] + start["height"] / 2
    y1 = end["y"] + end["height"] / 4
    cdp = await page.context.new_cdp_session(page)
    await cdp.send(
        "Input.dispatchTouchEvent", {"type": "touchStart", "touchPoints": [{"x": x, "y": y0}]}
    )
    steps = 8
    for i in range(1, steps + 1):
        y = y0 + (y1 - y0) * i / steps
        await cdp.send(
            "Input.dispatchTouchEvent", {"type": "touchMove", "touchPoints": [{"x": x, "y": y}]}
        )
    await cdp.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})
    await cdp.detach()
    # A tap right after a drag is taken for part of the same gesture: let it end.
    await page.wait_for_timeout(600)


async def test_ranked_ballot_on_a_phone(server: RunningServer, browser: Browser) -> None:
    event = await create_event(server.url, "Cluster awards")
    code = event["code"]
    phone, _, log = await open_page(
        browser,
        f"{server.url}/?event={code}",
        width=390,
        height=844,
        has_touch=True,
        is_mobile=True,
        device_scale_factor=2,
    )
    await phone.fill("#name", "Dana")
    await phone.tap("#join")
    await expect(phone.locator("#waiting")).to_be_visible()
    screen, _, screen_log = await open_page(browser, f"{server.url}/screen?event={code}")
    await expect(screen.locator("#connection")).to_have_attribute("data-state", "connected")

    boss = await clients.presenter(server.url, code, event["presenter_key"])
    others = [await clients.attendee(server.url, code, f"Voter {i}") for i in range(2)]
    try:
        created = await boss.call(
            "ballot:create",
            {
                "title": "State capital",
                "method": "irv",
                "candidates": [{"name": c} for c in CITIES],
            },
        )
        ballot_id = created["ballot"]["id"]
        assert (await boss.call("ballot:open", {"ballot_id": ballot_id}))["ok"]

        await expect(phone.locator("#ballot-title")).to_have_text("State capital")
        await expect(phone.locator("#announcer")).to_have_text("New ballot: State capital")
        await expect(phone.locator("#ballot-state")).to_have_text("Voting open · 0 ballots cast")
        await check_phone(phone, "open")
        await expect(screen.locator("#screen-ballot-title")).to_have_text("State capital")

        # Tap to rank: Knoxville, Chattanooga, Nashville.
        for name in ("Knoxville", "Chattanooga", "Nashville"):
            await phone.locator("#ballot-pool .ballot-candidate", has_text=name).tap()
        await ranked(phone, "Knoxville", "Chattanooga", "Nashville")
        await check_phone(phone, "ranking")
        # Drag Nashville (third) to the top with a touch drag on its handle.
        rows = phone.locator("#ballot-ranking .ballot-ranked")
        await touch_drag(phone, rows.nth(2).locator(".drag-handle"), rows.nth(0))
        await ranked(phone, "Nashville", "Knoxville", "Chattanooga")
        # The arrows reorder too, and a row can be removed.
        await rows.nth(2).locator("[data-move=up]").tap()
        await ranked(phone, "Nashville", "Chattanooga", "Knoxville")
        await rows.nth(1).locator("[data-remove]").tap()
        await ranked(phone, "Nashville", "Knoxville")

        # Review, go back once, then cast.
        await phone.tap("#ballot-review")
        await expect(phone.locator("#ballot-summary")).to_have_text("1. Nashville, 2. Knoxville")
        await check_phone(phone, "review")
        await phone.tap("#ballot-back")
        await ranked(phone, "Nashville", "Knoxville")
        await phone.tap("#ballot-review")
        await phone.tap("#ballot-submit")
        receipt = phone.locator("#ballot-receipt-code")
        await expect(receipt).to_have_text(re.compile(r"^[A-Z2-7]{4}-[A-Z2-7]{4}-[A-Z2-7]{4}$"))
        code_text = await receipt.inner_text()
        await expect(phone.locator("#ballot-receipt-choice")).to_have_text(
            "Your ballot: 1. Nashville, 2. Knoxville"
        )
        await check_phone(phone, "receipt")

        for voter in others:
            ack = await voter.call(
                "ballot:cast",
                {
                    "ballot_id": ballot_id,
                    "vote_id": voter.auth["name"].replace(" ", "-"),
                    "choice": ["c4"],
                },
            )
            assert ack["ok"], ack
        await expect(phone.locator("#ballot-state")).to_have_text("Voting open · 3 ballots cast")
        await expect(screen.locator("#screen-ballot-turnout")).to_have_text("3 ballots cast")
        # The server stored the phone's ranking, under its receipt.
        state = (await boss.call("ballot:list"))["ballots"][0]
        assert state["turnout"] == 3 and state["result"] is None

        assert (await boss.call("ballot:close", {"ballot_id": ballot_id}))["ok"]
        await expect(phone.locator("#ballot-closed")).to_be_visible()
        await check_phone(phone, "closed")
        # Staged reveal: Memphis and Chattanooga share third place, Nashville is second.
        await boss.call("ballot:reveal", {"ballot_id": ballot_id, "places": 3})
        await expect(screen.locator("#screen-ballot-places")).to_contain_text("Third place")
        await expect(screen.locator("#screen-ballot-places")).to_contain_text("Memphis")
        await expect(phone.locator("#ballot-places")).to_contain_text("Chattanooga")
        await boss.call("ballot:reveal", {"ballot_id": ballot_id, "places": 2})
        await expect(screen.locator("#screen-ballot-places")).to_contain_text("Nashville")
        revealed = await boss.call("ballot:reveal", {"ballot_id": ballot_id, "places": 1})
        assert revealed["ballot"]["result"]["winners"] == ["c4"]
        await expect(screen.locator(".screen-ballot-winner-name")).to_have_text("Knoxville")
        await expect(phone.locator('#ballot-places [data-place="1"]')).to_contain_text("Knoxville")
        await expect(phone.locator("#announcer")).to_contain_text("Winner: Knoxville")
        await check_phone(phone, "revealed")

        # The receipt is in the published list, with the ballot as cast.
        await phone.tap("#ballot-verify")
        await expect(phone.locator("#ballot-verify-result")).to_have_text(
            f"Your receipt {code_text} is in the published list, with your ballot: "
            "1. Nashville, 2. Knoxville"
        )
        published = await boss.call("ballot:published", {"ballot_id": ballot_id})
        assert {"receipt": code_text, "choice": ["c2", "c4"]} in published["cast"]
        await check_phone(phone, "receipt checked")
    finally:
        for c in (boss, *others):
            await c.disconnect()
    log.assert_clean()
    screen_log.assert_clean()


async def test_presenter_sets_up_a_ballot_and_reveals_it_in_stages(
    server: RunningServer, browser: Browser
) -> None:
    event = await create_event(server.url, "Awards night")
    code = event["code"]
    console, _, log = await open_page(
        browser, f"{server.url}/presenter#event={code}&key={event['presenter_key']}"
    )
    await expect(console.locator("#connection")).to_have_attribute("data-state", "connected")
    await console.fill("#ballot-title-input", "Best pitch")
    await console.select_option("#ballot-method-select", "plurality")
    await console.fill("#ballot-candidates-input", "Alpha; Org A\nBeta\nGamma")
    await console.check("#ballot-live")
    await console.click("#ballot-create-button")
    row = console.locator("#ballots [data-ballot-id]")
    await expect(row).to_have_count(1)
    await expect(console.locator("#stage-question")).to_have_text("Best pitch")
    await assert_accessible(console, "presenter, ballot draft")
    ballot_id = await row.get_attribute("data-ballot-id")
    assert ballot_id

    await row.locator("[data-action=open]").click()
    await expect(row).to_have_attribute("data-status", "open")
    voters = [await clients.attendee(server.url, code, f"V{i}") for i in range(3)]
    try:
        for voter, choice in zip(voters, ["c2", "c2", "c1"], strict=True):
            ack = await voter.call(
                "ballot:cast",
                {
                    "ballot_id": ballot_id,
                    "vote_id": voter.auth["name"].replace(" ", "-"),
                    "choice": choice,
                },
            )
            assert ack["ok"], ack
        await expect(console.locator("#total")).to_have_text("3")
        # Live: the count shows on the console (and only there).
        await expect(console.locator('.ballot-result-row[data-candidate="c2"]')).to_contain_text(
            "2 votes"
        )
        await assert_accessible(console, "presenter, live ballot")
        await row.locator("[data-action=close]").click()
        await expect(row).to_have_attribute("data-status", "closed")
        await console.click("[data-reveal-places='3']")
        await expect(console.locator("#ballot-stage-places")).to_contain_text("Third place")
        await console.click("[data-reveal-places='2']")
        await console.click("[data-reveal-places='1']")
        await expect(row).to_have_attribute("data-revealed", "true")
        await expect(console.locator('#ballot-stage-places [data-place="1"]')).to_contain_text(
            "Beta"
        )
        await assert_accessible(console, "presenter, ballot revealed")
    finally:
        for voter in voters:
            await voter.disconnect()
    log.assert_clean()
