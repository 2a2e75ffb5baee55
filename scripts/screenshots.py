#!/usr/bin/env python3
"""Screenshots of the three pages for the README, taken from a real server with real votes.

    .venv/bin/python scripts/screenshots.py [--out docs/img]

Starts the server in this process (memory store), creates an event with a few polls,
lets some Socket.IO attendees vote, then photographs the presenter console (1280x800),
an attendee's phone (390x844) and the big screen (1280x720) with Playwright driving
Debian's /usr/bin/chromium (never a downloaded browser).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from playwright.async_api import expect  # noqa: E402
from tests.support import clients  # noqa: E402
from tests.support.browser import chromium, open_page  # noqa: E402
from tests.support.server import create_event, running_server  # noqa: E402

REGIONS = ["Europe", "Americas", "Africa", "Asia-Pacific"]
# Choices of the scripted attendees (option ids of REGIONS).
REGION_VOTES = list("aaaaaaabbbbbcccddddaab")
WORDS = [
    "curious",
    "Curious!",
    "energised",
    "sleepy",
    "curious",
    "excited",
    "focused",
    "Excited",
    "hopeful",
    "caffeinated",
    "energised",
    "curious",
    "calm",
    "ready",
]
RATINGS = [5, 4, 4, 5, 3, 4, 5, 2, 4, 5]


async def take(out: Path) -> None:
    async with running_server() as server:
        event = await create_event(server.url, "Product all-hands, autumn")
        code, key = event["code"], event["presenter_key"]
        boss = await clients.presenter(server.url, code, key)
        crowd = [
            await clients.attendee(server.url, code, f"Attendee {i}")
            for i in range(len(REGION_VOTES))
        ]
        try:
            polls = {}
            for spec in (
                {"question": "One word for how you feel today", "kind": "wordcloud"},
                {
                    "question": "How useful was the last quarter's roadmap review?",
                    "kind": "rating",
                    "scale": 5,
                },
                # Live results on the big screen before the reveal (the screen switch).
                {
                    "question": "Where are you joining from?",
                    "kind": "single",
                    "options": REGIONS,
                    "screen_live": True,
                },
            ):
                ack = await boss.call("poll:create", spec)
                assert ack["ok"], ack
                polls[spec["kind"]] = ack["poll"]["id"]

            # Earlier polls: answered and closed.
            await must(boss.call("poll:open", {"poll_id": polls["wordcloud"]}))
            for attendee, word in zip(crowd, WORDS, strict=False):
                await must(attendee.vote(polls["wordcloud"], word))
            await must(boss.call("poll:open", {"poll_id": polls["rating"]}))
            for attendee, rating in zip(crowd, RATINGS, strict=False):
                await must(attendee.vote(polls["rating"], rating))
            await must(boss.call("poll:close", {"poll_id": polls["rating"]}))
            await must(boss.call("poll:reveal", {"poll_id": polls["rating"]}))

            # The poll on stage.
            single = polls["single"]
            await must(boss.call("poll:open", {"poll_id": single}))
            for attendee, choice in zip(crowd, REGION_VOTES, strict=True):
                await must(attendee.vote(single, choice))

            async with chromium() as browser:
                phone, _, _ = await open_page(
                    browser,
                    f"{server.url}/?event={code}",
                    width=390,
                    height=844,
                    is_mobile=True,
                    has_touch=True,
                )
                await phone.fill("#name", "Ada Lovelace")
                await phone.fill("#country", "United Kingdom")
                await phone.click("#join")
                await expect(phone.locator("#question")).to_have_text("Where are you joining from?")
                await phone.locator('#answer-area [data-option="a"]').click()
                await expect(phone.locator("#answer-status")).to_have_text("Your answer: Europe")
                total = str(len(REGION_VOTES) + 1)

                presenter, _, _ = await open_page(
                    browser,
                    f"{server.url}/presenter#event={code}&key={key}",
                    width=1280,
                    height=800,
                )
                await expect(presenter.locator("#total")).to_have_text(total, timeout=15_000)
                await must(boss.call("poll:reveal", {"poll_id": single}))
                await expect(phone.locator("#results-total")).to_have_text(total, timeout=15_000)
                await expect(
                    presenter.locator(f'#polls [data-poll-id="{single}"]')
                ).to_have_attribute("data-revealed", "true")

                screen, _, _ = await open_page(
                    browser, f"{server.url}/screen?event={code}", width=1280, height=720
                )
                await expect(screen.locator("#total")).to_have_text(total, timeout=15_000)

                await asyncio.sleep(0.5)  # let the bars' width transition finish
                await presenter.screenshot(path=str(out / "presenter.png"))
                await phone.screenshot(path=str(out / "attendee.png"))
                await screen.screenshot(path=str(out / "screen.png"))
        finally:
            for client in (boss, *crowd):
                await client.disconnect()
    for name in ("presenter", "attendee", "screen"):
        print(out / f"{name}.png")


async def must(call: object) -> dict:
    ack = await call  # type: ignore[misc]
    assert ack["ok"], ack
    return ack


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "img")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    asyncio.run(take(args.out))


if __name__ == "__main__":
    main()
