"""The checks themselves: the accessibility checker fails on a page that is deliberately bad
and passes a good one (both served with the pages' CSP, so injecting axe under that CSP is
proven), and the overflow measure sees a page wider than the phone."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from playwright.async_api import Browser

from tests.e2e.browser.axe import describe, rule_ids, serious_violations
from tests.e2e.browser.sizes import overflow, sized

pytestmark = [pytest.mark.browser]

PAGES = {
    # An input without a label, grey on white at about 1.6:1, an image without alt text.
    "/bad": """<!doctype html><html lang="en"><head><title>Bad</title>
<link rel="stylesheet" href="/bad.css"></head><body><main>
<h1>Bad page</h1><p class="faint">Hard to read</p><form><input id="x" type="text"></form>
<img src="/pixel.png"></main></body></html>""",
    "/bad.css": ".faint { color: #cccccc; background: #ffffff; }",
    "/wide": """<!doctype html><html lang="en"><head><title>Wide</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="stylesheet" href="/wide.css"></head><body><main><h1>Wide</h1>
<p class="wide">a 700 px wide paragraph</p></main></body></html>""",
    "/wide.css": "body { margin: 0; } .wide { width: 700px; }",
    "/no-viewport-meta": """<!doctype html><html lang="en"><head><title>Old</title></head>
<body><main><h1>Old</h1></main></body></html>""",
    "/good": """<!doctype html><html lang="en"><head><title>Good</title>
<meta name="viewport" content="width=device-width, initial-scale=1"></head><body><main>
<h1>Good page</h1><p>Easy to read</p>
<form><label for="x">Company</label><input id="x" type="text"></form></main></body></html>""",
}
TYPES = {".css": "text/css"}


class _Pages(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = PAGES.get(self.path)
        if body is None:
            self.send_error(404)
            return
        kind = next((t for end, t in TYPES.items() if self.path.endswith(end)), "text/html")
        self.send_response(200)
        self.send_header("Content-Type", f"{kind}; charset=utf-8")
        self.send_header("Content-Security-Policy", "default-src 'self'")
        self.end_headers()
        self.wfile.write(body.encode())

    def log_message(self, format: str, *args: object) -> None:
        return


@pytest.fixture
def site() -> Iterator[str]:
    """The pages above on 127.0.0.1, under `default-src 'self'`."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Pages)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()


async def test_the_checker_finds_a_missing_label_and_low_contrast(
    browser: Browser, site: str
) -> None:
    page = await browser.new_page()
    await page.goto(f"{site}/bad")
    found = await serious_violations(page)
    assert {"label", "color-contrast", "image-alt"} <= set(rule_ids(found)), describe(found)
    targets = {v["id"]: [n["target"] for n in v["nodes"]] for v in found}
    assert targets["label"] == ["#x"]
    assert targets["color-contrast"] == ["p"]  # axe names the shortest unique selector
    assert "serious color-contrast" in describe(found)
    # The page's CSP stayed on: its own inline script would still be refused.
    refused = await page.evaluate(
        """() => new Promise((done) => {
          document.addEventListener("securitypolicyviolation", () => done(true));
          const s = document.createElement("script"); s.textContent = "1";
          document.body.append(s); setTimeout(() => done(false), 2000);
        })"""
    )
    assert refused


async def test_a_good_page_has_no_serious_violation(browser: Browser, site: str) -> None:
    page = await browser.new_page()
    await page.goto(f"{site}/good")
    assert await serious_violations(page) == []
    await page.reload()  # axe is injected again on a new document
    assert describe(await serious_violations(page)) == "no serious or critical axe violation"


async def test_overflow_sees_a_page_wider_than_the_phone(browser: Browser, site: str) -> None:
    async with sized(browser, "phone") as page:
        await page.goto(f"{site}/wide")
        # The phone zooms out to show it all, so innerWidth grows with the page (the old
        # `scrollWidth - innerWidth` said 0 here)...
        assert await page.evaluate("() => window.innerWidth") == 700
        # ...but the screen does not.
        assert await overflow(page) == 700 - 390
        await page.goto(f"{site}/no-viewport-meta")
        assert await overflow(page) == 980 - 390  # laid out at a desktop width
        await page.goto(f"{site}/good")
        assert await overflow(page) == 0
