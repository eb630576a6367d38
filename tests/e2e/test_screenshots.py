"""Screenshots of the product for the README: the sign-up page and the chat at 1440 and 375 px.

A test run writes them to a temporary folder; `make screenshots` points SCREENSHOTS_DIR at
docs/screenshots to refresh the tracked images on purpose.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from tests.e2e.conftest import Person, message_item, send, sign_up
from tests.support.clients import ChatClient
from tests.support.procs import ServerProcess

CONVERSATION = [
    (
        "maya",
        "Morning all! The staging deploy went out at 9:40, release notes are here: https://example.com/releases/42",
    ),
    ("jonas", "Thanks @maya. Two things I noticed:\n1. **search** feels snappier\n2. the export button moved"),
    ("priya", "Can confirm the export button moved, it is under `Share` now."),
    ("maya", "Yes, that was on purpose. Feedback welcome before Friday."),
    ("jonas", "Works for me. Lunch at 12:30?"),
]


@pytest.fixture(scope="module")
def screenshots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """SCREENSHOTS_DIR when set (`make screenshots`), else a temporary folder."""
    chosen = os.environ.get("SCREENSHOTS_DIR")
    folder = Path(chosen) if chosen else tmp_path_factory.mktemp("screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture(scope="module")
def conversation(server: ServerProcess) -> ServerProcess:
    """A short, realistic conversation with a few votes, written by three people."""
    people = {name: ChatClient(server.url, name).signup().connect() for name in ("maya", "jonas", "priya")}
    try:
        ids = []
        for author, body in CONVERSATION:
            ack = people[author].call("data", {"room": "general", "body": body})
            assert ack["ok"], ack
            ids.append(ack["message"]["id"])
        for voter, event, index in [
            ("jonas", "upvote", 0),
            ("priya", "upvote", 0),
            ("maya", "upvote", 2),
            ("priya", "downvote", 4),
        ]:
            assert people[voter].call(event, {"message_id": ids[index]})["ok"]
        # A few more rooms, so the sidebar shows what a community looks like.
        for name, topic in [("Design reviews", "Mockups and critique"), ("Release planning", "What ships when")]:
            people["maya"].client.create_room(name, topic)
    finally:
        for person in people.values():
            person.close()
    return server


def chat_page(context: BrowserContext, server: ServerProcess, person: Person) -> Page:
    page = context.new_page()
    sign_up(page, server.url, person)
    return page


def test_sign_up_page(server: ServerProcess, new_context: Callable[..., BrowserContext], screenshots: Path) -> None:
    page = new_context(viewport={"width": 1440, "height": 900}).new_page()
    page.goto(server.url + "/#/signup")
    page.get_by_role("textbox", name="Email").fill("sam@example.com")
    page.get_by_role("textbox", name="Username").fill("sam")
    password = page.get_by_label("Password", exact=True)
    password.fill("short")
    password.blur()
    expect(password).to_have_attribute("aria-invalid", "true")
    page.screenshot(path=screenshots / "signup.png")


def test_chat_at_1440_and_375(
    conversation: ServerProcess, new_context: Callable[..., BrowserContext], screenshots: Path
) -> None:
    wide = chat_page(
        new_context(viewport={"width": 1440, "height": 900}), conversation, Person("sam@example.com", "sam")
    )
    expect(message_item(wide, "Lunch at 12:30?")).to_be_visible()
    # Sam joins Release planning and goes back to General; what Maya writes there meanwhile
    # shows as unread in the sidebar.
    wide.get_by_role("button", name=re.compile("^Browse rooms")).click()
    wide.get_by_role("button", name="Join Release planning").click()
    expect(wide.get_by_role("heading", name="Release planning")).to_be_visible()
    wide.get_by_role("navigation", name="Rooms").get_by_role("link", name=re.compile("^General")).click()
    expect(wide.get_by_role("heading", name="General")).to_be_visible()
    maya = ChatClient(conversation.url, "maya").login().connect()
    try:
        assert maya.call("join", {"room": "release-planning"})["ok"]
        for body in ["Release 43 is planned for Thursday.", "@sam anything that must go in, say so by Wednesday noon."]:
            assert maya.call("data", {"room": "release-planning", "body": body})["ok"]
    finally:
        maya.close()
    planning = wide.get_by_role("navigation", name="Rooms").get_by_role("link", name=re.compile("^Release planning"))
    expect(planning).to_have_accessible_name(re.compile("2 unread"))
    send(wide, "12:30 works. See you at the usual place!")
    own = message_item(wide, "See you at the usual place")
    expect(own.get_by_role("button", name="Upvote")).to_be_visible()
    message_item(wide, "Yes, that was on purpose").get_by_role("button", name="Upvote").click()
    expect(message_item(wide, "Yes, that was on purpose").get_by_label("score")).to_have_text("1")
    wide.mouse.move(0, 0)
    wide.screenshot(path=screenshots / "chat-1440.png")

    narrow_context = new_context(viewport={"width": 375, "height": 812}, is_mobile=True, has_touch=True)
    narrow = narrow_context.new_page()
    narrow.goto(conversation.url + "/")
    narrow_context.add_cookies(wide.context.cookies())
    narrow.reload()
    expect(message_item(narrow, "See you at the usual place").get_by_role("button", name="Upvote")).to_be_visible()
    # Nothing sticks out sideways at 375 px.
    assert narrow.evaluate("document.documentElement.scrollWidth") <= 375
    narrow.screenshot(path=screenshots / "chat-375.png")
