"""Search a room and jump to a result; mentions: the sidebar badge, the Mentions button, the highlight."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable

from playwright.sync_api import BrowserContext, expect

from tests.e2e.conftest import message_item, new_person, sign_up
from tests.support.clients import ChatClient
from tests.support.procs import ServerProcess


def test_search_and_open_the_room_at_a_result(
    server: ServerProcess, new_context: Callable[..., BrowserContext]
) -> None:
    word = f"zebrafish{uuid.uuid4().hex[:6]}"
    bot = ChatClient(server.url).signup().connect()
    try:
        # An emoji before the match: the server's offsets count code points, the browser UTF-16 units.
        ack = bot.call("data", {"room": "general", "body": f"🎉🎉 the {word} is here"})
        assert ack["ok"], ack
        for index in range(80):
            assert bot.call("data", {"room": "general", "body": f"filler {index}"})["ok"]

        page = new_context().new_page()
        sign_up(page, server.url, new_person("alice"))
        expect(message_item(page, "filler 79")).to_have_count(1)
        # The first page holds the latest 50: the match is not loaded.
        expect(message_item(page, word)).to_have_count(0)

        box = page.get_by_role("searchbox", name="Search messages")
        box.fill(word)
        box.press("Enter")
        results = page.get_by_role("list", name="Search results")
        expect(results.get_by_role("listitem")).to_have_count(1)
        expect(results.locator("mark")).to_have_text(word)

        results.get_by_role("button").first.click()
        expect(results).to_have_count(0)
        target = message_item(page, word)
        expect(target).to_have_count(1)
        expect(target).to_be_in_viewport()
        expect(target).to_have_class(re.compile(r"\bmessage-flash\b"))
        # The highlight goes after a moment.
        expect(target).not_to_have_class(re.compile(r"\bmessage-flash\b"))
        jump = page.get_by_role("button", name=re.compile("Jump to latest"))
        expect(jump).to_be_visible()

        # News while the reader is away from the live end is not lost.
        assert bot.call("data", {"room": "general", "body": "written while you were away"})["ok"]
        jump.click()
        expect(message_item(page, "written while you were away")).to_have_count(1)
        expect(message_item(page, "written while you were away")).to_be_in_viewport()
        expect(jump).to_have_count(0)
    finally:
        bot.close()


def test_a_mention_badges_the_room_and_counts_on_the_mentions_button(
    server: ServerProcess, new_context: Callable[..., BrowserContext]
) -> None:
    alice_person = new_person("alice")
    page = new_context().new_page()
    sign_up(page, server.url, alice_person)
    # Alice has a second room, then goes back to General.
    page.get_by_role("button", name="New room").click()
    page.get_by_role("textbox", name="Room name").fill(f"Side {uuid.uuid4().hex[:6]}")
    page.get_by_role("button", name="Create room").click()
    expect(page).to_have_url(re.compile(r"/r/side-"))
    side_slug = page.url.rsplit("/", 1)[1]
    rooms = page.get_by_role("navigation", name="Rooms")
    rooms.get_by_role("link", name=re.compile("^General")).click()
    expect(page).to_have_url(re.compile(r"/r/general$"))
    expect(page.get_by_role("button", name="Mentions", exact=True)).to_be_visible()

    bob = ChatClient(server.url).signup().connect()
    try:
        body = f"hey @{alice_person.username.upper()} have a look, and **bold** too"
        assert bob.call("data", {"room": side_slug, "body": body})["ok"]

        side = rooms.get_by_role("link", name=re.compile("^Side"))
        expect(side).to_have_accessible_name(re.compile(r"1 mention\b"))
        button = page.get_by_role("button", name=re.compile(r"^Mentions \(1 unseen\)$"))
        expect(button).to_be_visible()

        button.click()
        expect(page.get_by_role("button", name="Mentions", exact=True)).to_have_attribute("aria-expanded", "true")
        entry = page.get_by_role("list", name="Your mentions").get_by_role("button", name=re.compile("have a look"))
        entry.click()

        expect(page).to_have_url(re.compile(rf"/r/{side_slug}$"))
        item = message_item(page, "have a look")
        expect(item).to_have_count(1)
        mine = item.locator(".mention-me")
        expect(mine).to_contain_text(f"@{alice_person.username.upper()}")
        expect(mine).to_have_css("text-decoration-line", "underline")
        expect(item.locator(".message-body strong")).to_have_text("bold")
        # Reading the room clears its badge.
        expect(side).not_to_have_accessible_name(re.compile("mention"))
        expect(page.get_by_role("button", name="Mentions", exact=True)).to_be_visible()
    finally:
        bob.close()
