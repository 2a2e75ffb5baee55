"""The browser pages in a real Chromium against the real server (no mocks).

Each test starts the server in its own event loop (``running_server``), opens pages with
Playwright's async API on Debian's /usr/bin/chromium and checks what a person would see,
plus the server's own state where that is the outcome that matters.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from playwright.async_api import Browser, Page, Route, WebSocketRoute, expect

from tests.support import clients
from tests.support.browser import (  # noqa: F401 - fixtures
    chromium_browser,
    embedded_server,
    open_page,
)
from tests.support.server import ADMIN_TOKEN, RunningServer, create_event, running_server

pytestmark = [
    pytest.mark.browser,
]

WAIT_MS = 15_000  # generous: CI machines are small
expect.set_options(timeout=WAIT_MS)

XSS_NAME = '<img src=x onerror="window.__xss=1">'
XSS_WORD = "<script>window.__xss=2</script>"
XSS_TITLE = '<img src=y onerror="window.__xss=3">'


async def open_presenter(browser: Browser, server: RunningServer, event: dict[str, str]) -> Page:
    page, _, log = await open_page(
        browser, f"{server.url}/presenter#event={event['code']}&key={event['presenter_key']}"
    )
    page.plenary_log = log  # type: ignore[attr-defined]
    await expect(page.locator("#connection")).to_have_attribute("data-state", "connected")
    await expect(page.locator("#join-code")).to_have_text(event["code"])
    return page


async def open_attendee(browser: Browser, server: RunningServer, code: str, name: str) -> Page:
    page, _, log = await open_page(browser, f"{server.url}/?event={code}", width=390, height=844)
    page.plenary_log = log  # type: ignore[attr-defined]
    await expect(page.locator("#event-code")).to_have_value(code)
    await page.fill("#name", name)
    await page.click("#join")
    await expect(page.locator("#attendee-name")).to_have_text(name)
    await expect(page.locator("#connection")).to_have_attribute("data-state", "connected")
    return page


async def create_poll(
    page: Page, question: str, kind: str, options: list[str] | None = None
) -> str:
    """Create a poll with the presenter page's form; returns its id."""
    await page.fill("#question-input", question)
    await page.select_option("#kind-select", kind)
    if options is not None:
        await page.fill("#options-input", "\n".join(options))
    await page.click("#create-button")
    row = page.locator("#polls [data-poll-id]").filter(has_text=question)
    await expect(row).to_have_count(1)
    await expect(row).to_have_attribute("data-status", "draft")
    poll_id = await row.get_attribute("data-poll-id")
    assert poll_id and poll_id.startswith("p_")
    return poll_id


async def open_poll(page: Page, poll_id: str) -> None:
    row = page.locator(f'#polls [data-poll-id="{poll_id}"]')
    await row.locator('[data-action="open"]').click()
    await expect(row).to_have_attribute("data-status", "open")


async def server_results(server: RunningServer, code: str, poll_id: str) -> dict[str, Any]:
    polls = await server.services.kinds["poll"].service.list_polls(code)  # type: ignore[attr-defined]
    return next(p["results"] for p in polls if p["id"] == poll_id)


async def eventually(predicate: Callable[[], bool], timeout: float = WAIT_MS / 1000) -> None:
    """Wait until ``predicate()`` holds (for conditions outside the page's DOM)."""
    deadline = asyncio.get_running_loop().time() + timeout
    while not predicate():
        assert asyncio.get_running_loop().time() < deadline, "condition not met in time"
        await asyncio.sleep(0.05)


async def resume_token(page: Page, code: str) -> str:
    """The attendee's resume token on this device: the same token, the same attendee
    (the page never shows an attendee's internal id)."""
    token = await page.evaluate(f"JSON.parse(localStorage.getItem('plenary.token.{code}'))")
    assert isinstance(token, str) and token, token
    return token


async def shows_no_internal_id(page: Page) -> bool:
    """No attendee id (``a_`` and ten hex digits) anywhere in the page's text."""
    text = await page.locator("body").inner_text()
    return re.search(r"\ba_[0-9a-f]{10}\b", text) is None


def assert_clean(*pages: Page) -> None:
    for page in pages:
        page.plenary_log.assert_clean()  # type: ignore[attr-defined]


# -- a. a vote reaches the presenter's chart --------------------------------------------------
async def test_attendee_vote_shows_on_presenter_chart(
    server: RunningServer, browser: Browser
) -> None:
    event = await create_event(server.url, "Browser test")
    code = event["code"]
    presenter = await open_presenter(browser, server, event)
    await expect(presenter.locator("#event-title")).to_have_text("Browser test")
    attendee = await open_attendee(browser, server, code, "Ada")
    await expect(attendee.locator("#event-title")).to_have_text("Browser test")
    await expect(attendee.locator("#waiting")).to_be_visible()
    await expect(presenter.locator("#joined")).to_have_text("1")
    await expect(presenter.locator("#online")).to_have_text("1")

    poll_id = await create_poll(presenter, "Favourite colour?", "single", ["Red", "Green", "Blue"])
    await open_poll(presenter, poll_id)

    await expect(attendee.locator("#question")).to_have_text("Favourite colour?")
    option = attendee.locator('#answer-area [data-option="b"]')
    await expect(option).to_have_text("Green")
    await option.click()
    await expect(attendee.locator("#answer-status")).to_have_text("Your answer: Green")
    await expect(option).to_have_attribute("aria-pressed", "true")

    chart = presenter.locator("#chart")
    await expect(chart.locator('[data-option="b"] .count')).to_have_text("1")
    await expect(chart.locator('[data-option="a"] .count')).to_have_text("0")
    await expect(chart.locator('[data-option="c"] .count')).to_have_text("0")
    await expect(chart.locator('[data-option="b"] .pct')).to_have_text("100%")
    await expect(presenter.locator("#total")).to_have_text("1")
    await expect(presenter.locator(f'#polls [data-poll-id="{poll_id}"] .answers')).to_have_text("1")

    results = await server_results(server, code, poll_id)
    assert results["counts"] == {"a": 0, "b": 1, "c": 0}
    assert results["total"] == 1

    # Close and reveal: the attendee sees "Voting closed" and the results.
    row = presenter.locator(f'#polls [data-poll-id="{poll_id}"]')
    await row.locator('[data-action="close"]').click()
    await expect(row).to_have_attribute("data-status", "closed")
    await expect(attendee.locator("#poll-closed")).to_be_visible()
    await expect(attendee.locator("#poll-closed")).to_have_text("Voting closed")
    await expect(attendee.locator("#results-section")).to_be_hidden()
    await row.locator('[data-action="reveal"]').click()
    await expect(row).to_have_attribute("data-revealed", "true")
    await expect(attendee.locator('#results [data-option="b"] .count')).to_have_text("1")
    await expect(attendee.locator("#results-total")).to_have_text("1")
    assert_clean(presenter, attendee)


# -- b. a reload resumes the same attendee ------------------------------------------------------
async def test_reload_resumes_same_attendee(server: RunningServer, browser: Browser) -> None:
    event = await create_event(server.url)
    code = event["code"]
    presenter = await open_presenter(browser, server, event)
    attendee = await open_attendee(browser, server, code, "Grace")
    token = await resume_token(attendee, code)
    assert await shows_no_internal_id(attendee)

    poll_id = await create_poll(presenter, "Rate the talk", "rating")
    await open_poll(presenter, poll_id)
    await attendee.locator('#answer-area [data-option="4"]').click()
    await expect(attendee.locator("#answer-status")).to_have_text("Your answer: 4 / 5")
    await expect(presenter.locator("#total")).to_have_text("1")

    await attendee.reload()
    # No join form: the stored token resumes the same attendee with its answer.
    await expect(attendee.locator("#attendee-name")).to_have_text("Grace")
    assert await resume_token(attendee, code) == token
    await expect(attendee.locator("#join-view")).to_be_hidden()
    await expect(attendee.locator("#question")).to_have_text("Rate the talk")
    await expect(attendee.locator("#answer-status")).to_have_text("Your answer: 4 / 5")
    await expect(attendee.locator('#answer-area [data-option="4"]')).to_have_attribute(
        "aria-pressed", "true"
    )

    # Still one attendee and one answer on the server.
    assert await server.services.store.count_attendees(code) == 1
    await expect(presenter.locator("#joined")).to_have_text("1")
    results = await server_results(server, code, poll_id)
    assert results["total"] == 1 and results["counts"]["4"] == 1

    # Changing the answer after the reload replaces it (same attendee).
    await attendee.locator('#answer-area [data-option="2"]').click()
    await expect(attendee.locator("#answer-status")).to_have_text("Your answer: 2 / 5")
    await expect(presenter.locator('#chart [data-option="2"] .count')).to_have_text("1")
    await expect(presenter.locator('#chart [data-option="4"] .count')).to_have_text("0")
    await expect(presenter.locator("#total")).to_have_text("1")
    assert_clean(presenter, attendee)


# -- c. people's text is shown as text -------------------------------------------------------------
async def test_user_text_is_never_html(server: RunningServer, browser: Browser) -> None:
    event = await create_event(server.url, XSS_TITLE)
    code = event["code"]
    presenter = await open_presenter(browser, server, event)
    screen, _, screen_log = await open_page(browser, f"{server.url}/screen?event={code}")
    screen.plenary_log = screen_log  # type: ignore[attr-defined]
    attendee = await open_attendee(browser, server, code, XSS_NAME)

    # The name (shown to its attendee: presenters and screens never get names).
    await expect(attendee.locator("#attendee-name")).to_have_text(XSS_NAME)
    assert await attendee.locator("#attendee-name img").count() == 0
    for page in (presenter, attendee):
        await expect(page.locator("#event-title")).to_have_text(XSS_TITLE)
    await expect(screen.locator("#event-title")).to_have_text(XSS_TITLE)

    question = "Say <b>one</b> word"
    poll_id = await create_poll(presenter, question, "wordcloud")
    await open_poll(presenter, poll_id)
    # Live results on the big screen before the reveal: the console's screen switch.
    await presenter.locator("#screen-live").check()
    await expect(presenter.locator("#screen-live")).to_be_checked()
    await expect(attendee.locator("#question")).to_have_text(question)
    await expect(screen.locator("#question")).to_have_text(question)
    await attendee.fill("#text-answer", XSS_WORD)
    await attendee.click("#submit-answer")
    await expect(attendee.locator("#answer-status")).to_have_text(f"Your answer: {XSS_WORD}")

    # Counted under its normalised form, shown as typed (the results' labels): as text.
    shown = XSS_WORD
    for page in (presenter, screen):
        word = page.locator("#chart .word-text")
        await expect(word).to_have_text(shown)
        await expect(page.locator("#total")).to_have_text("1")
        assert (
            await page.locator("#chart script, #chart img, #question b, #stage-question b").count()
            == 0
        )

    for page in (presenter, screen, attendee):
        assert await page.evaluate("window.__xss") is None

    # The presenter's export (fetched with the key, saved as a file) has the text as is.
    async with presenter.expect_download() as download_info:
        await presenter.click("#export-json")
    download = await download_info.value
    assert download.suggested_filename == f"plenary-{code}.json"
    exported = json.loads(await asyncio.to_thread(Path(await download.path()).read_text))
    assert [a["name"] for a in exported["attendees"]] == [XSS_NAME]
    # A word cloud's answer is the list of the attendee's words (one here).
    assert [a["value"] for a in exported["polls"][0]["answers"]] == [[XSS_WORD]]
    async with presenter.expect_download() as download_info:
        await presenter.click("#export-csv")
    download = await download_info.value
    assert download.suggested_filename == f"plenary-{code}.csv"
    csv_text = await asyncio.to_thread(Path(await download.path()).read_text)
    assert "window.__xss=2" in csv_text
    assert_clean(presenter, screen, attendee)


# -- d. the big screen ---------------------------------------------------------------------
async def test_screen_shows_join_code_and_live_bars(
    server: RunningServer, browser: Browser
) -> None:
    event = await create_event(server.url, "Town hall")
    code = event["code"]
    screen, _, log = await open_page(browser, f"{server.url}/screen?event={code}")
    await expect(screen.locator("#connection")).to_have_attribute("data-state", "connected")
    await expect(screen.locator("#join-code")).to_have_text(code)
    await expect(screen.locator("#join-url")).to_have_text(
        f"{server.url.split('://')[1]}/?event={code}"
    )
    await expect(screen.locator("#event-title")).to_have_text("Town hall")
    await expect(screen.locator("#screen-idle")).to_be_visible()

    boss = await clients.presenter(server.url, code, event["presenter_key"])
    voters = [await clients.attendee(server.url, code, f"Voter {i}") for i in range(3)]
    try:
        await expect(screen.locator("#online")).to_have_text("3")
        created = await boss.call(
            "poll:create",
            # The screen switch on: live results on the big screen before the reveal.
            {
                "question": "Lunch?",
                "kind": "single",
                "options": ["Pizza", "Salad"],
                "screen_live": True,
            },
        )
        assert created["ok"], created
        poll_id = created["poll"]["id"]
        opened = await boss.call("poll:open", {"poll_id": poll_id})
        assert opened["ok"], opened

        await expect(screen.locator("#question")).to_have_text("Lunch?")
        await expect(screen.locator('#chart [data-option="a"] .bar-label')).to_have_text("Pizza")
        await expect(screen.locator('#chart [data-option="a"] .count')).to_have_text("0")
        await expect(screen.locator("#total")).to_have_text("0")

        ack = await voters[0].vote(poll_id, "a")
        assert ack["ok"], ack
        await expect(screen.locator('#chart [data-option="a"] .count')).to_have_text("1")
        await expect(screen.locator("#total")).to_have_text("1")

        for voter, choice in ((voters[1], "a"), (voters[2], "b")):
            ack = await voter.vote(poll_id, choice)
            assert ack["ok"], ack
        await expect(screen.locator('#chart [data-option="a"] .count')).to_have_text("2")
        await expect(screen.locator('#chart [data-option="b"] .count')).to_have_text("1")
        await expect(screen.locator("#total")).to_have_text("3")
        await expect(screen.locator('#chart [data-option="a"] .pct')).to_have_text("67%")
        fill = await screen.locator('#chart [data-option="a"] .bar-fill').get_attribute("style")
        assert fill is not None and "width:66.67%" in fill.replace(" ", "")

        closed = await boss.call("poll:close", {"poll_id": poll_id})
        assert closed["ok"], closed
        await expect(screen.locator("#screen-status")).to_contain_text("Voting closed")
    finally:
        for client in (boss, *voters):
            await client.disconnect()
    log.assert_clean()


# -- e. a dropped connection: reconnect as the same attendee, re-render, send what waited ----
class Network:
    """Cuts and restores one page's Socket.IO traffic (websocket and polling), like a
    flaky phone connection: the page sees its connection drop; the server sees it go.
    While cut, new websockets are held unanswered; restoring connects them through."""

    def __init__(self) -> None:
        self.blocked = False
        self.held: list[WebSocketRoute] = []
        self.sockets: list[tuple[WebSocketRoute, WebSocketRoute]] = []

    async def install(self, page: Page) -> None:
        def on_websocket(ws: WebSocketRoute) -> None:
            if self.blocked:
                self.held.append(ws)
            else:
                self.sockets.append((ws, ws.connect_to_server()))

        async def on_polling(route: Route) -> None:
            if self.blocked:
                await route.abort()
            else:
                await route.continue_()

        await page.route_web_socket(re.compile(r".*/socket\.io/.*"), on_websocket)
        await page.route(re.compile(r".*/socket\.io/.*transport=polling.*"), on_polling)

    async def cut(self) -> None:
        self.blocked = True
        sockets, self.sockets = self.sockets, []
        for page_side, server_side in sockets:
            await server_side.close()
            await page_side.close()

    def restore(self) -> None:
        self.blocked = False
        held, self.held = self.held, []
        for ws in held:
            self.sockets.append((ws, ws.connect_to_server()))


async def test_dropped_connection_resumes_rerenders_and_resends(
    server: RunningServer, browser: Browser
) -> None:
    event = await create_event(server.url)
    code = event["code"]
    presenter = await open_presenter(browser, server, event)
    network = Network()
    attendee, _, log = await open_page(
        browser, f"{server.url}/?event={code}", width=390, height=844, before_goto=network.install
    )
    await attendee.fill("#name", "Linus")
    await attendee.click("#join")
    await expect(attendee.locator("#attendee-name")).to_have_text("Linus")
    token = await resume_token(attendee, code)
    connection = attendee.locator("#connection")
    await expect(connection).to_have_attribute("data-connects", "1")

    first = await create_poll(presenter, "First?", "single", ["Yes", "No"])
    await open_poll(presenter, first)
    await attendee.locator('#answer-area [data-option="a"]').click()
    await expect(attendee.locator("#answer-status")).to_have_text("Your answer: Yes")

    # Offline: a new answer waits, then goes out (once) after socket.io reconnects by itself.
    await network.cut()
    await expect(connection).to_have_attribute("data-state", "reconnecting")
    await expect(presenter.locator("#online")).to_have_text("0")
    await attendee.locator('#answer-area [data-option="b"]').click()
    await expect(attendee.locator("#answer-status")).to_contain_text(
        "will be sent when the connection is back"
    )
    network.restore()
    await expect(connection).to_have_attribute("data-connects", "2")
    await expect(connection).to_have_attribute("data-state", "connected")
    assert await resume_token(attendee, code) == token
    await expect(attendee.locator("#answer-status")).to_have_text("Your answer: No")
    await expect(presenter.locator('#chart [data-option="b"] .count')).to_have_text("1")
    await expect(presenter.locator('#chart [data-option="a"] .count')).to_have_text("0")
    await expect(presenter.locator("#total")).to_have_text("1")
    await expect(presenter.locator("#online")).to_have_text("1")

    # A poll opened while the attendee was away arrives with the fresh welcome.
    await network.cut()
    await expect(connection).to_have_attribute("data-state", "reconnecting")
    second = await create_poll(presenter, "Second?", "multiple", ["Tea", "Coffee", "Water"])
    await open_poll(presenter, second)
    await expect(attendee.locator("#question")).to_have_text("First?")
    network.restore()
    await expect(connection).to_have_attribute("data-connects", "3")
    await expect(attendee.locator("#question")).to_have_text("Second?")
    await attendee.locator('#answer-area [data-option="a"] input').check()
    await attendee.locator('#answer-area [data-option="c"] input').check()
    await attendee.click("#submit-answer")
    await expect(attendee.locator("#answer-status")).to_have_text("Your answer: Tea, Water")
    await expect(presenter.locator('#chart [data-option="c"] .count')).to_have_text("1")
    await expect(presenter.locator("#total")).to_have_text("1")
    # Opening the second poll closed the first; still one attendee.
    await expect(presenter.locator(f'#polls [data-poll-id="{first}"]')).to_have_attribute(
        "data-status", "closed"
    )
    assert await server.services.store.count_attendees(code) == 1
    results = await server_results(server, code, first)
    assert results["counts"] == {"a": 0, "b": 1} and results["total"] == 1
    log.assert_clean()
    assert_clean(presenter)


# -- f. a lost vote is re-sent with the same vote_id and counted once -------------------------
async def test_lost_vote_is_retried_with_same_vote_id(
    server: RunningServer, browser: Browser
) -> None:
    event = await create_event(server.url)
    code = event["code"]
    presenter = await open_presenter(browser, server, event)
    votes_sent: list[dict[str, Any]] = []

    async def drop_first_vote(page: Page) -> None:
        def route(ws: WebSocketRoute) -> None:
            upstream = ws.connect_to_server()

            def from_page(message: str | bytes) -> None:
                if isinstance(message, str) and '"poll:vote"' in message:
                    payload = json.loads(message[message.index("[") :])[1]
                    votes_sent.append(payload)
                    if len(votes_sent) == 1:
                        return  # lost on the way: the page times out and retries
                upstream.send(message)

            ws.on_message(from_page)

        await page.route_web_socket(re.compile(r".*/socket\.io/.*"), route)

    attendee, _, log = await open_page(
        browser, f"{server.url}/?event={code}", width=390, height=844, before_goto=drop_first_vote
    )
    await attendee.fill("#name", "Barbara")
    await attendee.click("#join")
    await expect(attendee.locator("#attendee-name")).to_have_text("Barbara")

    poll_id = await create_poll(presenter, "Ship it?", "single", ["Yes", "No"])
    await open_poll(presenter, poll_id)
    await attendee.locator('#answer-area [data-option="a"]').click()
    await expect(attendee.locator("#answer-status")).to_contain_text("Sending your answer")
    # The ack times out after 8 s, then the same vote goes out again.
    await expect(attendee.locator("#answer-status")).to_have_text(
        "Your answer: Yes", timeout=30_000
    )
    assert len(votes_sent) >= 2
    assert {v["vote_id"] for v in votes_sent} == {votes_sent[0]["vote_id"]}
    await expect(presenter.locator("#total")).to_have_text("1")
    results = await server_results(server, code, poll_id)
    assert results == {**results, "total": 1, "counts": {"a": 1, "b": 0}}
    log.assert_clean()
    assert_clean(presenter)


# -- g. missed broadcasts are noticed (state_seq, unknown live poll) and repaired ------------
async def test_missed_broadcasts_are_repaired_with_state_get(
    server: RunningServer, browser: Browser
) -> None:
    event = await create_event(server.url)
    code = event["code"]
    dropped: list[str] = []
    state_gets: list[str] = []

    def lost(message: str) -> bool:
        """Every poll:closed, and the second poll:opened."""
        if '"poll:closed"' in message:
            return True
        if '"poll:opened"' in message:
            opened = sum('"poll:opened"' in m for m in dropped) + 1
            return opened == 1 and "Second?" in message
        return False

    async def lossy(page: Page) -> None:
        def route(ws: WebSocketRoute) -> None:
            upstream = ws.connect_to_server()

            def from_server(message: str | bytes) -> None:
                if isinstance(message, str) and lost(message):
                    dropped.append(message)
                    return
                ws.send(message)

            def from_page(message: str | bytes) -> None:
                if isinstance(message, str) and '"state:get"' in message:
                    state_gets.append(message)
                upstream.send(message)

            upstream.on_message(from_server)
            ws.on_message(from_page)

        await page.route_web_socket(re.compile(r".*/socket\.io/.*"), route)

    screen, _, log = await open_page(
        browser, f"{server.url}/screen?event={code}", before_goto=lossy
    )
    await expect(screen.locator("#connection")).to_have_attribute("data-state", "connected")
    boss = await clients.presenter(server.url, code, event["presenter_key"])
    voter = await clients.attendee(server.url, code, "Voter")
    try:
        first = await boss.call(
            "poll:create", {"question": "First?", "kind": "single", "options": ["Y", "N"]}
        )
        first_id = first["poll"]["id"]
        assert (await boss.call("poll:open", {"poll_id": first_id}))["ok"]
        await expect(screen.locator("#screen-status")).to_contain_text("Voting open")

        # poll:closed is lost; poll:revealed then shows a state_seq two ahead.
        assert (await boss.call("poll:close", {"poll_id": first_id}))["ok"]
        assert (await boss.call("poll:reveal", {"poll_id": first_id}))["ok"]
        await expect(screen.locator("#screen-status")).to_contain_text("Voting closed")
        await eventually(lambda: len(state_gets) > 0)

        # The second poll's poll:opened is lost; its live results give it away.
        second = await boss.call(
            "poll:create",
            {"question": "Second?", "kind": "single", "options": ["A", "B"], "screen_live": True},
        )
        second_id = second["poll"]["id"]
        assert (await boss.call("poll:open", {"poll_id": second_id}))["ok"]
        assert (await voter.vote(second_id, "b"))["ok"]
        await expect(screen.locator("#question")).to_have_text("Second?")
        await expect(screen.locator('#chart [data-option="b"] .count')).to_have_text("1")
        await expect(screen.locator("#total")).to_have_text("1")
        assert sum('"poll:opened"' in m for m in dropped) == 1
        assert sum('"poll:closed"' in m for m in dropped) >= 1
    finally:
        await voter.disconnect()
        await boss.disconnect()
    log.assert_clean()


# -- h. the shared module's rules, in the browser ---------------------------------------------
async def test_common_module_rules(server: RunningServer, browser: Browser) -> None:
    page, _, log = await open_page(browser, f"{server.url}/screen?event=NOPE1#key=K%26Y&x=1")
    verdict = await page.evaluate(
        """async () => {
        const c = await import('/static/js/common.js');
        const out = {};
        out.params = c.readParams();
        out.code = c.normaliseCode('  k7q2mx ');
        const saved = crypto.randomUUID;
        Object.defineProperty(crypto, 'randomUUID', {value: undefined, configurable: true});
        out.fallbackId = c.newVoteId();
        Object.defineProperty(crypto, 'randomUUID', {value: saved, configurable: true});
        out.uuid = c.newVoteId();
        const poll = {id: 'p', state_seq: 2, status: 'closed', revealed: false};
        out.olderIgnored = c.mergePoll(poll, {id: 'p', state_seq: 1, status: 'open'}).status;
        out.newerTaken = c.mergePoll(poll, {id: 'p', state_seq: 3, status: 'closed',
                                           revealed: true}).revealed;
        out.gap = c.missedChange(poll, {id: 'p', state_seq: 4});
        out.noGap = c.missedChange(poll, {id: 'p', state_seq: 3});
        const a = {seq: 5, final: false}, b = {seq: 5, final: true}, old = {seq: 4, final: true};
        out.finalWins = c.newerResults(a, b) === b;
        out.higherSeqWins = c.newerResults(a, old) === a;
        const box = document.createElement('div');
        const view = new c.ResultsView(box);
        view.setPoll({id: 'p', kind: 'single', options: [{id: 'a', label: '<b>x</b>'},
                                                        {id: 'b', label: 'y'}]});
        out.first = view.update({poll_id: 'p', counts: {a: 2, b: 1}, total: 3, seq: 7});
        out.stale = view.update({poll_id: 'p', counts: {a: 0, b: 0}, total: 0, seq: 6});
        out.other = view.update({poll_id: 'q', counts: {a: 9}, total: 9, seq: 99});
        out.label = box.querySelector('[data-option="a"] .bar-label').textContent;
        out.bold = box.querySelectorAll('b').length;
        out.count = box.querySelector('[data-option="a"] .count').textContent;
        out.pct = box.querySelector('[data-option="b"] .pct').textContent;
        return out;
    }"""
    )
    assert verdict["params"] == {"event": "NOPE1", "key": "K&Y", "x": "1"}
    assert verdict["code"] == "K7Q2MX"
    uuid_re = r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}"
    assert re.fullmatch(uuid_re, verdict["fallbackId"]), verdict["fallbackId"]
    assert re.fullmatch(uuid_re, verdict["uuid"])
    assert verdict["olderIgnored"] == "closed"
    assert verdict["newerTaken"] is True
    assert verdict["gap"] is True and verdict["noGap"] is False
    assert verdict["finalWins"] and verdict["higherSeqWins"]
    assert (verdict["first"], verdict["stale"], verdict["other"]) == (True, False, False)
    assert verdict["label"] == "<b>x</b>" and verdict["bold"] == 0
    assert verdict["count"] == "2" and verdict["pct"] == "33%"
    log.assert_clean()


# -- i. refused connections are explained ------------------------------------------------------
async def test_refused_connections_are_explained(server: RunningServer, browser: Browser) -> None:
    event = await create_event(server.url)
    attendee, _, log = await open_page(
        browser, f"{server.url}/?event=ZZZZZZ", width=360, height=740
    )
    await attendee.fill("#name", "Nobody")
    await attendee.click("#join")
    await expect(attendee.locator("#join-error")).to_contain_text("No event has this join code")
    await expect(attendee.locator("#connection")).to_have_attribute("data-state", "refused")
    await expect(attendee.locator("#join")).to_be_enabled()

    # Without a name the form says so before connecting.
    await attendee.fill("#event-code", event["code"].lower())
    await attendee.fill("#name", "  ")
    await attendee.click("#join")
    await expect(attendee.locator("#join-error")).to_have_text("Enter your name to join.")
    # The code is case-insensitive.
    await attendee.fill("#name", "Somebody")
    await attendee.click("#join")
    await expect(attendee.locator("#attendee-name")).to_have_text("Somebody")

    presenter, _, plog = await open_page(
        browser, f"{server.url}/presenter#event={event['code']}&key=wrong-key"
    )
    await expect(presenter.locator("#setup-error")).to_contain_text("presenter key is wrong")
    await expect(presenter.locator("#console")).to_be_hidden()
    # Entering the right key in the form opens the console.
    await presenter.fill("#setup-key", event["presenter_key"])
    await presenter.click("#setup-button")
    await expect(presenter.locator("#console")).to_be_visible()
    await expect(presenter.locator("#join-code")).to_have_text(event["code"])
    log.assert_clean()
    plog.assert_clean()


# -- j. the organiser ends the event ---------------------------------------------------------
async def test_event_end_shows_thank_you(browser: Browser, tmp_path: Path) -> None:
    async with running_server(export_dir=str(tmp_path)) as server:
        event = await create_event(server.url)
        code = event["code"]
        presenter = await open_presenter(browser, server, event)
        attendee = await open_attendee(browser, server, code, "Katherine")
        screen, _, screen_log = await open_page(browser, f"{server.url}/screen?event={code}")
        await expect(screen.locator("#connection")).to_have_attribute("data-state", "connected")
        poll_id = await create_poll(presenter, "Last one?", "single", ["Yes", "No"])
        await open_poll(presenter, poll_id)
        await attendee.locator('#answer-area [data-option="a"]').click()
        await expect(attendee.locator("#answer-status")).to_have_text("Your answer: Yes")

        async with (
            aiohttp.ClientSession() as http,
            http.post(
                f"{server.url}/api/events/{code}/end",
                headers={"Authorization": f"Bearer {ADMIN_TOKEN}"},
            ) as response,
        ):
            assert response.status == 200, await response.text()

        await expect(attendee.locator("#ended-view")).to_be_visible()
        await expect(attendee.locator("#event-view")).to_be_hidden()
        await expect(screen.locator("#screen-ended")).to_be_visible()
        await expect(presenter.locator("#ended-banner")).to_be_visible()
        await expect(presenter.locator("#create-button")).to_be_disabled()
        row = presenter.locator(f'#polls [data-poll-id="{poll_id}"]')
        await expect(row).to_have_attribute("data-status", "closed")
        await expect(row.locator('[data-action="open"]')).to_be_disabled()

        # A reload is refused with event_ended: the thank-you stays.
        await attendee.reload()
        await expect(attendee.locator("#ended-view")).to_be_visible()
        await expect(attendee.locator("#join-view")).to_be_hidden()
        assert_clean(presenter, attendee)
        screen_log.assert_clean()
