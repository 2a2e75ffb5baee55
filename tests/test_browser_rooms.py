"""Rooms in the browser pages (issue #14), in Debian's Chromium against the real server.

a. One attendee moves from the main room to a breakout (``room:enter``, no reconnect) and
   answers the breakout's poll while another stays in the main room and answers the main
   room's poll: each page shows only its own room's question (recorded from every change
   of its DOM and every frame the server sent it), and the tallies per room are exact (the
   presenters' sockets and the per-room export). A reload stays in the breakout.
b. The big screen of a room shows its title, the join code, the attendee link and a QR
   code that decodes (zxing-cpp) to exactly that room's attendee link built from
   ``--public-url``; Q and the footer's button hide and show it; the presenter console
   offers the same code for slides (shown and downloaded).
c. The presenter console adds a room (its key and links shown once, times in the
   attendees' own language and time zone), edits and reorders it, then closes it: an
   attendee in it goes back to the main room, and so do the room's big screen and an
   event-wide console that ran it; a console opened with the room's own key runs that
   room only (no picker, no programme to change, the room's export) and stops when it
   closes. An address naming a room the event never had falls back to the main room.
"""

from __future__ import annotations

import asyncio
import io
import re
from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import aiohttp
import pytest
import zxingcpp
from PIL import Image
from playwright.async_api import Browser, Locator, Page, WebSocket, expect

from tests.support import clients
from tests.support.browser import (  # noqa: F401 - fixtures
    chromium_browser,
    open_page,
)
from tests.support.server import RunningServer, create_event, running_server

pytestmark = [
    pytest.mark.browser,
]
expect.set_options(timeout=15_000)

PUBLIC_URL = "https://vote.example.org"
PARIS = "Europe/Paris"

# Every text the page's DOM ever held (added nodes, changed text, changed containers).
RECORD_TEXTS = """
window.__texts = new Set();
const record = (node) => {
  const text = node && node.textContent;
  if (text) window.__texts.add(text);
};
new MutationObserver((mutations) => {
  for (const m of mutations) {
    record(m.target);
    for (const added of m.addedNodes) record(added);
  }
}).observe(document, { subtree: true, childList: true, characterData: true });
"""


@pytest.fixture
async def server() -> AsyncIterator[RunningServer]:
    async with running_server(public_url=PUBLIC_URL) as running:
        yield running


# -- helpers ---------------------------------------------------------------------------------
async def rest(
    method: str, url: str, key: str, body: Any = None, status: int = 200
) -> dict[str, Any]:
    async with (
        aiohttp.ClientSession() as http,
        http.request(
            method, url, json=body, headers={"Authorization": f"Bearer {key}"}
        ) as response,
    ):
        assert response.status == status, await response.text()
        return await response.json()  # type: ignore[no-any-return]


async def add_room(server: RunningServer, event: dict[str, str], **fields: Any) -> dict[str, Any]:
    """POST /api/events/{code}/rooms with the event-wide key."""
    url = f"{server.url}/api/events/{event['code']}/rooms"
    return await rest("POST", url, event["presenter_key"], fields, status=201)


async def room_export(server: RunningServer, code: str, room: str, key: str) -> dict[str, Any]:
    return await rest("GET", f"{server.url}/api/events/{code}/rooms/{room}/export", key)


async def programme(server: RunningServer, code: str) -> list[dict[str, Any]]:
    async with (
        aiohttp.ClientSession() as http,
        http.get(f"{server.url}/api/events/{code}/rooms") as response,
    ):
        assert response.status == 200
        rooms: list[dict[str, Any]] = (await response.json())["rooms"]
        return rooms


class Recorded:
    """An attendee page that records every text its DOM held and every frame the server
    sent it."""

    def __init__(self, page: Page, frames: list[str]) -> None:
        self.page = page
        self.frames = frames

    async def texts(self) -> list[str]:
        texts: list[str] = await self.page.evaluate("[...window.__texts]")
        return texts

    async def showed(self, text: str) -> bool:
        """True if the page's DOM ever held ``text`` and the server sent it."""
        texts = await self.texts()
        return any(text in t for t in texts) and any(text in f for f in self.frames)

    async def never_showed(self, text: str) -> None:
        assert not [t for t in await self.texts() if text in t], f"the page showed {text!r}"
        assert not [f for f in self.frames if text in f], f"the page received {text!r}"


async def recorded_page(browser: Browser, url: str, **options: Any) -> tuple[Recorded, Any]:
    frames: list[str] = []

    async def install(page: Page) -> None:
        await page.add_init_script(RECORD_TEXTS)

        def on_socket(ws: WebSocket) -> None:
            ws.on("framereceived", lambda payload: frames.append(str(payload)))

        page.on("websocket", on_socket)

    page, _, log = await open_page(
        browser, url, width=390, height=844, before_goto=install, **options
    )
    return Recorded(page, frames), log


async def join(page: Page, name: str) -> None:
    await page.fill("#name", name)
    await page.click("#join")
    await expect(page.locator("#attendee-name")).to_have_text(name)
    await expect(page.locator("#connection")).to_have_attribute("data-state", "connected")


def query(page: Page) -> dict[str, str]:
    """The page's address parameters (its query string)."""
    return dict(re.findall(r"[?&]([^=&#]+)=([^&#]*)", page.url.split("#", 1)[0]))


async def decode_qr(node: Locator) -> list[str]:
    """The texts of the QR codes in a screenshot of ``node``, decoded by zxing-cpp."""
    png = await node.screenshot()
    image = Image.open(io.BytesIO(png))
    found = zxingcpp.read_barcodes(image)
    assert all(code.format == zxingcpp.BarcodeFormat.QRCode for code in found)
    return [code.text for code in found]


async def qr_loaded(page: Page) -> None:
    await page.wait_for_function(
        "() => { const i = document.getElementById('qr-image');"
        " return Boolean(i && i.complete && i.naturalWidth > 0); }"
    )


async def rooms_online(client: clients.Client, wanted: dict[str, int]) -> None:
    """The presenter's socket reports these attendees online per room (its welcome, or a
    later ``presence``)."""
    if {k: client.welcome["rooms_online"].get(k, 0) for k in wanted} == wanted:
        return
    await client.wait_for(
        "presence", lambda p: {k: p["rooms_online"].get(k, 0) for k in wanted} == wanted
    )


# -- a. two rooms, two polls, each attendee sees only its own ----------------------------------
MAIN_Q = "Plenary: which day suits you?"
ROOM_Q = "Breakout: green or blue?"


async def test_attendees_in_two_rooms_see_only_their_own_rooms_poll(
    server: RunningServer, browser: Browser
) -> None:
    event = await create_event(server.url, "Cluster conference")
    code, key = event["code"], event["presenter_key"]
    added = await add_room(server, event, title="Breakout 1: Green transition")
    room = added["room"]["id"]

    mover, mover_log = await recorded_page(browser, f"{server.url}/?event={code}")
    stayer, stayer_log = await recorded_page(browser, f"{server.url}/?event={code}")
    await join(mover.page, "Mira")
    await join(stayer.page, "Stan")

    # The programme: both rooms, the main room marked as where the attendee is.
    page = mover.page
    await expect(page.locator("#programme")).to_be_visible()
    await expect(page.locator("#rooms-list [data-room-id]")).to_have_count(2)
    assert await page.locator("#rooms-list [data-room-id]").evaluate_all(
        "(ns) => ns.map((n) => n.dataset.roomId)"
    ) == ["main", room]
    await expect(page.locator('#rooms-list [data-room-id="main"]')).to_have_attribute(
        "aria-current", "location"
    )
    await expect(page.locator('#rooms-list [data-room-id="main"] .room-here')).to_have_text(
        "You are here"
    )
    await expect(page.locator("#room-name")).to_have_text("Main room")

    # Move without reconnecting: the breakout's state, as a welcome would show it.
    enter = page.locator(f'#rooms-list button[data-room="{room}"]')
    await expect(enter).to_have_text("Go to this room")
    await enter.click()
    await expect(page.locator("#room-name")).to_have_text("Breakout 1: Green transition")
    await expect(page.locator(f'#rooms-list [data-room-id="{room}"]')).to_have_attribute(
        "aria-current", "location"
    )
    await expect(page.locator("#room-status")).to_have_text(
        "You are now in Breakout 1: Green transition."
    )
    await expect(page.locator("#waiting")).to_be_visible()
    await expect(page.locator("#connection")).to_have_attribute("data-connects", "1")
    assert query(page) == {"event": code, "room": room}
    await expect(stayer.page.locator("#room-name")).to_have_text("Main room")

    boss = await clients.presenter(server.url, code, key)
    breakout_boss = await clients.presenter(server.url, code, added["presenter_key"])
    try:
        assert breakout_boss.welcome["room"]["id"] == room
        await rooms_online(boss, {"main": 1, room: 1})

        main_poll = await boss.call(
            "poll:create", {"question": MAIN_Q, "kind": "single", "options": ["Mon", "Tue"]}
        )
        room_poll = await breakout_boss.call(
            "poll:create",
            {"question": ROOM_Q, "kind": "single", "options": ["Green", "Blue", "Both"]},
        )
        main_id, room_id = main_poll["poll"]["id"], room_poll["poll"]["id"]
        assert (await boss.call("poll:open", {"poll_id": main_id}))["ok"]
        assert (await breakout_boss.call("poll:open", {"poll_id": room_id}))["ok"]

        await expect(stayer.page.locator("#question")).to_have_text(MAIN_Q)
        await expect(mover.page.locator("#question")).to_have_text(ROOM_Q)
        await stayer.page.locator('#answer-area [data-option="b"]').click()
        await mover.page.locator('#answer-area [data-option="c"]').click()
        await expect(stayer.page.locator("#answer-status")).to_have_text("Your answer: Tue")
        await expect(mover.page.locator("#answer-status")).to_have_text("Your answer: Both")

        # Each room's presenter sees its own room's tally, and only it.
        main_results = await boss.wait_for(
            "poll:results", lambda r: r["poll_id"] == main_id and r["total"] == 1
        )
        room_results = await breakout_boss.wait_for(
            "poll:results", lambda r: r["poll_id"] == room_id and r["total"] == 1
        )
        assert main_results["counts"] == {"a": 0, "b": 1}
        assert room_results["counts"] == {"a": 0, "b": 0, "c": 1}
        assert all(r["poll_id"] == main_id for r in boss.received["poll:results"])
        assert all(r["poll_id"] == room_id for r in breakout_boss.received["poll:results"])

        # The export of each room: its own poll, its exact tally, its one answer.
        main_export = await room_export(server, code, "main", key)
        room_export_ = await room_export(server, code, room, added["presenter_key"])
        assert [p["question"] for p in main_export["polls"]] == [MAIN_Q]
        assert [p["question"] for p in room_export_["polls"]] == [ROOM_Q]
        assert main_export["polls"][0]["results"]["counts"] == {"a": 0, "b": 1}
        assert room_export_["polls"][0]["results"]["counts"] == {"a": 0, "b": 0, "c": 1}
        names = {a["id"]: a["name"] for a in main_export["attendees"]}
        assert [names[a["attendee_id"]] for a in main_export["polls"][0]["answers"]] == ["Stan"]
        assert [names[a["attendee_id"]] for a in room_export_["polls"][0]["answers"]] == ["Mira"]

        # A reload comes back to the breakout, as the same attendee, with the answer.
        token_key = f"plenary.token.{code}"
        token = await mover.page.evaluate(f"localStorage.getItem('{token_key}')")
        assert token
        await mover.page.reload()
        await expect(mover.page.locator("#question")).to_have_text(ROOM_Q)
        await expect(mover.page.locator("#room-name")).to_have_text("Breakout 1: Green transition")
        assert await mover.page.evaluate(f"localStorage.getItem('{token_key}')") == token
        await expect(mover.page.locator("#answer-status")).to_have_text("Your answer: Both")
        assert await server.services.store.count_attendees(code) == 2
    finally:
        await boss.disconnect()
        await breakout_boss.disconnect()

    # Neither page ever showed, nor received, the other room's question (the records do
    # hold each page's own question).
    assert await mover.showed(ROOM_Q) and await stayer.showed(MAIN_Q)
    await mover.never_showed(MAIN_Q)
    await stayer.never_showed(ROOM_Q)
    mover_log.assert_clean()
    stayer_log.assert_clean()


# -- b. the big screen's QR code ---------------------------------------------------------------
async def test_screen_qr_code_decodes_to_the_rooms_attendee_link(
    server: RunningServer, browser: Browser, tmp_path: Path
) -> None:
    event = await create_event(server.url, "Cluster conference")
    code, key = event["code"], event["presenter_key"]
    added = await add_room(server, event, title="Breakout 3: Skills")
    room = added["room"]["id"]
    link = f"{PUBLIC_URL}/?event={code}&room={room}"
    assert added["urls"]["attendee"] == link

    screen, _, log = await open_page(
        browser, f"{server.url}/screen?event={code}&room={room}", width=1280, height=800
    )
    await expect(screen.locator("#connection")).to_have_attribute("data-state", "connected")
    await expect(screen.locator("#room-title")).to_have_text("Breakout 3: Skills")
    await expect(screen.locator("#join-code")).to_have_text(code)
    host = server.url.split("://", 1)[1]
    await expect(screen.locator("#join-url")).to_have_text(f"{host}/?event={code}&room={room}")
    await expect(screen.locator("#screen-qr")).to_be_visible()
    await expect(screen.locator("#qr-link")).to_have_text(link)
    qr = screen.locator("#qr-image")
    await expect(qr).to_have_attribute("alt", f"QR code of {link}")
    await qr_loaded(screen)

    # Large enough for the back of a hall: a third of the screen's height or more.
    box = await qr.bounding_box()
    assert box is not None and box["height"] >= 800 / 3, box
    assert abs(box["width"] - box["height"]) < 1, box  # square
    assert await decode_qr(qr) == [link]

    # Q hides it and shows it again; so does the footer's button.
    toggle = screen.locator("#qr-toggle")
    await expect(toggle).to_have_attribute("aria-pressed", "true")
    await screen.keyboard.press("q")
    await expect(screen.locator("#screen-qr")).to_be_hidden()
    await expect(toggle).to_have_attribute("aria-pressed", "false")
    await screen.keyboard.press("q")
    await expect(screen.locator("#screen-qr")).to_be_visible()

    # A poll on stage: the results take the screen, the QR comes back on demand.
    breakout_boss = await clients.presenter(server.url, code, added["presenter_key"])
    try:
        created = await breakout_boss.call(
            "poll:create",
            {"question": "Ready?", "kind": "single", "options": ["Yes", "No"], "screen_live": True},
        )
        assert (await breakout_boss.call("poll:open", {"poll_id": created["poll"]["id"]}))["ok"]
        await expect(screen.locator("#question")).to_have_text("Ready?")
        await expect(screen.locator("#screen-qr")).to_be_hidden()
        await toggle.click()
        await expect(screen.locator("#screen-qr")).to_be_visible()
        await expect(screen.locator("#chart")).to_be_visible()
        box = await qr.bounding_box()
        assert box is not None and box["height"] >= 800 / 3, box
        assert await decode_qr(qr) == [link]
    finally:
        await breakout_boss.disconnect()

    # The main room's screen: the link without a room.
    main_screen, _, main_log = await open_page(browser, f"{server.url}/screen?event={code}")
    await expect(main_screen.locator("#room-title")).to_have_text("Main room")
    await expect(main_screen.locator("#qr-link")).to_have_text(f"{PUBLIC_URL}/?event={code}")
    await qr_loaded(main_screen)
    assert await decode_qr(main_screen.locator("#qr-image")) == [f"{PUBLIC_URL}/?event={code}"]

    # The presenter console's "QR code for slides": the same code, shown and downloaded.
    presenter, _, plog = await open_page(
        browser, f"{server.url}/presenter#event={code}&key={key}&room={room}"
    )
    await expect(presenter.locator("#room-select")).to_have_value(room)
    await presenter.click("#qr-button")
    await expect(presenter.locator("#qr-button")).to_have_attribute("aria-expanded", "true")
    await expect(presenter.locator("#qr-link")).to_have_text(link)
    await qr_loaded(presenter)
    assert await decode_qr(presenter.locator("#qr-image")) == [link]
    async with presenter.expect_download() as download_info:
        await presenter.click("#qr-download")
    download = await download_info.value
    assert download.suggested_filename == f"plenary-{code}-{room}-qr.svg"
    saved = await asyncio.to_thread(Path(await download.path()).read_text)
    async with (
        aiohttp.ClientSession() as http,
        http.get(f"{server.url}/api/events/{code}/rooms/{room}/qr.svg") as response,
    ):
        assert saved == await response.text()
    for each in (log, main_log, plog):
        each.assert_clean()


# -- c. the console adds, changes and closes a room ----------------------------------------------
async def test_console_adds_and_closes_a_room_and_its_attendee_goes_back_to_main(
    server: RunningServer, browser: Browser
) -> None:
    event = await create_event(server.url, "Cluster conference")
    code, key = event["code"], event["presenter_key"]
    presenter, _, plog = await open_page(
        browser,
        f"{server.url}/presenter#event={code}&key={key}",
        timezone_id=PARIS,
        locale="en-GB",
    )
    await expect(presenter.locator("#connection")).to_have_attribute("data-state", "connected")
    await expect(presenter.locator("#rooms-card")).to_be_visible()
    await expect(presenter.locator("#rooms-admin [data-room-id]")).to_have_count(1)
    await expect(presenter.locator("#room-picker")).to_be_hidden()

    # Add a room, with times (Paris time, as the presenter's device is).
    await presenter.fill("#room-title-input", "Breakout 2: Digital")
    await presenter.fill("#room-description-input", "Room B, first floor")
    await presenter.fill("#room-starts-input", "2031-05-14T14:00")
    await presenter.fill("#room-ends-input", "2031-05-14T15:30")
    await presenter.click("#room-create-button")
    info = presenter.locator("#new-room-info")
    await expect(info).to_be_visible()
    room = await info.get_attribute("data-room-id")
    assert room
    shown_key = await presenter.locator("#new-room-key").inner_text()
    await expect(presenter.locator("#new-room-attendee-link")).to_have_text(
        f"{PUBLIC_URL}/?event={code}&room={room}"
    )
    await expect(presenter.locator("#new-room-presenter-link")).to_have_text(
        f"{PUBLIC_URL}/presenter#event={code}&key={shown_key}&room={room}"
    )
    await expect(presenter.locator("#new-room-screen-link")).to_have_text(
        f"{PUBLIC_URL}/screen?event={code}&room={room}"
    )
    listed = await programme(server, code)
    assert [r["id"] for r in listed] == ["main", room]
    paris = ZoneInfo(PARIS)
    starts = int(datetime(2031, 5, 14, 14, 0, tzinfo=paris).timestamp() * 1000)
    ends = int(datetime(2031, 5, 14, 15, 30, tzinfo=paris).timestamp() * 1000)
    assert (listed[1]["title"], listed[1]["description"]) == (
        "Breakout 2: Digital",
        "Room B, first floor",
    )
    assert (listed[1]["starts_at"], listed[1]["ends_at"]) == (starts, ends)
    # The key shown is that room's own presenter key.
    room_boss = await clients.presenter(server.url, code, shown_key)
    assert room_boss.welcome["room"]["id"] == room
    await room_boss.disconnect()
    # A console with the room's own key (the presenter link's fragment): that room only.
    fragment = (await presenter.locator("#new-room-presenter-link").inner_text()).split("#")[1]
    room_console, _, rlog = await open_page(browser, f"{server.url}/presenter#{fragment}")
    await expect(room_console.locator("#room-fixed")).to_have_text("Room: Breakout 2: Digital")
    await expect(room_console.locator("#room-picker")).to_be_hidden()
    await expect(room_console.locator("#rooms-card")).to_be_hidden()
    async with room_console.expect_download() as download_info:
        await room_console.click("#export-json")
    download = await download_info.value
    assert download.suggested_filename == f"plenary-{code}-{room}.json"
    # Shown once: "Done" takes it off the page.
    await presenter.click("#new-room-done")
    await expect(info).to_be_hidden()
    assert shown_key not in await presenter.content()
    await expect(presenter.locator("#rooms-admin [data-room-id]")).to_have_count(2)
    await expect(presenter.locator("#room-picker")).to_be_visible()

    # Attendees join straight into it with its link; times in their language and zone.
    english, english_log = await recorded_page(
        browser, f"{server.url}/?event={code}&room={room}", locale="en-GB", timezone_id=PARIS
    )
    french, french_log = await recorded_page(
        browser, f"{server.url}/?event={code}&room={room}", locale="fr-FR", timezone_id=PARIS
    )
    await join(english.page, "Ada")
    await join(french.page, "Amélie")
    await expect(english.page.locator("#room-name")).to_have_text("Breakout 2: Digital")
    await expect(english.page.locator("#room-when")).to_have_text("Wed 14 May, 14:00–15:30")
    await expect(french.page.locator("#room-name")).to_have_text("Breakout 2: Digital")
    await expect(french.page.locator("#room-when")).to_have_text("mer. 14 mai à 14:00–15:30")
    await expect(french.page.locator('#rooms-list [data-room-id="main"] .room-title')).to_have_text(
        "Salle principale"
    )
    await expect(
        english.page.locator(f'#rooms-list [data-room-id="{room}"] .room-description')
    ).to_have_text("Room B, first floor")
    row = presenter.locator(f'#rooms-admin [data-room-id="{room}"]')
    await expect(row.locator('[data-field="online"]')).to_have_text("2 online")

    # Rename it: the attendees' pages follow (room:programme).
    await row.locator('[data-room-action="edit"]').click()
    await expect(presenter.locator("#edit-title")).to_be_focused()
    await presenter.fill("#edit-title", "Breakout 2: Digital Europe")
    await presenter.click("#edit-save")
    await expect(english.page.locator("#room-name")).to_have_text("Breakout 2: Digital Europe")
    await expect(row.locator(".room-row-title")).to_have_text("Breakout 2: Digital Europe")

    # Move it up, then down again: the programme's order everywhere.
    async def order(page: Page, selector: str) -> list[str]:
        ids: list[str] = await page.locator(selector).evaluate_all(
            "(ns) => ns.map((n) => n.dataset.roomId)"
        )
        return ids

    await row.locator('[data-room-action="up"]').click()
    await expect(english.page.locator("#rooms-list [data-room-id]").first).to_have_attribute(
        "data-room-id", room
    )
    assert await order(presenter, "#rooms-admin [data-room-id]") == [room, "main"]
    assert [r["id"] for r in await programme(server, code)] == [room, "main"]
    await row.locator('[data-room-action="down"]').click()
    await expect(english.page.locator("#rooms-list [data-room-id]").first).to_have_attribute(
        "data-room-id", "main"
    )
    assert [r["id"] for r in await programme(server, code)] == ["main", room]

    # The room's big screen, and the event-wide console moved into the room.
    screen, _, slog = await open_page(browser, f"{server.url}/screen?event={code}&room={room}")
    await expect(screen.locator("#room-title")).to_have_text("Breakout 2: Digital Europe")
    await expect(screen.locator("#qr-link")).to_have_text(f"{PUBLIC_URL}/?event={code}&room={room}")
    await presenter.select_option("#room-select", room)
    await expect(row).to_have_attribute("aria-current", "true")
    await expect(presenter.locator("#join-url")).to_have_text(
        f"{server.url.split('://', 1)[1]}/?event={code}&room={room}"
    )
    assert presenter.url.endswith(f"&room={room}")

    # Close it (asked to confirm): its attendees go back to the main room.
    await row.locator('[data-room-action="close"]').click()
    await expect(row.locator(".room-row-confirm")).to_contain_text("Close “Breakout 2")
    await row.locator('[data-room-action="confirm-close"]').click()
    await expect(presenter.locator("#rooms-admin [data-room-id]")).to_have_count(1)
    for each in (english, french):
        await expect(each.page.locator("#programme")).to_be_hidden()
        await expect(each.page.locator("#room-line")).to_be_hidden()
        await expect(each.page.locator("#connection")).to_have_attribute("data-connects", "1")
        assert query(each.page) == {"event": code}
    await expect(english.page.locator("#room-notice")).to_have_text(
        "Breakout 2: Digital Europe has closed: you are back in Main room."
    )
    await expect(french.page.locator("#room-notice")).to_have_text(
        "Breakout 2: Digital Europe est fermée\u00a0: vous voici de retour dans Salle principale."
    )
    # The console that ran it is back in the main room; the room's own console stops.
    await expect(presenter.locator("#room-picker")).to_be_hidden()
    await expect(presenter.locator("#join-url")).to_have_text(
        f"{server.url.split('://', 1)[1]}/?event={code}"
    )
    assert presenter.url == f"{server.url}/presenter#event={code}&key={key}"
    await expect(room_console.locator("#setup-error")).to_have_text(
        "The room “Breakout 2: Digital Europe” was closed: its presenter key no longer works."
    )
    # The screen shows the main room's link and code.
    await expect(screen.locator("#qr-link")).to_have_text(f"{PUBLIC_URL}/?event={code}")
    await expect(screen.locator("#room-title")).to_be_hidden()
    await qr_loaded(screen)
    assert await decode_qr(screen.locator("#qr-image")) == [f"{PUBLIC_URL}/?event={code}"]
    assert query(screen) == {"event": code}
    boss = await clients.presenter(server.url, code, key)
    try:
        await rooms_online(boss, {"main": 2, room: 0})
        assert [r["id"] for r in boss.welcome["rooms"] if not r["closed"]] == ["main"]
    finally:
        await boss.disconnect()

    # An address naming a room the event never had: the main room, the same attendee.
    token_key = f"plenary.token.{code}"
    token = await english.page.evaluate(f"localStorage.getItem('{token_key}')")
    assert token
    await english.page.goto(f"{server.url}/?event={code}&room=nosuchroom")
    await expect(english.page.locator("#waiting")).to_be_visible()
    assert await english.page.evaluate(f"localStorage.getItem('{token_key}')") == token
    await expect(english.page.locator("#connection")).to_have_attribute("data-state", "connected")
    assert query(english.page) == {"event": code}
    assert await server.services.store.count_attendees(code) == 2
    for each in (plog, rlog, slog, english_log, french_log):
        each.assert_clean()
