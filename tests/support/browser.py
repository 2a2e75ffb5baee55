"""Debian's Chromium driven by Playwright (async API), for the browser tests and the
README screenshots. Never downloads a browser: it launches /usr/bin/chromium. Also the
accessibility checks every page test uses: axe-core (vendored in clients/web/vendor),
touch-target sizes and sideways overflow."""

from __future__ import annotations

import contextlib
import os
import shutil
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Browser, BrowserContext, ConsoleMessage, Page, async_playwright

from tests.support.server import RunningServer, running_server

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def chromium_path() -> str | None:
    """The system Chromium (PLENARY_CHROMIUM overrides), or None if there is none."""
    candidates = [os.environ.get("PLENARY_CHROMIUM"), "/usr/bin/chromium", shutil.which("chromium")]
    for path in candidates:
        if path and os.path.exists(path):
            return path
    return None


@pytest.fixture(name="browser")
async def chromium_browser() -> AsyncIterator[Browser]:
    """Fixture ``browser``: a headless Chromium for one test (import it into the test
    module: ``from tests.support.browser import chromium_browser``)."""
    async with chromium() as browser:
        yield browser


@pytest.fixture(name="server")
async def embedded_server() -> AsyncIterator[RunningServer]:
    """Fixture ``server``: the real server in embedded mode, for browser tests (import
    it into the test module: ``from tests.support.browser import embedded_server``)."""
    async with running_server() as running:
        yield running


@contextlib.asynccontextmanager
async def chromium() -> AsyncIterator[Browser]:
    """A headless Chromium for the duration of the block."""
    path = chromium_path()
    if path is None:
        raise RuntimeError("no Chromium found (apt-get install chromium)")
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=path, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            await browser.close()


@dataclass
class PageLog:
    """What a page printed to the console and the errors it threw."""

    errors: list[str] = field(default_factory=list)
    console: list[str] = field(default_factory=list)

    def assert_clean(self) -> None:
        assert not self.errors, f"page errors: {self.errors}"


async def open_page(
    browser: Browser,
    url: str,
    *,
    width: int = 1280,
    height: int = 800,
    before_goto: Callable[[Page], Awaitable[None]] | None = None,
    **context_options: object,
) -> tuple[Page, BrowserContext, PageLog]:
    """A page in its own context (own localStorage), recording console output and errors.
    ``before_goto`` runs first (e.g. to route the page's websocket)."""
    context = await browser.new_context(
        viewport={"width": width, "height": height}, **context_options
    )  # type: ignore[arg-type]
    page = await context.new_page()
    log = PageLog()
    page.on("pageerror", lambda exc: log.errors.append(str(exc)))

    def on_console(message: ConsoleMessage) -> None:
        log.console.append(f"{message.type}: {message.text}")

    page.on("console", on_console)
    if before_goto is not None:
        await before_goto(page)
    await page.goto(url)
    return page, context, log


# -- accessibility checks (WCAG 2.1 AA; clients/web/README.md, "Accessibility") --------------

AXE_JS = Path(__file__).resolve().parents[2] / "clients" / "web" / "vendor" / "axe.min.js"
BLOCKING_IMPACTS = ("serious", "critical")


async def axe_violations(
    page: Page, impacts: Sequence[str] = BLOCKING_IMPACTS
) -> list[dict[str, Any]]:
    """axe-core's violations on the page as it is now (the vendored axe.min.js, injected
    once per document), those of the given impacts, each with the failing elements."""
    if not await page.evaluate("() => typeof window.axe === 'object'"):
        await page.add_script_tag(path=str(AXE_JS))
    found: list[dict[str, Any]] = await page.evaluate(
        """async () => {
        const result = await window.axe.run(document, { resultTypes: ["violations"] });
        return result.violations.map((v) => ({
          id: v.id,
          impact: v.impact,
          help: v.help,
          nodes: v.nodes.map((n) => ({ target: n.target.join(" "), summary: n.failureSummary })),
        }));
    }"""
    )
    return [v for v in found if v["impact"] in impacts]


def describe_violations(violations: list[dict[str, Any]]) -> str:
    lines = []
    for v in violations:
        lines.append(f"- {v['id']} ({v['impact']}): {v['help']}")
        for node in v["nodes"][:5]:
            summary = " ".join(str(node["summary"]).split())
            lines.append(f"    {node['target']}: {summary[:300]}")
    return "\n".join(lines)


async def assert_accessible(page: Page, state: str) -> None:
    """No serious or critical axe-core violation on the page in this state (every page
    in every state its browser tests reach is held to it)."""
    violations = await axe_violations(page)
    assert not violations, f"axe, {state}:\n{describe_violations(violations)}"


async def assert_phone_friendly(page: Page, state: str) -> None:
    """An attendee's phone page in this state (``state`` names it in the messages): no
    serious axe-core violation, no control under 44 px, no sideways scrolling."""
    await assert_accessible(page, f"attendee, {state}")
    assert await small_touch_targets(page) == [], f"{state}: targets under 44 px"
    assert await horizontal_overflow(page) == 0, f"{state}: sideways scrolling"


async def small_touch_targets(page: Page, min_px: int = 44) -> list[str]:
    """The visible controls smaller than ``min_px`` square (a check box or radio inside a
    label counts as its label, which is what a finger taps)."""
    small: list[str] = await page.evaluate(
        """(min) => {
        const out = [];
        const controls = document.querySelectorAll(
          "a[href], button, input:not([type=hidden]), select, textarea, [role=button], " +
          "[tabindex]:not([tabindex='-1'])");
        for (const node of controls) {
          let target = node;
          if (node.matches("input[type=checkbox], input[type=radio]") && node.closest("label")) {
            target = node.closest("label");
          }
          const box = target.getBoundingClientRect();
          const hidden = getComputedStyle(target).visibility === "hidden";
          if (!box.width || !box.height || hidden) continue;
          if (box.width < min - 0.5 || box.height < min - 0.5) {
            out.push(`${node.tagName.toLowerCase()}#${node.id || ""}.${node.className || ""} ` +
                     `${Math.round(box.width)}x${Math.round(box.height)}`);
          }
        }
        return out;
    }""",
        min_px,
    )
    return small


async def horizontal_overflow(page: Page) -> int:
    """How many CSS pixels the page is wider than its viewport (0: no sideways scroll)."""
    overflow: int = await page.evaluate(
        "() => Math.max(0, document.documentElement.scrollWidth - window.innerWidth)"
    )
    return overflow
