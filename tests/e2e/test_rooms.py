"""Two people in two rooms: the sidebar, unread counts, deep links, presence, typing, the drawer."""

from __future__ import annotations

import re
from collections.abc import Callable

from playwright.sync_api import BrowserContext, Locator, Page, expect

from tests.e2e.conftest import message_item, new_person, send, sign_up
from tests.support.clients import ChatClient
from tests.support.procs import ServerProcess


def rooms_nav(page: Page) -> Locator:
    return page.get_by_role("navigation", name="Rooms")


def create_room(page: Page, name: str, topic: str) -> None:
    page.get_by_role("button", name="New room").click()
    page.get_by_role("textbox", name="Room name").fill(name)
    page.get_by_role("textbox", name="Topic").fill(topic)
    page.get_by_role("button", name="Create room").click()


def test_two_people_in_two_rooms(server: ServerProcess, new_context: Callable[..., BrowserContext]) -> None:
    alice, bob = new_context().new_page(), new_context().new_page()
    alice_person, bob_person = new_person("alice"), new_person("bob")
    sign_up(alice, server.url, alice_person)
    sign_up(bob, server.url, bob_person)

    # Alice creates a room and lands in it; a second one with the same name is refused.
    create_room(alice, "Book Club", "What we read")
    expect(alice).to_have_url(re.compile(r"/r/book-club$"))
    expect(rooms_nav(alice).get_by_role("link", name=re.compile("^Book Club"))).to_have_attribute(
        "aria-current", "page"
    )
    expect(alice.get_by_role("heading", name="Book Club")).to_be_visible()
    create_room(alice, "book club!", "")
    expect(alice.locator(".new-room .field-error")).to_be_visible()
    alice.get_by_role("button", name="Cancel").click()

    # Bob opens a deep link in a fresh tab of his session: he joins, and shows as online.
    bob.goto(server.url + "/r/book-club")
    expect(bob.get_by_role("heading", name="Book Club")).to_be_visible()
    expect(rooms_nav(bob).get_by_role("link", name=re.compile("^Book Club"))).to_have_attribute("aria-current", "page")
    expect(alice.get_by_role("region", name="Online")).to_contain_text(bob_person.username)

    # Typing shows on the other side.
    alice.get_by_role("textbox", name="Message").press_sequentially("hel")
    expect(bob.get_by_role("status").filter(has_text="is typing")).to_have_text(f"{alice_person.username} is typing…")

    # Bob goes to general; what Alice writes in Book Club counts as unread for him.
    rooms_nav(bob).get_by_role("link", name=re.compile("^General")).click()
    expect(bob).to_have_url(re.compile(r"/r/general$"))
    send(alice, "Chapter one is great")
    send(alice, "Chapter two too")
    book_club_on_bob = rooms_nav(bob).get_by_role("link", name=re.compile("^Book Club"))
    expect(book_club_on_bob).to_have_accessible_name(re.compile("2 unread"))

    # Opening it shows what came meanwhile and reads it.
    book_club_on_bob.click()
    expect(message_item(bob, "Chapter two too")).to_have_count(1)
    expect(book_club_on_bob).to_have_accessible_name("Book Club")

    # A reload keeps the room, and `/` opens the last room used.
    bob.reload()
    expect(bob.get_by_role("heading", name="Book Club")).to_be_visible()
    expect(message_item(bob, "Chapter one is great")).to_have_count(1)
    expect(rooms_nav(bob).get_by_role("link", name="Book Club")).to_be_visible()
    bob.goto(server.url + "/")
    expect(bob).to_have_url(re.compile(r"/r/book-club$"))

    # Alt+Down and Alt+Up move to the room below and above in the list (by name: Book Club, General).
    expect(rooms_nav(bob).get_by_role("link", name="General")).to_be_visible()
    bob.get_by_role("textbox", name="Message").press("Alt+ArrowDown")
    expect(bob).to_have_url(re.compile(r"/r/general$"))
    bob.get_by_role("textbox", name="Message").press("Alt+ArrowUp")
    expect(bob).to_have_url(re.compile(r"/r/book-club$"))


def test_the_rooms_drawer_at_375_px(server: ServerProcess, new_context: Callable[..., BrowserContext]) -> None:
    page = new_context(viewport={"width": 375, "height": 740}).new_page()
    sign_up(page, server.url, new_person("carol"))
    nav = rooms_nav(page)
    toggle = page.get_by_role("button", name="Rooms")
    expect(nav).to_be_hidden()
    expect(toggle).to_have_attribute("aria-expanded", "false")
    toggle.click()
    expect(nav).to_be_visible()
    expect(page.get_by_role("region", name="Online")).to_be_visible()
    create_room(page, "Small Screens", "")
    expect(page).to_have_url(re.compile(r"/r/small-screens$"))
    expect(nav).to_be_hidden()
    toggle.click()
    nav.get_by_role("link", name=re.compile("^General")).click()
    expect(page).to_have_url(re.compile(r"/r/general$"))
    expect(nav).to_be_hidden()
    expect(page.get_by_role("textbox", name="Message")).to_be_visible()


def test_switching_rooms_keeps_the_scroll_position_and_shows_what_came_meanwhile(
    server: ServerProcess, new_context: Callable[..., BrowserContext]
) -> None:
    page = new_context(viewport={"width": 1280, "height": 700}).new_page()
    sign_up(page, server.url, new_person("reader"))
    create_room(page, "Long Room", "")
    expect(page).to_have_url(re.compile(r"/r/long-room$"))
    writer = ChatClient(server.url, "writer").signup().connect()
    try:
        assert writer.call("join", {"room": "long-room"})["ok"]
        for n in range(1, 41):
            assert writer.call("data", {"room": "long-room", "body": f"long line {n:02d}", "client_id": f"l-{n}"})["ok"]
        expect(message_item(page, "long line 40")).to_be_in_viewport()

        scroller = page.get_by_role("region", name="Message history")
        scroller.evaluate("element => { element.scrollTop = 300; element.dispatchEvent(new Event('scroll')); }")
        rooms_nav(page).get_by_role("link", name=re.compile("^General")).click()
        expect(page).to_have_url(re.compile(r"/r/general$"))
        assert writer.call("data", {"room": "long-room", "body": "while you were away", "client_id": "away"})["ok"]
        long_room = rooms_nav(page).get_by_role("link", name=re.compile("^Long Room"))
        expect(long_room).to_have_accessible_name(re.compile("1 unread"))

        long_room.click()
        expect(message_item(page, "while you were away")).to_have_count(1)
        assert scroller.evaluate("element => element.scrollTop") == 300
        expect(page.get_by_role("button", name="New messages ↓")).to_be_visible()
    finally:
        writer.close()
