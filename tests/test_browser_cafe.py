"""The world café in a real Chromium against the real server (issue 17, the pages): the
presenter sets a café up with the console's form (a host picked from the attendee list),
two attendees on phone-sized screens (390 x 844) see exactly the table the server seated
them at, with their tablemates and organisations, the video room and the time left; one
writes a harvest that the presenter sees live, edits it, and the presenter puts it on
the big screen, which shows it with its table and topic; tablemates see each other's
harvests without reloading. Every page stays accessible
(axe-core) and free of errors. Six more attendees take part through Socket.IO clients.
"""

from __future__ import annotations

import asyncio
import itertools
import re
from typing import Any

import pytest
from playwright.async_api import Browser, Page, expect

from plenary.activities.cafe.records import checked_in
from tests.support import clients
from tests.support.browser import (  # noqa: F401 - fixtures
    assert_accessible,
    assert_phone_friendly,
    chromium_browser,
    embedded_server,
    open_page,
)
from tests.support.server import RunningServer, create_event
from tests.test_browser import assert_clean, open_presenter

pytestmark = [pytest.mark.browser]
expect.set_options(timeout=15_000)

TOPICS = ["Green transition", "Skills for the future", "Housing"]
ROOM_LINK = "https://video.example/{event}-{table}"


async def open_phone(
    browser: Browser, server: RunningServer, code: str, name: str, organisation: str, country: str
) -> Page:
    """An attendee on a phone-sized screen, joined with an organisation and a country."""
    page, _, log = await open_page(browser, f"{server.url}/?event={code}", width=390, height=844)
    page.plenary_log = log  # type: ignore[attr-defined]
    await expect(page.locator("#event-code")).to_have_value(code)
    await page.fill("#name", name)
    await page.fill("#organisation", organisation)
    await page.fill("#country", country)
    await page.click("#join")
    await expect(page.locator("#attendee-name")).to_have_text(name)
    await expect(page.locator("#connection")).to_have_attribute("data-state", "connected")
    return page


async def attendee_id(server: RunningServer, code: str, name: str) -> str:
    """The id the server gave the attendee of this name (the page never shows ids)."""
    found = [a.id for a in await server.services.store.list_attendees(code) if a.name == name]
    assert len(found) == 1, found
    return found[0]


async def server_tables(server: RunningServer, code: str, cafe_id: str) -> list[list[str]]:
    activity = await server.services.store.get_activity(code, cafe_id)
    assert activity is not None
    return [list(t) for t in activity.meta["tables"]]


async def check_phone(page: Page, state: str) -> None:
    await assert_phone_friendly(page, f"café {state}")


async def test_phones_see_their_own_tables_and_a_harvest_reaches_the_big_screen(
    server: RunningServer, browser: Browser
) -> None:
    event = await create_event(server.url, "Café day")
    code = event["code"]
    presenter = await open_presenter(browser, server, event)
    screen, _, screen_log = await open_page(browser, f"{server.url}/screen?event={code}")
    ada = await open_phone(browser, server, code, "Ada Lovelace", "Analytical Engines", "GB")
    bo = await open_phone(browser, server, code, "Bo Chen", "Globex", "KE")
    ada_id = await attendee_id(server, code, "Ada Lovelace")
    bo_id = await attendee_id(server, code, "Bo Chen")
    guests = [
        await clients.attendee(
            server.url, code, f"Guest {i}", organisation=f"Org {i % 3}", country=["FR", "PL"][i % 2]
        )
        for i in range(6)
    ]
    people = {ada_id: ("Ada Lovelace", "Analytical Engines"), bo_id: ("Bo Chen", "Globex")}
    for i, guest in enumerate(guests):
        people[guest.welcome["attendee"]["id"]] = (f"Guest {i}", f"Org {i % 3}")

    try:
        # The presenter sets the café up with the form; Bo, picked from the attendee
        # list, hosts table 1.
        await presenter.fill("#cafe-title-input", "Café of ideas")
        await presenter.fill("#cafe-size-input", "3")
        await presenter.fill("#cafe-rounds-input", "2")
        await presenter.fill("#cafe-minutes-input", "10")
        await presenter.fill("#cafe-topics-input", "\n".join(TOPICS))
        await presenter.fill("#cafe-room-input", ROOM_LINK)
        await presenter.click("#cafe-hosts-load")
        await presenter.fill("#cafe-hosts-filter", "Bo")
        await presenter.check(f"#cafe-host-{bo_id}")
        await expect(presenter.locator("#cafe-hosts-chosen")).to_have_text(
            "Hosts: table 1: Bo Chen"
        )
        await presenter.click("#cafe-create-button")
        row = presenter.locator("#cafes [data-cafe-id]")
        await expect(row).to_have_count(1)
        await expect(row).to_have_attribute("data-status", "draft")
        cafe_id = await row.get_attribute("data-cafe-id")
        assert cafe_id
        await assert_accessible(presenter, "presenter, café draft")

        # Open: on stage. The phones check their people in by themselves; the guests
        # join as their pages would.
        await presenter.click('[data-stage-action="open"]')
        await expect(row).to_have_attribute("data-status", "open")
        for phone in (ada, bo):
            await expect(phone.locator("#cafe")).to_have_attribute("data-state", "waiting")
            await expect(phone.locator("#cafe-heading")).to_have_text("You're in the world café")
        for guest in guests:
            assert (await guest.call("cafe:join", {"cafe_id": cafe_id}))["ok"]

        async def joined() -> list[str]:
            return checked_in(await server.services.store.list_answers(code, cafe_id))

        deadline = asyncio.get_running_loop().time() + 15
        while len(await joined()) < len(people):
            assert asyncio.get_running_loop().time() < deadline, await joined()
            await asyncio.sleep(0.05)
        assert sorted(await joined()) == sorted(people)
        await check_phone(ada, "waiting")

        # Round 1: each phone shows exactly the table the server seated its person at.
        await presenter.click("#cafe-next-round")
        await expect(presenter.locator("#cafe-tables .cafe-table")).to_have_count(3)
        tables = await server_tables(server, code, cafe_id)
        assert sorted(len(t) for t in tables) == [2, 3, 3]
        assert tables[0][0] == bo_id  # the host, first at table 1
        seat = {member: index + 1 for index, members in enumerate(tables) for member in members}
        for phone, me in ((ada, ada_id), (bo, bo_id)):
            number = seat[me]
            topic = TOPICS[(number - 1) % len(TOPICS)]
            view = phone.locator("#cafe")
            await expect(view).to_have_attribute("data-state", "seated")
            await expect(view).to_have_attribute("data-table", str(number))
            await expect(phone.locator("#cafe-heading")).to_have_text(
                f"Round 1 of 2 – Table {number} – {topic}"
            )
            mates = [m for m in tables[number - 1] if m != me]
            listed = phone.locator("#cafe-tablemates li")
            await expect(listed).to_have_count(len(mates))
            for mate in mates:
                name, organisation = people[mate]
                item = phone.locator(f'#cafe-tablemates li[data-id="{mate}"]')
                await expect(item.locator(".cafe-mate-name")).to_have_text(name)
                await expect(item.locator(".cafe-mate-org")).to_contain_text(organisation)
            await expect(phone.locator("#cafe-room-link")).to_have_attribute(
                "href", f"https://video.example/{code}-{number}"
            )
            await expect(phone.locator("#cafe-time")).to_have_text(re.compile(r"^\d+:\d\d left$"))
        await expect(bo.locator("#cafe-host-note")).to_be_visible()
        await expect(ada.locator("#cafe-host-note")).to_be_hidden()
        if seat[ada_id] == 1:
            await expect(
                ada.locator(f'#cafe-tablemates li[data-id="{bo_id}"] .cafe-badge')
            ).to_have_text("host")

        # The presenter's overview: the tables with their sizes, who sits where.
        ada_table = seat[ada_id]
        grid_table = presenter.locator(f'#cafe-tables [data-table="{ada_table}"]')
        await expect(grid_table).to_have_attribute("data-size", str(len(tables[ada_table - 1])))
        await expect(grid_table.locator(f'li[data-id="{ada_id}"]')).to_contain_text("Ada Lovelace")
        colleagues = sum(
            people[a][1] == people[b][1] for t in tables for a, b in itertools.combinations(t, 2)
        )
        await expect(presenter.locator("#cafe-stats")).to_have_text(
            f"Seating: 0 repeated pairs · {colleagues} same-organisation pairs · "
            "tables of 2 to 3 people"
        )
        await expect(screen.locator("#screen-cafe-round")).to_have_text("Round 1 of 2")
        await expect(screen.locator("#screen-cafe-topics li")).to_have_text(TOPICS)

        # Ada writes a takeaway: the presenter sees it live on her table.
        await ada.fill("#cafe-harvest-text", "Cheap rail beats short flights")
        await ada.click("#cafe-harvest-send")
        await expect(ada.locator("#cafe-harvest-status")).to_have_text("Takeaway saved.")
        await expect(ada.locator("#cafe-harvests li .cafe-harvest-text")).to_have_text(
            "Cheap rail beats short flights"
        )
        await expect(ada.locator("#cafe-harvest-text")).to_have_value("")
        harvest = grid_table.locator(".cafe-stage-harvest")
        await expect(harvest).to_have_count(1)
        await expect(harvest.locator(".cafe-stage-harvest-text")).to_have_text(
            "Cheap rail beats short flights"
        )
        await check_phone(ada, "seated with a takeaway")

        # The presenter puts it on the big screen.
        await harvest.get_by_role("button", name="Show on the big screen").click()
        await expect(harvest.get_by_role("button", name="On the big screen")).to_have_attribute(
            "aria-pressed", "true"
        )
        shown = screen.locator("#screen-cafe-harvests li")
        await expect(shown).to_have_count(1)
        await expect(shown.locator(".screen-cafe-harvest-text")).to_have_text(
            "Cheap rail beats short flights"
        )
        topic = TOPICS[(ada_table - 1) % len(TOPICS)]
        await expect(shown.locator(".screen-cafe-harvest-meta")).to_have_text(
            f"Table {ada_table} · {topic} · Ada Lovelace"
        )
        await expect(presenter.locator("#cafe-spotlight li")).to_have_count(1)

        # Ada corrects it: the console and the big screen follow.
        await ada.locator("#cafe-harvests li").get_by_role("button", name="Edit").click()
        await expect(ada.locator("#cafe-harvest-text")).to_have_value(
            "Cheap rail beats short flights"
        )
        await ada.fill("#cafe-harvest-text", "Cheap night trains beat short flights")
        await ada.click("#cafe-harvest-send")
        await expect(ada.locator("#cafe-harvest-status")).to_have_text("Takeaway saved.")
        await expect(harvest.locator(".cafe-stage-harvest-text")).to_have_text(
            "Cheap night trains beat short flights"
        )
        await expect(shown.locator(".screen-cafe-harvest-text")).to_have_text(
            "Cheap night trains beat short flights"
        )
        await expect(ada.locator("#cafe-harvests li")).to_have_count(1)

        await assert_accessible(presenter, "presenter, café round with a harvest on screen")
        await assert_accessible(screen, "screen, café round with a harvest")
        await check_phone(bo, "host")
    finally:
        for guest in guests:
            await guest.disconnect()
    assert_clean(presenter, ada, bo)
    screen_log.assert_clean()


async def test_a_phone_that_reloads_mid_round_finds_its_table(
    server: RunningServer, browser: Browser
) -> None:
    """The welcome carries the table: a reload shows the same table, and the takeaway
    written before it, ready to edit."""
    event = await create_event(server.url, "Café reload")
    code = event["code"]
    ada = await open_phone(browser, server, code, "Ada", "Engines", "GB")
    ada_id = await attendee_id(server, code, "Ada")
    boss = await clients.presenter(server.url, code, event["presenter_key"])
    guest = await clients.attendee(server.url, code, "Guest", organisation="Globex", country="KE")
    try:
        created = await boss.call(
            "cafe:create", {"rounds": 1, "round_s": 600, "topics": ["Energy"], "tables": 1}
        )
        cafe_id = created["cafe"]["id"]
        assert (await boss.call("cafe:start", {"cafe_id": cafe_id}))["ok"]
        assert (await guest.call("cafe:join", {"cafe_id": cafe_id}))["ok"]
        await expect(ada.locator("#cafe")).to_have_attribute("data-state", "waiting")

        async def ada_joined() -> bool:
            answers = await server.services.store.list_answers(code, cafe_id)
            return ada_id in checked_in(answers)

        deadline = asyncio.get_running_loop().time() + 15
        while not await ada_joined():
            assert asyncio.get_running_loop().time() < deadline
            await asyncio.sleep(0.05)
        ack: dict[str, Any] = await boss.call("cafe:round", {"cafe_id": cafe_id, "round": 1})
        assert ack["ok"] and sorted(ack["tables"][0]["members"]) == sorted(
            [ada_id, guest.welcome["attendee"]["id"]]
        )
        await expect(ada.locator("#cafe")).to_have_attribute("data-table", "1")
        await ada.fill("#cafe-harvest-text", "Storage is the bottleneck")
        await ada.click("#cafe-harvest-send")
        await expect(ada.locator("#cafe-harvest-status")).to_have_text("Takeaway saved.")

        await ada.reload()
        await expect(ada.locator("#cafe")).to_have_attribute("data-table", "1")
        await expect(ada.locator("#cafe-heading")).to_have_text("Round 1 of 1 – Table 1 – Energy")
        await expect(ada.locator("#cafe-tablemates li .cafe-mate-name")).to_have_text(["Guest"])
        mine = ada.locator("#cafe-harvests li")
        await expect(mine.locator(".cafe-harvest-text")).to_have_text("Storage is the bottleneck")
        await mine.get_by_role("button", name="Remove").click()
        await expect(ada.locator("#cafe-harvest-status")).to_have_text("Takeaway removed.")
        await expect(mine).to_have_count(0)

        # The café ends: the phone says so.
        assert (await boss.call("cafe:end", {"cafe_id": cafe_id}))["ok"]
        await expect(ada.locator("#cafe")).to_have_attribute("data-state", "ended")
        await expect(ada.locator("#cafe-heading")).to_have_text("The world café is over")
        await check_phone(ada, "ended")
    finally:
        await boss.disconnect()
        await guest.disconnect()
    assert_clean(ada)


async def test_tablemates_see_a_takeaway_without_reloading(
    server: RunningServer, browser: Browser
) -> None:
    """Two phones at one table: what one adds, edits and removes shows on the other at
    once (cafe:table_harvests), announced once, with no buttons for someone else's."""
    event = await create_event(server.url, "Café notepad")
    code = event["code"]
    ada = await open_phone(browser, server, code, "Ada", "Engines", "GB")
    bo = await open_phone(browser, server, code, "Bo", "Globex", "KE")
    ids = sorted([await attendee_id(server, code, "Ada"), await attendee_id(server, code, "Bo")])
    boss = await clients.presenter(server.url, code, event["presenter_key"])
    try:
        created = await boss.call(
            "cafe:create", {"rounds": 1, "round_s": 600, "topics": ["Energy"], "tables": 1}
        )
        cafe_id = created["cafe"]["id"]
        assert (await boss.call("cafe:start", {"cafe_id": cafe_id}))["ok"]

        async def joined() -> list[str]:
            return sorted(checked_in(await server.services.store.list_answers(code, cafe_id)))

        await eventually_async(joined, ids)
        assert (await boss.call("cafe:round", {"cafe_id": cafe_id, "round": 1}))["ok"]
        for phone in (ada, bo):
            await expect(phone.locator("#cafe")).to_have_attribute("data-table", "1")

        await ada.fill("#cafe-harvest-text", "Storage is the bottleneck")
        await ada.click("#cafe-harvest-send")
        theirs = bo.locator("#cafe-harvests li")
        await expect(theirs.locator(".cafe-harvest-text")).to_have_text(
            ["Storage is the bottleneck"]
        )
        await expect(theirs.locator(".cafe-harvest-meta")).to_have_text("by Ada")
        await expect(theirs.get_by_role("button")).to_have_count(0)
        await expect(bo.locator("#announcer")).to_have_text("1 new takeaway from your table.")
        await expect(bo.locator("#cafe-harvests-empty")).to_be_hidden()
        await check_phone(bo, "seated with a tablemate's takeaway")

        mine = ada.locator("#cafe-harvests li")
        await mine.get_by_role("button", name="Edit").click()
        await ada.fill("#cafe-harvest-text", "Storage, not panels, is the bottleneck")
        await ada.click("#cafe-harvest-send")
        await expect(theirs.locator(".cafe-harvest-text")).to_have_text(
            ["Storage, not panels, is the bottleneck"]
        )
        await mine.get_by_role("button", name="Remove").click()
        await expect(theirs).to_have_count(0)
        await expect(bo.locator("#cafe-harvests-empty")).to_be_visible()
        # Bo writes back: Ada sees it, and Bo's own stays his to change.
        await bo.fill("#cafe-harvest-text", "Ask the grid operator")
        await bo.click("#cafe-harvest-send")
        await expect(mine.locator(".cafe-harvest-meta")).to_have_text("by Bo")
        await expect(theirs.get_by_role("button", name="Edit")).to_have_count(1)
    finally:
        await boss.disconnect()
    assert_clean(ada, bo)


async def test_leaving_the_cafe_checks_out_and_joining_again_checks_in(
    server: RunningServer, browser: Browser
) -> None:
    event = await create_event(server.url, "Café leave")
    code = event["code"]
    ada = await open_phone(browser, server, code, "Ada", "Engines", "GB")
    ada_id = await attendee_id(server, code, "Ada")
    boss = await clients.presenter(server.url, code, event["presenter_key"])
    try:
        created = await boss.call(
            "cafe:create", {"rounds": 2, "round_s": 600, "topics": ["Energy"], "table_size": 4}
        )
        cafe_id = created["cafe"]["id"]
        assert (await boss.call("cafe:start", {"cafe_id": cafe_id}))["ok"]

        async def joined() -> list[str]:
            return checked_in(await server.services.store.list_answers(code, cafe_id))

        await expect(ada.locator("#cafe")).to_have_attribute("data-state", "waiting")
        await eventually_async(lambda: joined(), [ada_id])
        await ada.click("#cafe-leave")
        await expect(ada.locator("#cafe")).to_have_attribute("data-state", "left")
        await eventually_async(lambda: joined(), [])
        await check_phone(ada, "left")
        # A reload does not check her in again: she left.
        await ada.reload()
        await expect(ada.locator("#cafe")).to_have_attribute("data-state", "left")
        await ada.click("#cafe-rejoin")
        await expect(ada.locator("#cafe")).to_have_attribute("data-state", "waiting")
        await eventually_async(lambda: joined(), [ada_id])
        # Leaving the event checks out of the café too.
        await ada.click("#leave")
        await expect(ada.locator("#join-view")).to_be_visible()
        await eventually_async(lambda: joined(), [])
    finally:
        await boss.disconnect()
    assert_clean(ada)


async def eventually_async(read: Any, expected: Any, timeout: float = 15) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while (got := await read()) != expected:
        assert asyncio.get_running_loop().time() < deadline, (got, expected)
        await asyncio.sleep(0.05)
