"""The whole stack as real processes, Mike's browser (Debian's Chromium) and a local SMTP server."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import Message
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session
from playwright.async_api import Browser, Page, async_playwright

from cascade.approvals.passwords import hash_password
from cascade.devstack.paths import repo_root
from cascade.devstack.pytest_plugin import StartService
from cascade.devstack.service_process import ServiceProcess, free_port

CHROMIUM = Path("/usr/bin/chromium")
# No download, no sandbox (root in CI), and nothing that phones home on a closed network.
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip
PASSWORD = "browser-tests-password"
TOKEN = "browser-tests-token"
NETSUITE = {
    "CASCADE_NETSUITE_ACCOUNT_ID": "TSTDRV1122334",
    "CASCADE_NETSUITE_CONSUMER_KEY": "ck-e2e",
    "CASCADE_NETSUITE_CONSUMER_SECRET": "cs-e2e",
    "CASCADE_NETSUITE_TOKEN_ID": "tk-e2e",
    "CASCADE_NETSUITE_TOKEN_SECRET": "ts-e2e",
}


@dataclass
class Mailbox:
    """What the local SMTP server accepted."""

    messages: list[Message] = field(default_factory=list)

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        assert isinstance(envelope.content, bytes)
        self.messages.append(message_from_bytes(envelope.content))
        return "250 OK queued"


@pytest.fixture
def mailbox() -> Iterator[tuple[Mailbox, int]]:
    """A local SMTP server on 127.0.0.1 in this process."""
    box, port = Mailbox(), free_port()
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    yield box, port
    controller.stop()


@dataclass(frozen=True)
class Stack:
    """The running services Mike's browser talks to, and the SMTP inbox."""

    intake: ServiceProcess
    approvals: ServiceProcess
    mailbox: Mailbox

    @property
    def ui(self) -> str:
        """The approvals UI, on `localhost` (a secure context, so `__Host-` cookies work)."""
        return f"http://localhost:{self.approvals.port}"


@pytest.fixture
def approvals_env() -> dict[str, str]:
    """More settings for the approvals process; a test module overrides this fixture (e.g. a
    short email retry schedule for an SMTP outage)."""
    return {}


@pytest.fixture
def services(
    start_service: StartService,
    mailbox: tuple[Mailbox, int],
    approvals_env: dict[str, str],
    tmp_path: Path,
) -> Stack:
    """NetSuite simulator, intake, runner, ns-pusher and approvals with its UI."""
    sim = start_service(
        "netsuite_sim",
        {**NETSUITE, "CASCADE_NETSUITE_SIM_DATA_DIR": str(tmp_path / "netsuite")},
    )
    netsuite = {**NETSUITE, "CASCADE_NETSUITE_BASE_URL": f"http://127.0.0.1:{sim.port}"}
    box, smtp_port = mailbox
    ui_env = {
        "CASCADE_ADMIN_TOKEN": TOKEN,
        "CASCADE_ADMIN_PASSWORD_HASH": hash_password(PASSWORD),
        "CASCADE_UI_SSE_POLL_S": "0.3",
        "CASCADE_SMTP_HOST": "127.0.0.1",
        "CASCADE_SMTP_PORT": str(smtp_port),
        "CASCADE_SMTP_FROM": "mike@cascade.example",
        **approvals_env,
    }
    _, _, intake, approvals = start_service.many(
        [
            ("runner", None),
            ("ns_pusher", {**netsuite, "CASCADE_ADMIN_TOKEN": TOKEN}),
            ("intake", None),
            ("approvals", ui_env),
        ]
    )
    return Stack(intake, approvals, box)


@pytest.fixture(scope="session")
def chromium() -> Path:
    """Debian's Chromium; `make test` installs it (scripts/ensure-chromium.sh)."""
    if not CHROMIUM.exists():
        pytest.fail("no /usr/bin/chromium: run scripts/ensure-chromium.sh (make test does)")
    return CHROMIUM


@pytest.fixture
async def browser(chromium: Path) -> AsyncIterator[Browser]:
    """Debian's headless Chromium driven by Playwright (never a downloaded browser)."""
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(
            executable_path=str(chromium), args=CHROMIUM_ARGS, headless=True
        )
        yield launched
        await launched.close()


@pytest.fixture
async def page(browser: Browser) -> AsyncIterator[Page]:
    """A fresh browser context; confirm dialogs are accepted like Mike would."""
    context = await browser.new_context(viewport={"width": 1400, "height": 1000})
    tab = await context.new_page()
    tab.on("dialog", lambda dialog: dialog.accept())
    yield tab
    await context.close()


@pytest.fixture
def artifacts() -> Path:
    """Where screenshots go (git-ignored)."""
    folder = repo_root() / "test-artifacts"
    folder.mkdir(exist_ok=True)
    return folder
