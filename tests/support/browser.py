"""Debian's Chromium driven by Playwright (async API), for the browser tests and the
README screenshots. Never downloads a browser: it launches /usr/bin/chromium."""

from __future__ import annotations

import contextlib
import os
import shutil
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field

from playwright.async_api import Browser, BrowserContext, ConsoleMessage, Page, async_playwright

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
