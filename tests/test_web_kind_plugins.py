"""Activity kinds plug into the pages without editing another kind's code: a second kind
(a stand-in "quiz", served to the browser by the test) registers its page parts next to
the poll's, and the page shells hand it what is its own.

The real server and Chromium; only the stand-in kind's module and the activity in the
attendee's first ``welcome`` (the server has no quizzes yet) come from the test.
"""

from __future__ import annotations

import json
import re

import pytest
from playwright.async_api import Browser, Page, Route, WebSocketRoute, expect

from tests.support import clients
from tests.support.browser import (  # noqa: F401 - fixtures
    chromium,
    chromium_browser,
    chromium_path,
    embedded_server,
    open_page,
)
from tests.support.server import RunningServer, create_event

pytestmark = [
    pytest.mark.browser,
]
expect.set_options(timeout=15_000)

QUIZ = {"type": "quiz", "quiz": {"id": "q_1", "question": "Capital of Portugal?"}}

# What a kind's page modules look like (clients/web/README.md, "Adding an activity kind").
QUIZ_MODULE = """
import { $, el, setText } from "/static/js/core/dom.js";
import { registerKind } from "/static/js/core/kinds.js";

let ctx = null;
const items = [];

registerKind({
  type: "quiz",
  noun: "quiz",
  attendee: {
    mount(shell) {
      ctx = shell;
      const view = el("section", { id: "quiz", hidden: true }, el("h1", { id: "quiz-question" }));
      ctx.stage.append(view);
    },
    applyState(msg) {
      const on = msg.activity && msg.activity.type === "quiz";
      $("quiz").hidden = !on;
      if (on) {
        setText("quiz-question", msg.activity.quiz.question);
        ctx.enterStage("quiz");
      } else {
        ctx.leaveStage("quiz");
      }
    },
    clear() {
      $("quiz").hidden = true;
    },
  },
  presenter: {
    mount(shell) {
      shell.main.append(el("section", { id: "quizzes", class: "card" }, el("h2", {}, "Quizzes")));
    },
    items: () => items,
    item: () => null,
  },
});
"""


async def with_quiz(page: Page, role: str) -> None:
    """Load the stand-in kind's module on the page, as its script tag would. (The tag is
    added as an import of the shell's module: a page document served by the test instead
    of the server loses Chromium's local-network access to the server's websocket.)"""

    async def import_quiz(route: Route) -> None:
        response = await route.fetch()
        body = f'import "/static/js/activities/quiz/{role}.js";\n' + await response.text()
        await route.fulfill(response=response, body=body)

    async def serve_module(route: Route) -> None:
        await route.fulfill(body=QUIZ_MODULE, content_type="text/javascript")

    await page.route(f"**/static/js/{role}.js", import_quiz)
    await page.route(f"**/static/js/activities/quiz/{role}.js", serve_module)


async def quiz_on_stage_in_first_welcome(page: Page) -> None:
    """The attendee's first ``welcome`` says a quiz is on stage."""
    state = {"done": False}

    def route(ws: WebSocketRoute) -> None:
        upstream = ws.connect_to_server()

        def from_server(message: str | bytes) -> None:
            if (
                isinstance(message, str)
                and message.startswith('42["welcome"')
                and not state["done"]
            ):
                name, body = json.loads(message[2:])
                body["activity"] = QUIZ
                message = "42" + json.dumps([name, body])
                state["done"] = True
            ws.send(message)

        upstream.on_message(from_server)

    await page.route_web_socket(re.compile(r".*/socket\.io/.*"), route)


async def test_a_second_kind_plugs_into_the_attendee_page(
    server: RunningServer, browser: Browser
) -> None:
    event = await create_event(server.url)
    code = event["code"]

    async def setup(page: Page) -> None:
        await with_quiz(page, "attendee")
        await quiz_on_stage_in_first_welcome(page)

    attendee, _, log = await open_page(
        browser, f"{server.url}/?event={code}", width=390, height=844, before_goto=setup
    )
    await attendee.fill("#name", "Ada")
    await attendee.click("#join")
    # The shell handed the quiz on stage to the quiz kind: its view, no "waiting" card.
    await expect(attendee.locator("#quiz-question")).to_have_text("Capital of Portugal?")
    await expect(attendee.locator("#quiz")).to_be_visible()
    await expect(attendee.locator("#waiting")).to_be_hidden()
    await expect(attendee.locator("#poll")).to_be_hidden()

    # A poll goes on stage: the poll kind shows it, and the shell clears the quiz.
    boss = await clients.presenter(server.url, code, event["presenter_key"])
    try:
        created = await boss.call(
            "poll:create", {"question": "Lunch?", "kind": "single", "options": ["A", "B"]}
        )
        assert (await boss.call("poll:open", {"poll_id": created["poll"]["id"]}))["ok"]
        await expect(attendee.locator("#question")).to_have_text("Lunch?")
        await expect(attendee.locator("#poll")).to_be_visible()
        await expect(attendee.locator("#quiz")).to_be_hidden()
        await attendee.locator('#answer-area [data-option="b"]').click()
        await expect(attendee.locator("#answer-status")).to_have_text("Your answer: B")
    finally:
        await boss.disconnect()
    log.assert_clean()


async def test_a_second_kind_plugs_into_the_presenter_console(
    server: RunningServer, browser: Browser
) -> None:
    event = await create_event(server.url)

    async def setup(page: Page) -> None:
        await with_quiz(page, "presenter")

    presenter, _, log = await open_page(
        browser,
        f"{server.url}/presenter#event={event['code']}&key={event['presenter_key']}",
        before_goto=setup,
    )
    await expect(presenter.locator("#connection")).to_have_attribute("data-state", "connected")
    # Its card next to the poll's, and the stage names both kinds.
    await expect(presenter.locator("#quizzes")).to_be_visible()
    await expect(presenter.locator("#polls")).to_be_attached()
    # (in the order the kinds registered: here the quiz's module ran first; the other
    # installed kinds are named too, e.g. "No quiz, poll, world café or award ballot")
    both = r"(?=.*\bpoll\b)(?=.*\bquiz\b)[a-zé ,]+"
    await expect(presenter.locator("#stage-meta")).to_have_text(re.compile(f"^No {both} selected$"))
    await expect(presenter.locator("#stage-question")).to_have_text(
        re.compile(f"^Create an? {both} to get started$")
    )
    log.assert_clean()
