"""Browser tests: the built client (frontend/dist) served by a real `python server.py`, driven
through Debian's Chromium with Playwright.

Each test module gets its own server process and a fresh SQLite database.
"""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from tests.support.procs import ROOT, ServerProcess

CHROMIUM = Path("/usr/bin/chromium")
DIST_INDEX = ROOT / "frontend" / "dist" / "index.html"
PASSWORD = "correct horse battery staple"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def _chromium() -> Path | None:
    if CHROMIUM.exists():
        return CHROMIUM
    found = shutil.which("chromium")
    return Path(found) if found else None


@pytest.fixture(scope="session", autouse=True)
def _prerequisites() -> None:
    """Fails every browser test with the fix when the built client or Chromium is missing."""
    if not DIST_INDEX.exists():
        pytest.fail(
            f"{DIST_INDEX} is missing: build the web client first (cd frontend && npm ci && npm run build).",
            pytrace=False,
        )
    if _chromium() is None:
        pytest.fail(
            "Chromium is missing: install Debian's package (as root: apt-get update && apt-get install -y chromium).",
            pytrace=False,
        )


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    """Playwright cannot download its own browser here: launch the system Chromium."""
    return {**browser_type_launch_args, "executable_path": str(_chromium() or CHROMIUM), "args": CHROMIUM_ARGS}


@pytest.fixture(scope="session", autouse=True)
def _expect_timeout() -> None:
    # Cross-browser live updates travel through a real server; give auto-waiting some room.
    expect.set_options(timeout=10_000)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """One real server process on a free port with its own database, for one test module."""
    workdir = tmp_path_factory.mktemp("e2e")
    with ServerProcess(f"sqlite:///{workdir / 'e2e.db'}", workdir) as proc:
        yield proc


@dataclass
class Person:
    email: str
    username: str
    password: str = PASSWORD


def new_person(prefix: str = "user") -> Person:
    tag = uuid.uuid4().hex[:8]
    return Person(email=f"{prefix}-{tag}@example.com", username=f"{prefix}_{tag}")


def open_sign_up(page: Page) -> None:
    """From the log-in page to the sign-up form. The log-in form has an Email box too, so wait
    for the hash route to swap the forms before filling anything."""
    page.get_by_role("link", name="Sign up").click()
    expect(page.get_by_role("heading", name="Create your account")).to_be_visible()


def sign_up(page: Page, base_url: str, person: Person) -> None:
    """Signs up through the forms, starting from the log-in page, and waits for the chat."""
    page.goto(base_url + "/")
    open_sign_up(page)
    page.get_by_role("textbox", name="Email").fill(person.email)
    page.get_by_role("textbox", name="Username").fill(person.username)
    page.get_by_label("Password", exact=True).fill(person.password)
    page.get_by_label("Confirm password").fill(person.password)
    page.get_by_role("button", name="Sign up").click()
    expect(page.get_by_role("list", name="Messages")).to_be_attached()
    expect(page.get_by_role("status").filter(has_text="Connected")).to_be_visible()


def send(page: Page, body: str) -> None:
    box = page.get_by_role("textbox", name="Message")
    box.fill(body)
    box.press("Enter")


def message_item(page: Page, text: str) -> Any:
    return page.get_by_role("list", name="Messages").get_by_role("listitem").filter(has_text=text)


@pytest.fixture
def new_context(browser: Browser) -> Iterator[Callable[..., BrowserContext]]:
    """Opens extra browser contexts (more people) and closes them after the test."""
    contexts: list[BrowserContext] = []

    def make(**options: Any) -> BrowserContext:
        context = browser.new_context(**options)
        contexts.append(context)
        return context

    yield make
    for context in contexts:
        context.close()
