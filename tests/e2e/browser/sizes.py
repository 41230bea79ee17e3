"""The two screen sizes every page is judged at, and what each page must do at both."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Literal

from playwright.async_api import Browser, Page

Size = Literal["desktop", "phone"]
VIEWPORTS: dict[Size, dict[str, int]] = {
    "desktop": {"width": 1440, "height": 900},
    "phone": {"width": 390, "height": 844},
}
SIZES: tuple[Size, ...] = ("desktop", "phone")


@asynccontextmanager
async def sized(browser: Browser, size: Size) -> AsyncIterator[Page]:
    """A fresh context at `size` (a phone is also touch, with a phone's pixel ratio); confirm
    dialogs are accepted like Mike would."""
    phone = size == "phone"
    context = await browser.new_context(
        viewport=VIEWPORTS[size],
        is_mobile=phone,
        has_touch=phone,
        device_scale_factor=3 if phone else 1,
    )
    tab = await context.new_page()
    tab.on("dialog", lambda dialog: dialog.accept())
    try:
        yield tab
    finally:
        await context.close()


async def overflow(page: Page) -> int:
    """How many CSS pixels the page is wider than the screen it is judged at (0 when it fits).

    Measured against the configured viewport, not `window.innerWidth`: a mobile browser zooms
    out to fit content wider than the screen, and `innerWidth` then grows with the content
    (a 706 px wide page on a 390 px phone reports innerWidth 706, overflow 0); without a
    viewport meta the layout is 980 px wide. The screen does not grow.
    """
    screen = page.viewport_size
    assert screen is not None, "sized() always sets a viewport"
    width = await page.evaluate(
        "() => Math.max(document.documentElement.scrollWidth, document.body.scrollWidth)"
    )
    return max(0, int(width) - screen["width"])


async def shoot(page: Page, artifacts: Path, name: str, size: Size) -> Path:
    """A full-page screenshot `<name>-<size>.png` in test-artifacts/."""
    path = artifacts / f"{name}-{size}.png"
    await page.screenshot(path=path, full_page=True)
    return path
