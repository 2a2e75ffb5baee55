"""The big screen in a real Chromium against the real server (no mocks).

a. It fits any content the server allows, at 1280x720 and 1920x1080: a 300-character
   question with 12 options of 120 characters (two columns), before the results and
   with them, beside the QR code; a 10-point rating; a word cloud of 50 long words; 50
   open-text answers of 280 characters. Measured: no element outside the window or
   clipped by a box around it, no text overflowing its box, the page never scrolls,
   the footer on screen.
b. Reveal governs the screen: before it the question and its options, no results;
   the console's screen switch shows them live and hides them again; the reveal shows
   them (also on a `&hide=1` screen, which ignores the switch).
c. Moderation from the console: a hidden word leaves the screen; with "approve before
   showing", an answer waits until approved.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from playwright.async_api import Browser, Page, expect

from tests.support import clients
from tests.support.browser import (  # noqa: F401 - fixtures
    assert_accessible,
    chromium_browser,
    embedded_server,
    open_page,
)
from tests.support.clients import Client
from tests.support.server import RunningServer, create_event

pytestmark = [
    pytest.mark.browser,
]

WAIT_MS = 15_000
expect.set_options(timeout=WAIT_MS)
SIZES = ((1280, 720), (1920, 1080))

# The longest a question and an option may be (PollLimits), with words of every length.
QUESTION = (
    "Of everything the consultation raised over six months, in every district, online and "
    "in person, which of these should the city fund first in next year's budget, knowing "
    "that each takes years to deliver, that some depend on the region's approval and that "
    "the remaining money goes to the other ones in the order of this vote (choose one)?"
)[:300]
OPTIONS = [
    (
        f"{i + 1}. Extend the {topic} programme to every neighbourhood, with "
        "Verkehrsberuhigungsmaßnahmen and a yearly public report on the results"
    )[:120].ljust(120, ".")
    for i, topic in enumerate(
        [
            "tram",
            "cycling",
            "housing",
            "school meals",
            "clinics",
            "parks",
            "libraries",
            "youth centres",
            "street lighting",
            "flood defence",
            "broadband",
            "market halls",
        ]
    )
]
LONG_WORD = "Donaudampfschifffahrtsgesellschaftskapitän"[:40]

FITS = """() => {
  const W = window.innerWidth, H = window.innerHeight, problems = [];
  const name = (n) => {
    const classes = typeof n.className === "string" ? n.className.trim().split(/\\s+/) : [];
    return n.tagName.toLowerCase() + (n.id ? "#" + n.id : "") +
      classes.filter(Boolean).map((c) => "." + c).join("");
  };
  const root = document.scrollingElement;
  if (root.scrollHeight > H + 1 || root.scrollWidth > W + 1) {
    problems.push(`the page scrolls: ${root.scrollWidth}x${root.scrollHeight} in ${W}x${H}`);
  }
  let seen = 0;
  for (const node of document.body.querySelectorAll("*")) {
    if (node.closest(".visually-hidden, [hidden]")) continue;
    const style = getComputedStyle(node);
    if (style.display === "none" || style.visibility === "hidden") continue;
    if (!node.getClientRects().length) continue;
    const r = node.getBoundingClientRect();
    if (r.width === 0 && r.height === 0) continue;
    seen += 1;
    if (r.left < -1 || r.top < -1 || r.right > W + 1 || r.bottom > H + 1) {
      problems.push(`${name(node)} is outside the window: ${JSON.stringify(r)}`);
    }
    // Text larger than its own box (a word that does not break, too many lines).
    if (style.display !== "inline" && node.clientWidth > 0 && style.overflow !== "visible" &&
        (node.scrollWidth > node.clientWidth + 1 || node.scrollHeight > node.clientHeight + 1)) {
      problems.push(`${name(node)} has hidden overflow: ${node.scrollWidth}x${node.scrollHeight} ` +
                    `in ${node.clientWidth}x${node.clientHeight}`);
    }
    const top = document.documentElement;
    for (let box = node.parentElement; box && box !== top; box = box.parentElement) {
      const s = getComputedStyle(box);
      if (s.overflowX === "visible" && s.overflowY === "visible") continue;
      const b = box.getBoundingClientRect();
      const inside = r.left >= b.left - 1 && r.top >= b.top - 1 &&
        r.right <= b.right + 1 && r.bottom <= b.bottom + 1;
      if (!inside) {
        problems.push(`${name(node)} is clipped by ${name(box)}`);
        break;
      }
    }
  }
  for (const id of ["total-line", "connection", "qr-toggle"]) {
    const node = document.getElementById(id);
    if (!node || node.hidden) continue;
    const r = node.getBoundingClientRect();
    if (r.bottom > H + 1 || r.top < 0) problems.push(`the footer's #${id} is off screen`);
  }
  if (!seen) problems.push("nothing measured");
  return problems;
}"""


async def settled(page: Page) -> None:
    """After the page's fitting, which runs at the next animation frame after a change."""
    await page.evaluate(
        "() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)))"
    )


async def assert_fits(page: Page, state: str) -> None:
    await settled(page)
    problems = await page.evaluate(FITS)
    size = page.viewport_size
    assert problems == [], f"{state} at {size}: " + "\n".join(problems[:20])


async def open_screens(browser: Browser, url: str) -> list[tuple[Page, Any]]:
    screens = []
    for width, height in SIZES:
        page, _, log = await open_page(browser, url, width=width, height=height)
        await expect(page.locator("#connection")).to_have_attribute("data-state", "connected")
        screens.append((page, log))
    return screens


async def created(presenter: Client, **definition: Any) -> str:
    ack = await presenter.call("poll:create", definition)
    assert ack["ok"], ack
    poll_id: str = ack["poll"]["id"]
    return poll_id


async def call_ok(client: Client, name: str, payload: dict[str, Any]) -> dict[str, Any]:
    ack = await client.call(name, payload)
    assert ack["ok"], (name, ack)
    return ack


# -- a. it fits ---------------------------------------------------------------------------
async def test_the_screen_fits_the_largest_content_at_both_sizes(
    server: RunningServer, browser: Browser
) -> None:
    event = await create_event(server.url, "A town hall with a rather long title for the screen")
    code = event["code"]
    screens = await open_screens(browser, f"{server.url}/screen?event={code}")
    boss = await clients.presenter(server.url, code, event["presenter_key"])
    people = [await clients.attendee(server.url, code, f"P{i}") for i in range(50)]
    try:
        for page, _ in screens:
            await expect(page.locator("#screen-idle")).to_be_visible()
            await assert_fits(page, "join screen")

        choice = await created(boss, question=QUESTION, kind="single", options=OPTIONS)
        await call_ok(boss, "poll:open", {"poll_id": choice})
        for page, _ in screens:
            await expect(page.locator("#screen-options .screen-option")).to_have_count(12)
            await expect(page.locator("#screen-options")).to_have_class(
                "screen-options two-columns"
            )
            await expect(page.locator("#hidden-note")).to_be_visible()
            await assert_fits(page, "12 long options before the results")
        acks = await asyncio.gather(
            *(p.vote(choice, chr(ord("a") + i % 12)) for i, p in enumerate(people))
        )
        assert all(a["ok"] for a in acks)
        await call_ok(boss, "poll:screen", {"poll_id": choice, "live": True})
        for page, _ in screens:
            await expect(page.locator("#total")).to_have_text("50")
            await expect(page.locator("#chart .bars.two-columns .bar")).to_have_count(12)
            await assert_fits(page, "12 long options with live results")
            await page.keyboard.press("q")
            await expect(page.locator("#screen-qr")).to_be_visible()
            await assert_fits(page, "12 long options beside the QR code")
            await page.keyboard.press("q")
            await expect(page.locator("#screen-qr")).to_be_hidden()

        rating = await created(boss, question=QUESTION, kind="rating", scale=10)
        await call_ok(boss, "poll:open", {"poll_id": rating})
        await asyncio.gather(*(p.vote(rating, 1 + i % 10) for i, p in enumerate(people)))
        await call_ok(boss, "poll:reveal", {"poll_id": rating})
        for page, _ in screens:
            await expect(page.locator("#chart .bar")).to_have_count(10)
            await expect(page.locator("#total")).to_have_text("50")
            await assert_fits(page, "a 10-point rating")

        cloud = await created(boss, question=QUESTION, kind="wordcloud", max_words=10)
        await call_ok(boss, "poll:open", {"poll_id": cloud})
        await call_ok(boss, "poll:reveal", {"poll_id": cloud})
        for i, person in enumerate(people[:5]):
            words = [f"{i}{j}{LONG_WORD}"[:40] for j in range(10)]
            assert (await person.vote(cloud, words))["ok"]
        for page, _ in screens:
            await expect(page.locator("#chart .words .word")).to_have_count(50)
            await assert_fits(page, "a word cloud of 50 long words")

        text = await created(boss, question=QUESTION, kind="open_text")
        await call_ok(boss, "poll:open", {"poll_id": text})
        await call_ok(boss, "poll:reveal", {"poll_id": text})
        answers = [
            (f"Answer {i}: " + "we would like the council to publish its plans earlier " * 6)[:280]
            for i in range(50)
        ]
        acks = await asyncio.gather(
            *(p.vote(text, a) for p, a in zip(people, answers, strict=True))
        )
        assert all(a["ok"] for a in acks)
        for page, _ in screens:
            await expect(page.locator("#total")).to_have_text("50")
            await expect(page.locator("#chart .words .word")).to_have_count(50)
            await assert_fits(page, "50 open-text answers of 280 characters")
            # What did not fit is said, not silently dropped.
            shown = await page.locator("#chart .words .word:not([hidden])").count()
            if shown < 50:
                await expect(page.locator("#chart .screen-trim-note")).to_have_text(
                    f"Top {shown} of 50 different answers"
                )
            await assert_accessible(page, "screen, 50 long open-text answers")
    finally:
        for client in (boss, *people):
            await client.disconnect()
    for _, log in screens:
        log.assert_clean()


# -- b. Reveal governs the screen ----------------------------------------------------------------
async def open_console(browser: Browser, server: RunningServer, event: dict[str, str]) -> Page:
    page, _, log = await open_page(
        browser, f"{server.url}/presenter#event={event['code']}&key={event['presenter_key']}"
    )
    page.plenary_log = log  # type: ignore[attr-defined]
    await expect(page.locator("#connection")).to_have_attribute("data-state", "connected")
    return page


async def select_poll(console: Page, poll_id: str) -> None:
    await expect(console.locator("#stage")).to_have_attribute("data-selected", poll_id)
    await expect(console.locator("#moderation-card")).to_have_attribute("data-poll", poll_id)


async def test_reveal_governs_the_screen_and_the_console_switch(
    server: RunningServer, browser: Browser
) -> None:
    event = await create_event(server.url, "Town hall")
    code = event["code"]
    console = await open_console(browser, server, event)
    screen, _, log = await open_page(browser, f"{server.url}/screen?event={code}")
    strict, _, strict_log = await open_page(browser, f"{server.url}/screen?event={code}&hide=1")
    boss = await clients.presenter(server.url, code, event["presenter_key"])
    voters = [await clients.attendee(server.url, code, f"Voter {i}") for i in range(3)]
    try:
        poll_id = await created(
            boss, question="Lunch?", kind="single", options=["Pizza", "Salad", "Soup"]
        )
        await call_ok(boss, "poll:open", {"poll_id": poll_id})
        for voter, choice in zip(voters, "aab", strict=True):
            assert (await voter.vote(poll_id, choice))["ok"]
        await expect(console.locator('#chart [data-option="a"] .count')).to_have_text("2")

        # Before the reveal: the question and the options, no results, no count.
        for page in (screen, strict):
            await expect(page.locator("#question")).to_have_text("Lunch?")
            await expect(page.locator("#screen-options .screen-option")).to_have_text(
                ["Pizza", "Salad", "Soup"]
            )
            await expect(page.locator("#hidden-note")).to_have_text("Results will be shown soon")
            await expect(page.locator("#chart")).to_be_hidden()
            await expect(page.locator("#total-line")).to_be_hidden()
            assert await page.locator("#chart .bar").count() == 0

        # The console's switch: live results on the screen (not on the &hide=1 one).
        await select_poll(console, poll_id)
        switch = console.locator("#screen-live")
        await expect(switch).not_to_be_checked()
        await switch.check()
        await expect(switch).to_be_checked()
        await expect(screen.locator('#chart [data-option="a"] .count')).to_have_text("2")
        await expect(screen.locator("#total")).to_have_text("3")
        await expect(screen.locator("#screen-options")).to_be_hidden()
        assert (await voters[2].vote(poll_id, "c"))["ok"]
        await expect(screen.locator('#chart [data-option="c"] .count')).to_have_text("1")
        await expect(strict.locator("#hidden-note")).to_be_visible()
        assert await strict.locator("#chart .bar").count() == 0

        # Off again: the results leave the screen.
        await switch.uncheck()
        await expect(screen.locator("#hidden-note")).to_be_visible()
        await expect(screen.locator("#chart .bar")).to_have_count(0)
        await expect(screen.locator("#screen-options .screen-option")).to_have_count(3)

        # The reveal shows them everywhere.
        await console.locator('[data-stage-action="reveal"]').click()
        for page in (screen, strict):
            await expect(page.locator('#chart [data-option="a"] .count')).to_have_text("2")
            await expect(page.locator('#chart [data-option="c"] .count')).to_have_text("1")
            await expect(page.locator("#total")).to_have_text("3")
            await expect(page.locator("#hidden-note")).to_be_hidden()
        await assert_accessible(console, "console with the big screen card")
    finally:
        for client in (boss, *voters):
            await client.disconnect()
    log.assert_clean()
    strict_log.assert_clean()
    console.plenary_log.assert_clean()  # type: ignore[attr-defined]


# -- c. moderation from the console ------------------------------------------------------------
async def test_a_hidden_answer_leaves_the_screen_and_approval_lets_one_in(
    server: RunningServer, browser: Browser
) -> None:
    event = await create_event(server.url, "Town hall")
    code = event["code"]
    console = await open_console(browser, server, event)
    screen, _, log = await open_page(browser, f"{server.url}/screen?event={code}")
    boss = await clients.presenter(server.url, code, event["presenter_key"])
    people = [await clients.attendee(server.url, code, f"P{i}") for i in range(3)]
    try:
        poll_id = await created(boss, question="One word?", kind="wordcloud", screen_live=True)
        await call_ok(boss, "poll:open", {"poll_id": poll_id})
        for person, words in zip(people, [["Sunny"], ["rubbish", "sunny"], ["calm"]], strict=True):
            assert (await person.vote(poll_id, words))["ok"]
        words = screen.locator("#chart .word-text")
        await expect(words).to_have_text(["Sunny", "calm", "rubbish"])

        await select_poll(console, poll_id)
        row = console.locator('#moderation-entries [data-entry="rubbish"]')
        await expect(row).to_have_attribute("data-status", "approved")
        await row.locator('[data-moderate="hide"]').click()
        await expect(row).to_have_attribute("data-status", "hidden")
        await expect(row.locator(".entry-status")).to_have_text("Hidden")
        await expect(words).to_have_text(["Sunny", "calm"])
        await expect(screen.locator("#total")).to_have_text("3")  # still counted

        # Approve before showing: the words not decided on wait on the console, off the screen.
        await console.locator("#moderation-pre").check()
        await expect(console.locator("#moderation-pre")).to_be_checked()
        pending = console.locator('#moderation-entries [data-entry="sunny"]')
        await expect(pending).to_have_attribute("data-status", "pending")
        await expect(words).to_have_count(0)
        await expect(console.locator("#moderation-summary")).to_have_text(
            "2 waiting, 1 hidden, 0 filtered"
        )
        await pending.locator('[data-moderate="approve"]').click()
        await expect(pending).to_have_attribute("data-status", "approved")
        await expect(words).to_have_text(["Sunny"])
        # Shown again: back on the screen.
        await row.locator('[data-moderate="show"]').click()
        await expect(words).to_have_text(["Sunny", "rubbish"])
        await assert_accessible(console, "console, moderating a word cloud")
        await assert_accessible(screen, "screen, a moderated word cloud")
    finally:
        for client in (boss, *people):
            await client.disconnect()
    log.assert_clean()
    console.plenary_log.assert_clean()  # type: ignore[attr-defined]
