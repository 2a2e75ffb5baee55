"""The admin view in a real browser: overview, end and purge an event."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.async_api import Browser, expect

from tests.support import clients
from tests.support.browser import (  # noqa: F401 - fixtures
    chromium_browser,
    open_page,
)
from tests.support.server import ADMIN_TOKEN, create_event, running_server

pytestmark = pytest.mark.browser
expect.set_options(timeout=15_000)


async def test_admin_overview_end_and_purge(browser: Browser, tmp_path: Path) -> None:
    async with running_server(export_dir=str(tmp_path)) as server:
        event = await create_event(server.url, '<b onmouseover="x">Gala</b>')
        code = event["code"]
        ada = await clients.attendee(server.url, code, "Ada")
        presenter = await clients.presenter(server.url, code, event["presenter_key"])
        created = await presenter.call("poll:create", {"question": "Best pitch?", "kind": "rating"})
        await presenter.call("poll:open", {"poll_id": created["poll"]["id"]})

        page, _, log = await open_page(browser, f"{server.url}/admin#token={ADMIN_TOKEN}")
        row = page.locator(f'tr[data-event="{code}"]')
        await expect(row.locator('[data-field="joined"]')).to_have_text("1")
        await expect(row.locator('[data-field="online"]')).to_have_text("1")
        await expect(row).to_contain_text("Best pitch? (open)")
        await expect(row).to_contain_text('<b onmouseover="x">Gala</b>')  # text, not HTML
        await expect(page.locator("#store-ok")).to_have_attribute("data-ok", "true")
        await expect(
            page.locator(f'tr[data-process="{server.services.process_id}"]')
        ).to_contain_text("1")

        page.on("dialog", lambda dialog: dialog.accept())
        await row.locator('button[data-action="end"]').click()
        await expect(row.locator('[data-field="state"]')).to_have_text("ended")
        await ada.wait_for("event:ended")
        assert (tmp_path / f"plenary-{code}.json").exists()

        await row.locator('button[data-action="purge"]').click()
        await expect(row).to_have_count(0)
        assert await server.services.store.get_event(code) is None
        log.assert_clean()
        for c in (ada, presenter):
            await c.disconnect()


async def test_admin_wrong_token_asks_again(browser: Browser) -> None:
    async with running_server() as server:
        page, _, _ = await open_page(browser, f"{server.url}/admin#token=wrong")
        await expect(page.locator("#login")).to_be_visible()
        await expect(page.locator("#admin-error")).to_contain_text("admin token is wrong")
        await page.fill("#token-input", ADMIN_TOKEN)
        await page.click("#login-button")
        await expect(page.locator("#overview")).to_be_visible()
        await expect(page.locator("#no-events")).to_be_visible()


async def test_admin_shows_each_rooms_attendees_and_stage(browser: Browser) -> None:
    from tests.test_rooms_live import add_room

    async with running_server() as server:
        event = await create_event(server.url, "Conference")
        code = event["code"]
        room = (await add_room(server, event, "Breakout A"))["room"]["id"]
        ada = await clients.attendee(server.url, code, "Ada", room=room)
        bob = await clients.attendee(server.url, code, "Bob")
        cy = await clients.attendee(server.url, code, "Cy", room=room)
        host = await clients.presenter(server.url, code, event["presenter_key"], room=room)
        created = await host.call("poll:create", {"question": "Which track?", "kind": "rating"})
        await host.call("poll:open", {"poll_id": created["poll"]["id"]})

        await host.wait_for("presence", lambda m: m["rooms_online"] == {"main": 1, room: 2})
        overview = await server.services.overview()
        (summary,) = [e for e in overview["events"] if e["code"] == code]
        rooms = {
            r["id"]: (r["online"], r["current"] and r["current"]["status"])
            for r in summary["rooms"]
        }
        assert rooms == {"main": (1, None), room: (2, "open")}

        page, _, log = await open_page(browser, f"{server.url}/admin#token={ADMIN_TOKEN}")
        row = page.locator(f'tr[data-event="{code}"]')
        await expect(row.locator('[data-field="online"]')).to_have_text("3")
        await expect(row.locator('li[data-room="main"]')).to_have_text("Main room: 1 online")
        await expect(row.locator(f'li[data-room="{room}"]')).to_have_text(
            "Breakout A: 2 online · Which track? (open)"
        )
        log.assert_clean()
        for c in (ada, bob, cy, host):
            await c.disconnect()
