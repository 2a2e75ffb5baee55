"""WCAG 2.1 AA on every page in every state the browser tests reach, in a real Chromium
against the real server: axe-core (vendored from npm, clients/web/vendor/axe.min.js)
finds no serious or critical violation; on the attendee page every control is at least
44 px square and text at 200 % needs no sideways scrolling; animations stop under
prefers-reduced-motion; a new poll is announced in a live region.

States: join (empty and with an error), waiting, each poll kind live and answered, its
results revealed, the event ended; the presenter's setup form, console, live results, an
award ballot open, in a staged reveal and revealed, and end, its "Big screen and
moderation" card; the big screen's join screen, a poll before its results, live bars,
ratings, word cloud, hidden results, an award ballot's turnout, its second place and
winner, and end; the admin view's login and overview. With rooms: the attendee's
programme, a breakout, a room that closed; the presenter's rooms card, a room being
edited, a new room's key, a close to confirm, the QR code for slides; a room's big screen
with its QR code, alone and next to a poll. Q&A and reactions: the attendee's Q&A card
and reaction bar (no question, its own question waiting, the public list, an upvote
pressed, an answered question with a reply), the presenter's moderation queue, list with
a highlight and reply form, the big screen's highlighted question with floating
reactions and, under reduced motion, the reaction tally instead. (The attendee's award
ballot states are checked in tests/test_browser_ballots.py.) The keyboard-only test is
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
                # Reveal governs the big screen: the question (and options), no results.
                await expect(screen.locator("#question")).to_have_text(spec["question"])
                await expect(screen.locator("#hidden-note")).to_be_visible()
                await assert_accessible(screen, f"screen, {spec['kind']} before its results")
                # The console's card for the poll: the screen switch (and moderation).
                await expect(presenter.locator("#moderation-card")).to_be_visible()
                await presenter.locator("#screen-live").check()
                await expect(screen.locator("#hidden-note")).to_be_hidden()
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

            # A pitch session: a pitch on now with its timer (the attendee's pitch states
            # are checked in tests/test_browser_pitches.py).
            pitches = [{"title": "Solar roofs", "organisation": "SunCo", "speaker": "Ana"}]
            spec = {"title": "Pitch night", "pitches": pitches, "criteria": ["Impact"]}
            session_id = (await boss.call("pitch:create", spec))["session"]["id"]
            assert (await boss.call("pitch:open", {"session_id": session_id}))["ok"]
            now = {"session_id": session_id, "pitch_id": "p1", "timer_s": 120}
            assert (await boss.call("pitch:now", now))["ok"]
            await expect(screen.locator("#screen-pitch-timer")).to_be_visible()
            await assert_accessible(screen, "screen, pitch on now with its timer")
            await expect(presenter.locator("#pitch-stage-now")).to_contain_text("Solar roofs")
            await assert_accessible(presenter, "presenter, pitch on now")

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


async def test_qa_and_reactions_in_every_state(browser: Browser, tmp_path: Path) -> None:
    """Q&A and reactions (issue 19): the attendee's Q&A card and reaction bar with no
    question yet, a question of its own waiting for moderation, the public list, its
    upvote pressed, a question answered with a reply; the presenter's moderation queue,
    the sorted list with a highlighted question and the reply form; the big screen with
    the highlighted question and the floating reactions, and, under reduced motion, the
    quiet tally instead of anything floating."""
    async with running_server(export_dir=str(tmp_path)) as server:
        event = await create_event(server.url, "Accessible Q&A")
        code = event["code"]
        page, _, log = await open_page(
            browser, f"{server.url}/?event={code}", width=390, height=844, reduced_motion="reduce"
        )
        await expect(page.locator("#event-code")).to_have_value(code)
        await page.fill("#name", "Ada")
        await page.click("#join")
        await expect(page.locator("#qa")).to_be_visible()
        await expect(page.locator("#reaction-bar button")).to_have_count(5)
        await check_attendee(page, "Q&A and reactions, no question yet")

        presenter, _, plog = await open_page(
            browser, f"{server.url}/presenter#event={code}", reduced_motion="reduce"
        )
        await presenter.fill("#setup-key", event["presenter_key"])
        await presenter.click("#setup-button")
        await expect(presenter.locator("#connection")).to_have_attribute("data-state", "connected")
        await expect(presenter.locator("#qa-card")).to_be_visible()
        await assert_accessible(presenter, "presenter, Q&A empty")
        calm, _, clog = await open_page(
            browser, f"{server.url}/screen?event={code}", reduced_motion="reduce"
        )
        moving, _, mlog = await open_page(
            browser, f"{server.url}/screen?event={code}", reduced_motion="no-preference"
        )
        for screen in (calm, moving):
            await expect(screen.locator("#connection")).to_have_attribute("data-state", "connected")

        # Moderation on: Ada's question waits, visible to her and in the presenter's queue.
        await presenter.check("#qa-moderation")
        await expect(presenter.locator("#qa-moderation")).to_be_checked()
        await page.fill("#qa-text", "Where can I find the slides?")
        await page.click("#qa-send")
        await expect(page.locator("#qa-mine li")).to_have_count(1)
        await check_attendee(page, "Q&A, own question waiting for approval")
        other = await clients.attendee(server.url, code, "Sam")
        try:
            asked = await other.call(
                "qa:ask", {"text": "Why is the budget late?", "anonymous": True, "ask_id": "a1"}
            )
            assert asked["ok"], asked
            queue = presenter.locator("#qa-queue li")
            await expect(queue).to_have_count(2)
            await assert_accessible(presenter, "presenter, Q&A moderation queue")
            for text in ("Where can I find the slides?", "Why is the budget late?"):
                await queue.filter(has_text=text).get_by_role("button", name="Approve").click()
            await expect(queue).to_have_count(0)

            listed = page.locator("#qa-list li")
            await expect(listed).to_have_count(2)
            await check_attendee(page, "Q&A, public list")
            budget = listed.filter(has_text="Why is the budget late?")
            await budget.locator("button.upvote").click()
            await expect(budget.locator("button.upvote")).to_have_attribute("aria-pressed", "true")
            await check_attendee(page, "Q&A, upvoted")

            rows = presenter.locator("#qa-questions li")
            row = rows.filter(has_text="Why is the budget late?")
            await row.get_by_role("button", name="Highlight").click()
            await expect(presenter.locator("#qa-highlighted")).to_contain_text("budget")
            await assert_accessible(presenter, "presenter, Q&A list with a highlight")
            for screen in (calm, moving):
                await expect(screen.locator("#screen-qa-text")).to_have_text(
                    "Why is the budget late?"
                )
            await assert_accessible(calm, "screen, highlighted question")

            await row.get_by_role("button", name="Reply or correct").click()
            await expect(presenter.locator("#qa-edit-form")).to_be_visible()
            await assert_accessible(presenter, "presenter, Q&A reply form")
            await presenter.fill("#qa-edit-text", "It ships on Friday.")
            await presenter.click("#qa-reply-button")
            await expect(calm.locator("#screen-qa-reply")).to_contain_text("It ships on Friday.")

            # A tap: floating emoji on one screen, a quiet tally on the reduced-motion one.
            await page.get_by_role("button", name="Send 👏").click()
            await expect(presenter.locator("#reactions-live")).to_contain_text("👏 1")
            await expect(moving.locator("#reaction-overlay .floating-emoji").first).to_be_attached()
            await assert_accessible(moving, "screen, floating reactions")
            await expect(calm.locator("#reaction-tally")).to_contain_text("👏 1")
            assert await calm.locator("#reaction-overlay .floating-emoji").count() == 0
            await assert_accessible(calm, "screen, reaction tally (reduced motion)")

            await row.get_by_role("button", name="Answered").click()
            await expect(calm.locator("#screen-qa")).to_be_hidden()
            await expect(listed.filter(has_text="budget")).to_contain_text("It ships on Friday.")
            await check_attendee(page, "Q&A, answered with a reply")
        finally:
            await other.disconnect()
        for page_log in (log, plog, clog, mlog):
            page_log.assert_clean()


async def test_cafe_pages_in_every_state(browser: Browser) -> None:
    """The world café (issue 17): the attendee's café card waiting for a table, seated
    (tablemates, video room, the harvest box with a takeaway of their own and one a
    tablemate wrote, arrived live), warned
    before the round ends, once its time is up, after leaving the café and once it is
    over, with 200 % text on a phone; the presenter's form with the attendee list for
    hosts, the café's stage with its grid of tables and a harvest on the big screen; the
    big screen before the first round, during a round with harvests, warned, with the
    round over and once the café is over. Rounds of 8 s, warned 4 s before the end."""
    import re

    from plenary.activities.cafe.limits import CafeLimits
    from plenary.activities.cafe.records import checked_in
    from tests.test_browser_cafe import eventually_async

    limits = CafeLimits(cafe_min_round_s=1, cafe_warning_s=4)
    async with running_server(kind_limits={CafeLimits: limits}) as server:
        event = await create_event(server.url, "Accessible café")
        code = event["code"]
        page, _, log = await open_page(
            browser, f"{server.url}/?event={code}", width=390, height=844, reduced_motion="reduce"
        )
        await expect(page.locator("#event-code")).to_have_value(code)
        await page.fill("#name", "Ada")
        await page.fill("#organisation", "Analytical Engines")
        await page.click("#join")
        await expect(page.locator("#waiting")).to_be_visible()
        presenter, _, plog = await open_page(
            browser,
            f"{server.url}/presenter#event={code}&key={event['presenter_key']}",
            reduced_motion="reduce",
        )
        await expect(presenter.locator("#connection")).to_have_attribute("data-state", "connected")
        screen, _, slog = await open_page(
            browser, f"{server.url}/screen?event={code}", reduced_motion="reduce"
        )
        await expect(screen.locator("#connection")).to_have_attribute("data-state", "connected")
        guests = [
            await clients.attendee(server.url, code, f"Guest {i}", organisation=f"Org {i}")
            for i in range(3)
        ]
        try:
            await presenter.click("#cafe-hosts-load")
            await expect(presenter.locator("#cafe-hosts-list li")).to_have_count(4)
            await assert_accessible(presenter, "presenter, new café form with the attendees")
            boss = await clients.presenter(server.url, code, event["presenter_key"])
            try:
                made = await boss.call(
                    "cafe:create",
                    {
                        "title": "Café",
                        "rounds": 2,
                        "round_s": 8,
                        "topics": ["Energy"],
                        "tables": 2,
                        "room_url": "https://video.example/{event}-{table}",
                    },
                )
                cafe_id = made["cafe"]["id"]
                assert (await boss.call("cafe:start", {"cafe_id": cafe_id}))["ok"]
                for guest in guests:
                    assert (await guest.call("cafe:join", {"cafe_id": cafe_id}))["ok"]
                await expect(page.locator("#cafe")).to_have_attribute("data-state", "waiting")
                await check_attendee(page, "café, waiting for a table")
                await expect(screen.locator("#screen-cafe")).to_be_visible()
                await assert_accessible(screen, "screen, café before the first round")

                async def joined() -> int:
                    return len(checked_in(await server.services.store.list_answers(code, cafe_id)))

                await eventually_async(joined, 4)
                assert (await boss.call("cafe:round", {"cafe_id": cafe_id, "round": 1}))["ok"]
                await expect(page.locator("#cafe")).to_have_attribute("data-state", "seated")
                await page.fill("#cafe-harvest-text", "Storage is the bottleneck")
                await page.click("#cafe-harvest-send")
                await expect(page.locator("#cafe-harvests li")).to_have_count(1)
                # A tablemate's takeaway arrives live (cafe:table_harvests), announced.
                store = server.services.store
                ada = next(a.id for a in await store.list_attendees(code) if a.name == "Ada")
                seated = await store.get_activity(code, cafe_id)
                assert seated is not None
                table = next(t for t in seated.meta["tables"] if ada in t)
                mate = next(g for g in guests if g.welcome["attendee"]["id"] in table)
                harvest_of_mate = {"cafe_id": cafe_id, "harvest_id": "m1", "text": "Ask the grid"}
                assert (await mate.call("cafe:harvest", harvest_of_mate))["ok"]
                await expect(page.locator("#cafe-harvests li")).to_have_count(2)
                await check_attendee(page, "café, seated with a takeaway and a tablemate's")
                await expect(presenter.locator(".cafe-stage-harvest")).to_have_count(2)
                harvest = presenter.locator(".cafe-stage-harvest", has_text="Storage")
                await harvest.get_by_role("button", name="Show on the big screen").click()
                await expect(screen.locator("#screen-cafe-harvests li")).to_have_count(1)
                await assert_accessible(presenter, "presenter, café round with a harvest on screen")
                await assert_accessible(screen, "screen, café round with a harvest")

                await expect(page.locator("#cafe-warning")).to_be_visible()
                await check_attendee(page, "café, warned before the end of the round")
                await expect(screen.locator("#screen-cafe-time")).to_have_attribute(
                    "data-state", re.compile("warning|up")
                )
                await assert_accessible(screen, "screen, café round about to end")
                await expect(page.locator("#cafe-time")).to_have_attribute("data-state", "up")
                await check_attendee(page, "café, the round's time is up")
                await expect(screen.locator("#screen-cafe-time")).to_have_attribute(
                    "data-state", "up"
                )
                await assert_accessible(screen, "screen, café round over")
                await assert_accessible(presenter, "presenter, café round over")

                await page.click("#cafe-leave")
                await expect(page.locator("#cafe")).to_have_attribute("data-state", "left")
                await check_attendee(page, "café, left")
                assert (await boss.call("cafe:end", {"cafe_id": cafe_id}))["ok"]
                await expect(page.locator("#cafe")).to_have_attribute("data-state", "ended")
                await check_attendee(page, "café, over")
                await expect(screen.locator("#screen-cafe-time")).to_have_attribute(
                    "data-state", "ended"
                )
                await assert_accessible(screen, "screen, café over")
                await assert_accessible(presenter, "presenter, café over")
            finally:
                await boss.disconnect()
        finally:
            for guest in guests:
                await guest.disconnect()
        for page_log in (log, plog, slog):
            page_log.assert_clean()


async def test_quiz_pages_in_every_state(browser: Browser, tmp_path: Path) -> None:
    """Quizzes (issue 16): the phone in the lobby, each question kind open, answered and
    revealed, and the final rank (axe, 44 px targets, 200 % text); the big screen's
    lobby, question, distribution with leaderboard, and podium; the console's quiz forms
    and its stage in every phase. Under prefers-reduced-motion nothing moves on the
    screen (no animation of the leaderboard or the podium)."""
    from tests.support.quiz import EVERY_KIND, SECRET_NUMBER, SECRET_TEXT

    async with running_server(export_dir=str(tmp_path)) as server:
        event = await create_event(server.url, "Accessible quiz")
        code = event["code"]
        page, _, log = await open_page(
            browser, f"{server.url}/?event={code}", width=390, height=844, reduced_motion="reduce"
        )
        await page.fill("#name", "Ada")
        await page.click("#join")
        await expect(page.locator("#waiting")).to_be_visible()
        screen, _, slog = await open_page(
            browser,
            f"{server.url}/screen?event={code}",
            width=1920,
            height=1080,
            reduced_motion="reduce",
        )
        presenter, _, plog = await open_page(
            browser,
            f"{server.url}/presenter#event={code}&key={event['presenter_key']}",
            reduced_motion="reduce",
        )
        await expect(presenter.locator("#connection")).to_have_attribute("data-state", "connected")
        await presenter.locator("#quiz-add-question").click()
        await (
            presenter.locator("#quiz-question-editors [data-field=kind]")
            .nth(1)
            .select_option("number")
        )
        await assert_accessible(presenter, "presenter, quiz forms")

        # A second attendee, online but silent: questions wait for the close, once the
        # heartbeat has counted them (an answer before that would close the question).
        boss = await clients.presenter(server.url, code, event["presenter_key"])
        silent = await clients.attendee(server.url, code, "Silent")
        await expect(presenter.locator("#online")).to_have_text("2")
        answers: dict[str, Any] = {
            "single": ('[data-option="c"]',),
            "multiple": ('[data-option="a"]', '[data-option="c"]', "#quiz-submit"),
            "truefalse": ('[data-option="false"]',),
            "text": (SECRET_TEXT,),
            "number": (str(SECRET_NUMBER),),
        }
        try:
            quiz_id = (await boss.call("quiz:create", EVERY_KIND))["quiz"]["id"]
            await expect(presenter.locator(f'[data-quiz-id="{quiz_id}"]')).to_have_count(1)
            assert (await boss.call("quiz:start", {"quiz_id": quiz_id}))["ok"]
            await expect(page.locator("#quiz")).to_have_attribute("data-phase", "lobby")
            await expect(screen.locator("#screen-quiz")).to_have_attribute("data-phase", "lobby")
            await check_attendee(page, "quiz lobby")
            await assert_accessible(screen, "screen, quiz lobby")
            await assert_accessible(presenter, "presenter, quiz lobby")
            count = len(EVERY_KIND["questions"])
            for index, question in enumerate(EVERY_KIND["questions"]):
                kind = question["kind"]
                assert (await boss.call("quiz:next", {"quiz_id": quiz_id}))["ok"]
                await expect(page.locator("#quiz-question")).to_have_text(question["question"])
                # The new question was announced to screen readers.
                await expect(page.locator("#announcer")).to_have_text(
                    f"Question {index + 1} of {count}: {question['question']}"
                )
                await check_attendee(page, f"quiz {kind} open")
                await assert_accessible(screen, f"screen, quiz {kind} open")
                await assert_accessible(presenter, f"presenter, quiz {kind} open")
                if kind in ("text", "number"):
                    await page.fill("#quiz-typed-answer", answers[kind][0])
                    await page.click("#quiz-submit")
                else:
                    for target in answers[kind]:
                        await page.locator(f"#quiz-answer-area {target}, {target}").first.click()
                await expect(page.locator("#quiz-status")).to_have_attribute("data-state", "saved")
                await check_attendee(page, f"quiz {kind} answered")
                assert (await boss.call("quiz:close", {"quiz_id": quiz_id}))["ok"]
                await expect(page.locator("#quiz-verdict")).to_have_text("Correct!")
                await check_attendee(page, f"quiz {kind} result")
                await expect(screen.locator("#screen-quiz-results")).to_be_visible()
                await assert_accessible(screen, f"screen, quiz {kind} revealed")
                await assert_accessible(presenter, f"presenter, quiz {kind} revealed")
            # Nothing moved on the screen: no animation under prefers-reduced-motion.
            assert await screen.evaluate("document.getAnimations().length") == 0
            assert (await boss.call("quiz:end", {"quiz_id": quiz_id}))["ok"]
            await expect(page.locator("#quiz-final-rank")).to_have_text("Rank 1 of 1")
            await check_attendee(page, "quiz final rank")
            await expect(screen.locator("#screen-quiz-podium-places")).to_have_attribute(
                "data-revealed", "1"
            )
            assert await screen.evaluate("document.getAnimations().length") == 0
            await assert_accessible(screen, "screen, quiz podium")
            await assert_accessible(presenter, "presenter, quiz ended")
        finally:
            for client in (boss, silent):
                await client.disconnect()
        for page_log in (log, slog, plog):
            page_log.assert_clean()


async def test_console_running_order_end_and_join_forms_in_every_state(
    browser: Browser, tmp_path: Path
) -> None:
    """The console's running order (issue 20): a selected poll with its tools, a draft
    being edited, a deletion to confirm, newest first, the join form's settings, the end
    to confirm and the console once the event ended from it. The attendee page with a
    name optional, in an anonymous event, a word cloud of three words (open and
    answered), and a visitor who comes after the end."""
    async with running_server(export_dir=str(tmp_path)) as server:
        event = await create_event(server.url, "Accessible running order")
        code, key = event["code"], event["presenter_key"]
        presenter, _, plog = await open_page(
            browser, f"{server.url}/presenter#event={code}&key={key}", reduced_motion="reduce"
        )
        await expect(presenter.locator("#connection")).to_have_attribute("data-state", "connected")
        boss = await clients.presenter(server.url, code, key)
        try:
            cloud = (
                await boss.call("poll:create", {"question": "Three words?", "kind": "wordcloud"})
            )["poll"]["id"]
            draft = (await boss.call("poll:create", POLLS[0][0]))["poll"]["id"]
        finally:
            await boss.disconnect()
        row = presenter.locator(f'#polls [data-poll-id="{draft}"]')
        await row.locator('[data-action="select"]').click()
        await expect(row.locator('[data-action="edit"]')).to_be_visible()
        await assert_accessible(presenter, "presenter, a selected poll's tools")
        await row.locator('[data-action="edit"]').click()
        await expect(presenter.locator("#poll-edit-question")).to_be_focused()
        await assert_accessible(presenter, "presenter, editing a draft")
        await row.locator('[data-action="cancel"]').click()
        await row.locator('[data-action="delete"]').click()
        await expect(row.locator('[data-action="confirm-delete"]')).to_be_focused()
        await assert_accessible(presenter, "presenter, a deletion to confirm")
        await row.locator('[data-action="cancel"]').click()
        await presenter.select_option("#poll-order", "newest")
        await assert_accessible(presenter, "presenter, newest first")
        await presenter.select_option("#poll-order", "running")

        # What people are asked: a name optional, no organisation.
        await presenter.click("#join-settings summary")
        await presenter.select_option("#join-name-mode", "optional")
        await presenter.locator("#join-ask-organisation").uncheck()
        await presenter.click("#join-settings-save")
        await expect(presenter.locator("#join-settings-status")).to_contain_text("Saved")
        await assert_accessible(presenter, "presenter, join form saved")

        page, _, log = await open_page(
            browser, f"{server.url}/?event={code}", width=390, height=844, reduced_motion="reduce"
        )
        await expect(page.locator("#event-code")).to_have_value(code)
        await expect(page.locator("#organisation")).to_be_hidden()
        await check_attendee(page, "join, a name optional")
        await page.click("#join")
        await expect(page.locator("#waiting")).to_be_visible()

        await presenter.locator(f'#polls [data-poll-id="{cloud}"] [data-action="open"]').click()
        await expect(page.locator("#text-answer-3")).to_be_visible()
        await check_attendee(page, "a word cloud of three words")
        await page.fill("#text-answer", "bright")
        await page.fill("#text-answer-2", "calm")
        await page.click("#submit-answer")
        await expect(page.locator("#answer-status")).to_have_text("Your answer: bright, calm")
        await check_attendee(page, "three words, answered")

        # An anonymous event: nothing to fill in.
        await presenter.select_option("#join-name-mode", "none")
        await presenter.locator("#join-ask-country").uncheck()
        await presenter.click("#join-settings-save")
        await expect(presenter.locator("#join-name-mode")).to_have_value("none")
        anonymous, _, alog = await open_page(
            browser, f"{server.url}/?event={code}", width=390, height=844, reduced_motion="reduce"
        )
        await expect(anonymous.locator("#join-anonymous")).to_be_visible()
        await check_attendee(anonymous, "join, an anonymous event")

        # The end, from the console.
        await presenter.click("#end-event-button")
        await expect(presenter.locator("#end-event-confirm")).to_be_focused()
        await assert_accessible(presenter, "presenter, the end to confirm")
        await presenter.fill("#end-event-confirm", code)
        await presenter.click("#end-event-submit")
        await expect(presenter.locator("#ended-banner")).to_be_visible()
        await expect(page.locator("#ended-view")).to_be_visible()
        await assert_accessible(presenter, "presenter, ended from the console")

        late, _, llog = await open_page(
            browser, f"{server.url}/?event={code}", width=390, height=844, reduced_motion="reduce"
        )
        # Told at once that it ended: no form to fill in first.
        await expect(late.locator("#ended-title")).to_have_text("This event has ended")
        await check_attendee(late, "a late visitor")
        for each in (plog, log, alog, llog):
            each.assert_clean()
