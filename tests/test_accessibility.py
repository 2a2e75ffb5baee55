"""WCAG 2.1 AA on every page in every state the browser tests reach, in a real Chromium
against the real server: axe-core (vendored from npm, clients/web/vendor/axe.min.js)
finds no serious or critical violation; on the attendee page every control is at least
44 px square and text at 200 % needs no sideways scrolling; animations stop under
prefers-reduced-motion; a new poll is announced in a live region.

States: join (empty and with an error), waiting, each poll kind live and answered, its
results revealed, the event ended; the presenter's setup form, console, live results,
an award ballot open, in a staged reveal and revealed, and end; the big screen's join
screen, live bars, ratings, word cloud, hidden results, an award ballot's turnout, its
second place and winner, and end; the admin view's login and overview. With rooms: the
attendee's programme, a breakout, a room that closed; the presenter's rooms card, a room
being edited, a new room's key, a close to confirm, the QR code for slides; a room's big
screen with its QR code, alone and next to a poll. (The attendee's award ballot states
are checked in tests/test_browser_ballots.py.) The keyboard-only test is
tests/test_keyboard.py.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import aiohttp
import pytest
from playwright.async_api import Browser, Page, expect

from tests.support import clients
from tests.support.browser import (
    assert_accessible,
    chromium_browser,  # noqa: F401 - fixtures
    horizontal_overflow,
    open_page,
    small_touch_targets,
)
from tests.support.server import ADMIN_TOKEN, create_event, end_event, running_server

pytestmark = [
    pytest.mark.browser,
]
expect.set_options(timeout=15_000)

# Every poll kind, and how a tap answers it on the attendee page.
POLLS: list[tuple[dict[str, Any], str]] = [
    ({"question": "Favourite colour?", "kind": "single", "options": ["Red", "Green"]}, "b"),
    ({"question": "Which drinks?", "kind": "multiple", "options": ["Tea", "Coffee"]}, "a"),
    ({"question": "Rate the talk", "kind": "rating", "scale": 5}, "4"),
    ({"question": "Rate the venue", "kind": "rating", "scale": 10}, "9"),
    ({"question": "One word for today", "kind": "wordcloud"}, "bright"),
    ({"question": "Any comments?", "kind": "open_text"}, "Great talk, thanks"),
]


async def check_attendee(page: Page, state: str) -> None:
    """axe, touch targets, and 200 % text without sideways scrolling."""
    await assert_accessible(page, f"attendee, {state}")
    assert await small_touch_targets(page) == [], f"attendee, {state}: targets under 44 px"
    await page.evaluate("document.documentElement.style.fontSize = '200%'")
    try:
        assert await horizontal_overflow(page) == 0, f"attendee, {state}: 200 % text overflows"
    finally:
        await page.evaluate("document.documentElement.style.fontSize = ''")


async def answer(page: Page, kind: str, choice: str) -> None:
    area = page.locator("#answer-area")
    if kind in ("single", "rating"):
        await area.locator(f'[data-option="{choice}"]').click()
    elif kind == "multiple":
        await area.locator(f'[data-option="{choice}"] input').check()
        await page.click("#submit-answer")
    else:
        await page.fill("#text-answer", choice)
        await page.click("#submit-answer")
    await expect(page.locator("#answer-status")).to_have_attribute("data-state", "saved")


async def test_attendee_page_in_every_state(browser: Browser, tmp_path: Path) -> None:
    async with running_server(export_dir=str(tmp_path)) as server:
        event = await create_event(server.url, "Accessible event")
        code = event["code"]
        page, _, log = await open_page(
            browser,
            f"{server.url}/?event={code}",
            width=390,
            height=844,
            reduced_motion="reduce",
        )
        await expect(page.locator("#event-code")).to_have_value(code)
        await check_attendee(page, "join")

        # A refused join: the error is said (role=alert) and the form stays usable.
        await page.fill("#event-code", "ZZZZZZ")
        await page.fill("#name", "Ada")
        await page.click("#join")
        await expect(page.locator("#join-error")).to_be_visible()
        await check_attendee(page, "join error")

        await page.fill("#event-code", code)
        await page.click("#join")
        await expect(page.locator("#waiting")).to_be_visible()
        await check_attendee(page, "waiting")

        boss = await clients.presenter(server.url, code, event["presenter_key"])
        try:
            for spec, choice in POLLS:
                created = await boss.call("poll:create", spec)
                poll_id = created["poll"]["id"]
                assert (await boss.call("poll:open", {"poll_id": poll_id}))["ok"]
                await expect(page.locator("#question")).to_have_text(spec["question"])
                # The new poll was announced to screen readers.
                await expect(page.locator("#announcer")).to_have_text(
                    f"New poll: {spec['question']}"
                )
                await check_attendee(page, f"{spec['kind']} open")
                await answer(page, spec["kind"], choice)
                await check_attendee(page, f"{spec['kind']} answered")
                assert (await boss.call("poll:close", {"poll_id": poll_id}))["ok"]
                assert (await boss.call("poll:reveal", {"poll_id": poll_id}))["ok"]
                await expect(page.locator("#results-total")).to_have_text("1")
                await check_attendee(page, f"{spec['kind']} results")
        finally:
            await boss.disconnect()

        # No animation under prefers-reduced-motion (this context asks for it).
        duration = await page.evaluate(
            "getComputedStyle(document.querySelector('#results .word, #results .bar-fill, "
            "#answer-area .option, .button')).transitionDuration"
        )
        assert duration == "0s", duration

        await end_event(server.url, code)
        await expect(page.locator("#ended-view")).to_be_visible()
        await check_attendee(page, "ended")
        log.assert_clean()


async def test_presenter_screen_and_admin_in_every_state(browser: Browser, tmp_path: Path) -> None:
    async with running_server(export_dir=str(tmp_path)) as server:
        event = await create_event(server.url, "Accessible event")
        code = event["code"]

        # The presenter's setup form (no key in the link), then the console.
        presenter, _, plog = await open_page(
            browser, f"{server.url}/presenter#event={code}", reduced_motion="reduce"
        )
        await expect(presenter.locator("#setup")).to_be_visible()
        await assert_accessible(presenter, "presenter, setup")
        await presenter.fill("#setup-key", event["presenter_key"])
        await presenter.click("#setup-button")
        await expect(presenter.locator("#connection")).to_have_attribute("data-state", "connected")
        await assert_accessible(presenter, "presenter, empty console")

        screen, _, slog = await open_page(
            browser, f"{server.url}/screen?event={code}", reduced_motion="reduce"
        )
        hidden, _, hlog = await open_page(
            browser, f"{server.url}/screen?event={code}&hide=1", reduced_motion="reduce"
        )
        await expect(screen.locator("#connection")).to_have_attribute("data-state", "connected")
        await assert_accessible(screen, "screen, join screen")

        admin, _, alog = await open_page(
            browser, f"{server.url}/admin#token=wrong", reduced_motion="reduce"
        )
        await expect(admin.locator("#login")).to_be_visible()
        await assert_accessible(admin, "admin, login")

        voters = [await clients.attendee(server.url, code, f"Voter {i}") for i in range(3)]
        boss = await clients.presenter(server.url, code, event["presenter_key"])
        try:
            for spec, choice in (POLLS[0], POLLS[2], POLLS[4]):
                created = await boss.call("poll:create", spec)
                poll_id = created["poll"]["id"]
                await expect(presenter.locator(f'[data-poll-id="{poll_id}"]')).to_have_count(1)
                await assert_accessible(presenter, f"presenter, {spec['kind']} draft")
                assert (await boss.call("poll:open", {"poll_id": poll_id}))["ok"]
                for voter in voters:
                    assert (await voter.vote(poll_id, int(choice) if choice.isdigit() else choice))[
                        "ok"
                    ]
                for page in (presenter, screen):
                    await expect(page.locator("#total")).to_have_text("3")
                await expect(hidden.locator("#hidden-note")).to_be_visible()
                await assert_accessible(presenter, f"presenter, {spec['kind']} live")
                await assert_accessible(screen, f"screen, {spec['kind']} live")
                await assert_accessible(hidden, f"hidden screen, {spec['kind']} live")
                assert (await boss.call("poll:close", {"poll_id": poll_id}))["ok"]
                assert (await boss.call("poll:reveal", {"poll_id": poll_id}))["ok"]
                await expect(hidden.locator("#chart")).to_be_visible()
                await assert_accessible(presenter, f"presenter, {spec['kind']} revealed")
                await assert_accessible(hidden, f"hidden screen, {spec['kind']} revealed")

            # An award ballot: open (turnout only), a staged reveal, the winner.
            spec = {
                "title": "Cluster Manager of the Year",
                "method": "irv",
                "candidates": [{"name": "Ana"}, {"name": "Jonas"}, {"name": "Marta"}],
            }
            ballot_id = (await boss.call("ballot:create", spec))["ballot"]["id"]
            assert (await boss.call("ballot:open", {"ballot_id": ballot_id}))["ok"]
            for voter, ranking in zip(voters, (["c2"], ["c2", "c1"], ["c3"]), strict=True):
                cast = {"ballot_id": ballot_id, "vote_id": "v1", "choice": ranking}
                assert (await voter.call("ballot:cast", cast))["ok"]
            await expect(screen.locator("#screen-ballot-turnout")).to_have_text("3 ballots cast")
            await assert_accessible(presenter, "presenter, ballot open")
            await assert_accessible(screen, "screen, ballot open")
            assert (await boss.call("ballot:close", {"ballot_id": ballot_id}))["ok"]
            await boss.call("ballot:reveal", {"ballot_id": ballot_id, "places": 2})
            await expect(screen.locator("#screen-ballot-places")).to_be_visible()
            await assert_accessible(screen, "screen, ballot second place")
            await assert_accessible(presenter, "presenter, ballot staged reveal")
            await boss.call("ballot:reveal", {"ballot_id": ballot_id})
            await expect(screen.locator(".screen-ballot-winner-name")).to_have_text("Jonas")
            await assert_accessible(screen, "screen, ballot winner")
            await assert_accessible(presenter, "presenter, ballot revealed")

            await admin.fill("#token-input", ADMIN_TOKEN)
            await admin.click("#login-button")
            await expect(admin.locator(f'tr[data-event="{code}"]')).to_be_visible()
            await assert_accessible(admin, "admin, overview")
            # The store's health is said in words, not only by a colour.
            await expect(admin.locator("#store-ok")).to_have_text("healthy")
        finally:
            for client in (boss, *voters):
                await client.disconnect()

        await end_event(server.url, code)
        await expect(presenter.locator("#ended-banner")).to_be_visible()
        await expect(screen.locator("#screen-ended")).to_be_visible()
        await expect(admin.locator(f'tr[data-event="{code}"] [data-field="state"]')).to_have_text(
            "ended"
        )
        await assert_accessible(presenter, "presenter, ended")
        await assert_accessible(screen, "screen, ended")
        await assert_accessible(admin, "admin, ended event")
        for log in (plog, slog, hlog, alog):
            log.assert_clean()


async def add_room(url: str, code: str, key: str, **fields: Any) -> dict[str, Any]:
    """POST /api/events/{code}/rooms with the event-wide presenter key."""
    async with (
        aiohttp.ClientSession() as http,
        http.post(
            f"{url}/api/events/{code}/rooms",
            json=fields,
            headers={"Authorization": f"Bearer {key}"},
        ) as response,
    ):
        assert response.status == 201, await response.text()
        return await response.json()  # type: ignore[no-any-return]


async def test_room_pages_in_every_state(browser: Browser) -> None:
    async with running_server(public_url="https://vote.example.org") as server:
        event = await create_event(server.url, "Accessible conference")
        code, key = event["code"], event["presenter_key"]
        added = await add_room(
            server.url,
            code,
            key,
            title="Breakout 1: Green transition",
            description="Room A, ground floor",
            starts_at=1_999_990_000_000,
            ends_at=1_999_995_400_000,
        )
        room = added["room"]["id"]

        page, _, log = await open_page(
            browser, f"{server.url}/?event={code}", width=390, height=844, reduced_motion="reduce"
        )
        await page.fill("#name", "Ada")
        await page.click("#join")
        await expect(page.locator("#programme")).to_be_visible()
        await check_attendee(page, "programme")
        await page.locator(f'#rooms-list button[data-room="{room}"]').click()
        await expect(page.locator("#room-name")).to_have_text("Breakout 1: Green transition")
        await check_attendee(page, "in a breakout")

        presenter, _, plog = await open_page(
            browser, f"{server.url}/presenter#event={code}&key={key}", reduced_motion="reduce"
        )
        await expect(presenter.locator("#rooms-card")).to_be_visible()
        await assert_accessible(presenter, "presenter, rooms")
        row = presenter.locator(f'#rooms-admin [data-room-id="{room}"]')
        await row.locator('[data-room-action="edit"]').click()
        await expect(presenter.locator("#edit-title")).to_be_visible()
        await assert_accessible(presenter, "presenter, editing a room")
        await row.locator('[data-room-action="cancel"]').click()
        await presenter.fill("#room-title-input", "Breakout 2")
        await presenter.click("#room-create-button")
        await expect(presenter.locator("#new-room-info")).to_be_visible()
        await assert_accessible(presenter, "presenter, a new room's key")
        await presenter.click("#new-room-done")
        await presenter.click("#qr-button")
        await expect(presenter.locator("#qr-link")).to_have_text(
            f"https://vote.example.org/?event={code}"
        )
        await assert_accessible(presenter, "presenter, QR code for slides")

        screen, _, slog = await open_page(
            browser, f"{server.url}/screen?event={code}&room={room}", reduced_motion="reduce"
        )
        await expect(screen.locator("#screen-qr")).to_be_visible()
        await expect(screen.locator("#qr-image")).to_have_attribute(
            "alt", f"QR code of https://vote.example.org/?event={code}&room={room}"
        )
        await assert_accessible(screen, "screen, a room with its QR code")
        boss = await clients.presenter(server.url, code, added["presenter_key"])
        try:
            created = await boss.call("poll:create", POLLS[0][0])
            assert (await boss.call("poll:open", {"poll_id": created["poll"]["id"]}))["ok"]
            await expect(screen.locator("#question")).to_have_text(POLLS[0][0]["question"])
            await screen.click("#qr-toggle")
            await expect(screen.locator("#screen-qr")).to_be_visible()
            await assert_accessible(screen, "screen, a poll next to the QR code")
        finally:
            await boss.disconnect()

        await row.locator('[data-room-action="close"]').click()
        await expect(row.locator('[data-room-action="confirm-close"]')).to_be_focused()
        await assert_accessible(presenter, "presenter, closing a room")
        await row.locator('[data-room-action="confirm-close"]').click()
        await expect(page.locator("#room-notice")).to_be_visible()
        # Said to screen readers too: it happened by itself.
        await expect(page.locator("#announcer")).to_have_text(
            "Breakout 1: Green transition has closed: you are back in Main room."
        )
        await check_attendee(page, "back from a closed room")
        for each in (log, plog, slog):
            each.assert_clean()
