"""A quiz in a real Chromium against the real server: one full question round with the
presenter's console (desktop), two attendees on phone-sized screens (390x844) and the
big screen (1920x1080), all driven as people would.

The presenter creates the quiz with the console's form and starts it; the first
question opens; nothing on the phones or the big screen says which answer is right
(their DOM text and markup) until it closes; Ada answers right and Bob wrong; the
presenter closes the question (a third attendee, online but silent, keeps it from
closing by itself); each phone shows its own exact points and rank (from the server's
measured time and the documented formula), the big screen the distribution and the
leaderboard; the presenter ends the quiz and the podium appears second then first
(no third: two players). Every page stays accessible (axe-core) and free of errors.
"""

from __future__ import annotations

import re
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
from tests.support.quiz import speed_points
from tests.support.server import RunningServer, create_event
from tests.test_browser import open_attendee, open_presenter
from tests.test_http_api import request

pytestmark = [pytest.mark.browser]
expect.set_options(timeout=15_000)

QUESTION = "Capital of Portugal?"
OPTIONS = ["Porto", "Lisbon", "Faro", "Braga"]
LIMIT_S = 120
POINTS = 1000


async def create_quiz(presenter: Page, title: str) -> str:
    """The console's "New quiz" form: one single-choice question, Lisbon right."""
    await presenter.fill("#quiz-title-input", title)
    editor = presenter.locator("#quiz-question-editors .quiz-editor").first
    await editor.locator("[data-field=kind]").select_option("single")
    await editor.locator("[data-field=question]").fill(QUESTION)
    await editor.locator("[data-field=time_limit_s]").fill(str(LIMIT_S))
    for letter, label in zip("abcd", OPTIONS, strict=True):
        await editor.locator(f'[data-field=option][data-letter="{letter}"]').fill(label)
    await editor.locator('[data-field=correct][data-letter="b"]').check()
    await presenter.click("#quiz-create-button")
    row = presenter.locator("#quizzes [data-quiz-id]").filter(has_text=title)
    await expect(row).to_have_count(1)
    await expect(row).to_have_attribute("data-phase", "draft")
    quiz_id = await row.get_attribute("data-quiz-id")
    assert quiz_id and quiz_id.startswith("qz_")
    return quiz_id


async def reveals_nothing(page: Page, where: str) -> None:
    """Nothing on the page says which answer is right: no mark in the markup, no word
    for it in the text (the page cannot know it: the server never sent it)."""
    html = await page.content()
    assert "data-correct" not in html, where
    assert "is-correct" not in html, where
    text = await page.locator("body").inner_text()
    assert "Correct" not in text, where
    assert "✓" not in text, where


async def quiz_export(server: RunningServer, event: dict[str, str]) -> dict[str, Any]:
    url = f"{server.url}/api/events/{event['code']}/export"
    status, data, _ = await request("GET", url, event["presenter_key"])
    assert status == 200, data
    [item] = data["quizzes"]
    return item  # type: ignore[no-any-return]


async def test_one_full_question_round_on_every_page(
    server: RunningServer, browser: Browser
) -> None:
    event = await create_event(server.url, "Quiz night")
    code = event["code"]
    presenter = await open_presenter(browser, server, event)
    screen, _, screen_log = await open_page(
        browser, f"{server.url}/screen?event={code}", width=1920, height=1080
    )
    await expect(screen.locator("#connection")).to_have_attribute("data-state", "connected")
    ada = await open_attendee(browser, server, code, "Ada Lovelace")
    bob = await open_attendee(browser, server, code, "Bob Brown")
    # Online but silent: the question waits for the presenter's Close, not for everyone.
    silent = await clients.attendee(server.url, code, "Silent Sam")
    try:
        await expect(presenter.locator("#online")).to_have_text("3")

        quiz_id = await create_quiz(presenter, "Capitals")
        row = presenter.locator(f'#quizzes [data-quiz-id="{quiz_id}"]')
        await row.locator('[data-action="start"]').click()
        await expect(row).to_have_attribute("data-phase", "lobby")
        for phone in (ada, bob):
            await expect(phone.locator("#quiz")).to_have_attribute("data-phase", "lobby")
            await expect(phone.locator("#quiz-question")).to_have_text("Capitals")
        await expect(screen.locator("#screen-quiz")).to_have_attribute("data-phase", "lobby")
        await expect(screen.locator("#screen-quiz-question")).to_have_text("Capitals")
        await assert_accessible(ada, "quiz lobby, phone")

        # The first question: tiles with a shape and a label on the phones and the screen.
        stage = presenter.locator("#quiz-stage")
        await stage.locator('[data-quiz-action="next"]').click()
        await expect(stage).to_have_attribute("data-phase", "question")
        await expect(presenter.locator("#quiz-stage-answer")).to_have_text("Right answer: Lisbon")
        for page in (ada, bob):
            await expect(page.locator("#quiz-question")).to_have_text(QUESTION)
            tiles = page.locator("#quiz-answer-area [data-option]")
            await expect(tiles).to_have_text(OPTIONS)
            shapes = [await t.get_attribute("data-shape") for t in await tiles.all()]
            assert shapes == ["triangle", "diamond", "circle", "square"]
            await expect(page.locator("#quiz-countdown")).to_contain_text("s left")
        await expect(screen.locator("#screen-quiz-tiles [data-option]")).to_have_text(OPTIONS)
        await expect(screen.locator("#screen-quiz-countdown")).to_have_text(re.compile(r"^\d+$"))
        countdown = int(await screen.locator("#screen-quiz-countdown").inner_text())
        assert LIMIT_S - 30 < countdown <= LIMIT_S
        for page, where in ((ada, "Ada, open"), (bob, "Bob, open"), (screen, "screen, open")):
            await reveals_nothing(page, where)
        await assert_accessible(ada, "quiz question, phone")
        await assert_accessible(screen, "quiz question, screen")

        # Ada answers right, Bob wrong; each answer is taken once, with its time.
        await ada.locator('#quiz-answer-area [data-option="b"]').click()
        await bob.locator('#quiz-answer-area [data-option="a"]').click()
        for page, label in ((ada, "Lisbon"), (bob, "Porto")):
            status = page.locator("#quiz-status")
            await expect(status).to_have_attribute("data-state", "saved")
            await expect(status).to_contain_text(f"Your answer: {label}")
            await expect(page.locator("#quiz-answer-area [data-option]").first).to_be_disabled()
        await expect(presenter.locator("#quiz-answered")).to_have_text("2 of 3 online answered")
        await expect(screen.locator("#screen-quiz-answered")).to_have_attribute("data-count", "2")
        await expect(screen.locator("#screen-quiz-answered")).to_have_text("2 answers")
        for page, where in ((ada, "Ada, answered"), (bob, "Bob, answered"), (screen, "screen")):
            await reveals_nothing(page, where)
        await assert_accessible(ada, "quiz answered, phone")

        # The presenter closes the question.
        await stage.locator('[data-quiz-action="close"]').click()
        await expect(stage).to_have_attribute("data-phase", "reveal")
        item = await quiz_export(server, event)
        answers = {a["name"]: a for a in item["questions"][0]["answers"]}
        assert set(answers) == {"Ada Lovelace", "Bob Brown"}
        points = speed_points(POINTS, answers["Ada Lovelace"]["elapsed_ms"], LIMIT_S)
        assert (answers["Ada Lovelace"]["points"], answers["Bob Brown"]["points"]) == (points, 0)
        assert 500 <= points <= POINTS

        # Each phone: its own verdict, exact points and rank.
        await expect(ada.locator("#quiz-verdict")).to_have_text("Correct!")
        await expect(ada.locator("#quiz-points")).to_have_text(f"+{points:,} points")
        await expect(ada.locator("#quiz-standing")).to_have_text(f"Score {points:,} · rank 1 of 2")
        await expect(bob.locator("#quiz-verdict")).to_have_text("Wrong")
        await expect(bob.locator("#quiz-points")).to_have_text("+0 points")
        await expect(bob.locator("#quiz-standing")).to_have_text("Score 0 · rank 2 of 2")
        for page in (ada, bob):
            await expect(page.locator("#quiz-correct")).to_have_text("The answer: Lisbon")
            right = page.locator('#quiz-answer-area [data-option="b"]')
            await expect(right).to_have_attribute("data-correct", "true")
            await expect(right).to_contain_text("Correct")
        await expect(bob.locator('#quiz-answer-area [data-option="a"]')).to_contain_text(
            "Your answer"
        )

        # The big screen: how many chose what (the right one marked in words), the top.
        rows = screen.locator("#screen-quiz-distribution [data-option]")
        await expect(rows).to_have_count(4)
        counts = {
            await r.get_attribute("data-option"): (
                await r.get_attribute("data-count"),
                await r.get_attribute("data-correct"),
            )
            for r in await rows.all()
        }
        assert counts == {
            "a": ("1", "false"),
            "b": ("1", "true"),
            "c": ("0", "false"),
            "d": ("0", "false"),
        }
        await expect(rows.nth(1)).to_contain_text("✓ Correct")
        board = screen.locator("#screen-quiz-leaderboard li")
        await expect(board).to_have_count(2)
        await expect(board.nth(0)).to_have_attribute("data-rank", "1")
        await expect(board.nth(0)).to_contain_text("Ada Lovelace")
        await expect(board.nth(0)).to_contain_text(f"{points:,} points")
        await expect(board.nth(1)).to_contain_text("Bob Brown")
        await expect(board.nth(1)).to_contain_text("0 points")
        await assert_accessible(ada, "quiz result, phone")
        await assert_accessible(bob, "quiz result, phone")
        await assert_accessible(screen, "quiz reveal, screen")
        await assert_accessible(presenter, "quiz reveal, console")

        # The end: the podium, second place first, then the winner.
        await stage.locator('[data-quiz-action="end"]').click()
        await expect(stage).to_have_attribute("data-phase", "ended")
        podium = screen.locator("#screen-quiz-podium-places")
        await expect(podium).to_have_attribute("data-revealed", "2,1")
        await expect(podium.locator('[data-place="1"]')).to_contain_text("Ada Lovelace")
        await expect(podium.locator('[data-place="2"]')).to_contain_text("Bob Brown")
        await expect(podium.locator('[data-place="3"]')).to_have_count(0)
        await expect(ada.locator("#quiz-final-rank")).to_have_text("Rank 1 of 2")
        await expect(ada.locator("#quiz-final-score")).to_have_text(
            f"Score {points:,} · 1 of 1 right"
        )
        await expect(bob.locator("#quiz-final-rank")).to_have_text("Rank 2 of 2")
        await assert_accessible(ada, "quiz ended, phone")
        await assert_accessible(screen, "quiz podium, screen")
    finally:
        await silent.disconnect()
    for page in (presenter, ada, bob):
        page.plenary_log.assert_clean()  # type: ignore[attr-defined]
    screen_log.assert_clean()
