"""A pitch session in a real Chromium against the real server (issue 18, the pages): the
presenter sets a session of three pitches up with the console's form (pasted, then put
in order with Move up), names a juror from the attendee list, opens it and puts the
first pitch on with a timer; two attendees on phone-sized screens (390 x 844) see it and
rate it 4 and 5 stars, one changes to 3 with the arrow keys, one leaves feedback; the
juror scores the criteria; the presenter sees the exact average (3 + 5) / 2 = 4.00 and
the count 2; the big screen shows the pitch and its timer and nothing private; the
pitch's feedback export holds the feedback and the jury's scores. Every page stays
accessible (axe-core) and free of errors."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from playwright.async_api import Browser, Page, expect

from tests.support.browser import (  # noqa: F401 - fixtures
    assert_accessible,
    assert_phone_friendly,
    chromium_browser,
    embedded_server,
    open_page,
)
from tests.support.server import RunningServer, create_event
from tests.test_browser import assert_clean, open_attendee, open_presenter

pytestmark = [pytest.mark.browser]
expect.set_options(timeout=15_000)

PASTED = [
    "Heat pumps; WarmCo; Cy Dube",
    "Solar roofs; SunCo; Ana Lima; Roofs that pay for themselves; https://sunco.example",
    "Bike lanes; CycleOrg; Bo Berg",
]
ORDER = ["Solar roofs", "Heat pumps", "Bike lanes"]  # after Solar roofs moves up


async def check_phone(page: Page, state: str) -> None:
    await assert_phone_friendly(page, f"pitch {state}")


async def saved(page: Page, text: str) -> None:
    status = page.locator("#pitch-status")
    await expect(status).to_have_text(text)
    await expect(status).to_have_attribute("data-state", "saved")


async def test_a_pitch_rated_on_phones_scored_by_a_juror_and_exported(
    server: RunningServer, browser: Browser, tmp_path: Path
) -> None:
    event = await create_event(server.url, "Pitch night")
    code = event["code"]
    presenter = await open_presenter(browser, server, event)
    screen, _, screen_log = await open_page(
        browser, f"{server.url}/screen?event={code}", width=1920, height=1080
    )
    screen.plenary_log = screen_log  # type: ignore[attr-defined]
    await expect(screen.locator("#connection")).to_have_attribute("data-state", "connected")
    ada = await open_attendee(browser, server, code, "Ada")
    bob = await open_attendee(browser, server, code, "Bob")
    judge = await open_attendee(browser, server, code, "Judge Jo")

    # The form: three pasted pitches, the second moved up to open the session.
    await presenter.fill("#pitch-session-title-input", "Green pitches")
    await presenter.fill("#pitch-paste", "\n".join(PASTED))
    await presenter.click("#pitch-paste-add")
    rows = presenter.locator("#pitch-rows > li")
    await expect(rows).to_have_count(3)
    await rows.nth(1).get_by_role("button", name="Move up").click()
    titles = presenter.locator("#pitch-rows input[data-field=title]")
    assert [await t.input_value() for t in await titles.all()] == ORDER
    await presenter.fill("#pitch-criteria-input", "Impact\nTeam")
    await presenter.fill("#pitch-timer-default", "120")
    await presenter.click("#pitch-create-button")
    listed = presenter.locator("#pitch-sessions [data-pitch-session-id]")
    await expect(listed).to_have_count(1)
    await expect(presenter.locator("#stage-question")).to_have_text("Green pitches")
    stage_titles = presenter.locator("#pitch-stage-pitches strong")
    await expect(stage_titles).to_have_text([f"{i + 1}. {t}" for i, t in enumerate(ORDER)])

    await presenter.click("#pitch-open")
    for phone in (ada, bob, judge):
        await expect(phone.locator("#pitch")).to_have_attribute("data-status", "open")
        await expect(phone.locator("#pitch-waiting")).to_be_visible()
    # The juror, chosen from the attendee list.
    await presenter.click("#pitch-jurors-load")
    await presenter.get_by_label("Judge Jo").check()
    await presenter.click("#pitch-jurors-save")
    await expect(presenter.locator("#pitch-jurors-now")).to_contain_text("Jurors: Judge Jo")

    # The first pitch on now, with the session's timer; then a 90 s timer started.
    await presenter.click("#pitch-next")
    await expect(presenter.locator("#pitch-stage-now")).to_have_text(
        "On now: Solar roofs (SunCo, Ana Lima)"
    )
    await presenter.fill("#pitch-timer-input", "90")
    await presenter.click("#pitch-timer-start")
    await expect(presenter.locator("#pitch-stage-countdown")).to_have_text(re.compile(r" left$"))
    await expect(screen.locator("#screen-pitch-title")).to_have_text("Solar roofs")
    await expect(screen.locator("#screen-pitch-organisation")).to_have_text("SunCo")
    await expect(screen.locator("#screen-pitch-speaker")).to_have_text("Ana Lima")
    await expect(screen.locator("#screen-pitch-status")).to_have_text(
        "Green pitches · Pitch 1 of 3"
    )
    timer = screen.locator("#screen-pitch-timer")
    await expect(timer).to_have_text(re.compile(r"^1:[0-3]\d$"))
    minutes, seconds = (await timer.inner_text()).split(":")
    assert 60 < int(minutes) * 60 + int(seconds) <= 90
    await assert_accessible(screen, "screen, pitch on now with its timer")

    for phone in (ada, bob):
        await expect(phone.locator("#pitch-title")).to_have_text("Solar roofs")
        await expect(phone.locator("#pitch-who")).to_have_text("SunCo · Ana Lima")
        await expect(phone.locator("#pitch-description")).to_have_text(
            "Roofs that pay for themselves"
        )
        await expect(phone.locator("#pitch-link")).to_have_attribute(
            "href", "https://sunco.example"
        )
        await expect(phone.locator("#pitch-jury")).to_be_hidden()
    await check_phone(ada, "on now, not rated")

    # Ratings: Ada 4, Bob 5; then Ada changes to 3 with the keyboard (a radio group).
    await ada.get_by_role("radio", name="4 stars").check()
    await saved(ada, "Saved: 4 stars for Solar roofs.")
    await bob.get_by_role("radio", name="5 stars").check()
    await saved(bob, "Saved: 5 stars for Solar roofs.")
    await ada.get_by_role("radio", name="4 stars").focus()
    await ada.keyboard.press("ArrowLeft")
    await expect(ada.get_by_role("radio", name="3 stars")).to_be_checked()
    await saved(ada, "Saved: 3 stars for Solar roofs.")
    await bob.fill("#pitch-feedback", "Great demo, clear numbers")
    await expect(bob.locator("#pitch-feedback-count")).to_have_text("25 of 500 characters")
    await bob.click("#pitch-feedback-send")
    await saved(bob, "Your feedback for Solar roofs is saved.")
    await check_phone(bob, "rated, feedback saved")

    # The juror sees the criteria; an empty score is refused on the page, then sent.
    await expect(judge.locator("#pitch-jury")).to_be_visible()
    await judge.get_by_label("Impact (1 to 10)").fill("8")
    await judge.click("#pitch-jury-send")
    await expect(judge.locator("#pitch-status")).to_have_text(
        "Score every criterion with a whole number from 1 to 10."
    )
    await judge.get_by_label("Team (1 to 10)").fill("6")
    await judge.fill("#pitch-jury-comment", "Bold plan")
    await judge.click("#pitch-jury-send")
    await saved(judge, "Your jury scores for Solar roofs are saved.")
    await check_phone(judge, "juror scores saved")

    # The presenter: exactly (3 + 5) / 2 = 4.00 from 2 ratings, 1 feedback, the jury's.
    row = presenter.locator('#pitch-stage-pitches [data-pitch-id="p1"]')
    await expect(row.locator(".pitch-average")).to_have_text("4.00")
    await expect(row.locator(".pitch-count")).to_have_text("2")
    await presenter.click("#pitch-next")  # Heat pumps
    await expect(row).to_contain_text("1 feedback · jury (1): Impact 8.00, Team 6.00")
    await expect(row.locator(".pitch-average")).to_have_text("4.00")
    # The big screen shows the pitch, never a rating or a feedback.
    await expect(screen.locator("#screen-pitch-title")).to_have_text("Heat pumps")
    screen_text = await screen.locator("body").inner_text()
    for private in ("4.00", "Great demo", "Bold plan", "Judge Jo"):
        assert private not in screen_text

    # An earlier pitch stays ratable: Ada picks it from the list, her 3 stars are there.
    await expect(ada.locator("#pitch-title")).to_have_text("Heat pumps")
    earlier = ada.locator("#pitch-so-far-list button")
    await expect(earlier).to_have_count(2)
    await expect(earlier.nth(0)).to_contain_text("your rating: 3 stars")
    await earlier.nth(0).click()
    await expect(ada.locator("#pitch-title")).to_have_text("Solar roofs")
    await expect(ada.get_by_role("radio", name="3 stars")).to_be_checked()
    await check_phone(ada, "an earlier pitch chosen")

    # The pitch's feedback export: what the pitcher is sent.
    async with presenter.expect_download() as info:
        await row.get_by_role("button", name="Download feedback").click()
    download = await info.value
    path = tmp_path / download.suggested_filename
    await download.save_as(path)
    assert download.suggested_filename == "pitch-feedback-solar-roofs.json"
    feedback = json.loads(path.read_text(encoding="utf-8"))
    assert feedback["pitch"]["title"] == "Solar roofs"
    assert feedback["ratings"] == {
        "count": 2,
        "average": 4.0,
        "stars": {"1": 0, "2": 0, "3": 1, "4": 0, "5": 1},
    }
    assert feedback["feedback"] == ["Great demo, clear numbers"]
    assert feedback["jury"] == [
        {"juror": "Judge Jo", "scores": {"k1": 8, "k2": 6}, "comment": "Bold plan"}
    ]

    # Closed: the phones say so and take nothing more.
    await presenter.click("#pitch-close")
    for phone in (ada, bob):
        await expect(phone.locator("#pitch-closed")).to_be_visible()
        await expect(phone.locator("#pitch-give")).to_be_hidden()
    await expect(screen.locator("#screen-pitch-note")).to_have_text(
        "The pitch session is over. Thank you!"
    )
    await assert_accessible(ada, "attendee, pitch session closed")
    assert_clean(presenter, screen, ada, bob, judge)
