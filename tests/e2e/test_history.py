"""History paging: scrolling up through 200 messages reaches the first, each shown once."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import message_item, new_person, sign_up
from tests.support.clients import ChatClient
from tests.support.procs import ServerProcess

SEEDED = 200


def body(n: int) -> str:
    return f"history message {n:03d}"


@pytest.fixture(scope="module")
def seeded(server: ServerProcess) -> ServerProcess:
    seeder = ChatClient(server.url, "historian").signup().connect()
    try:
        for n in range(1, SEEDED + 1):
            ack = seeder.call("data", {"room": "general", "body": body(n), "client_id": f"seed-{n}"})
            assert ack["ok"], ack
    finally:
        seeder.close()
    return server


def test_scrolling_up_loads_older_pages_until_the_first_message(seeded: ServerProcess, page: Page) -> None:
    page.set_viewport_size({"width": 1280, "height": 800})
    sign_up(page, seeded.url, new_person("reader"))
    items = page.get_by_role("list", name="Messages").get_by_role("listitem")
    scroller = page.get_by_role("region", name="Message history")

    # The room opens on its latest messages, scrolled to the bottom.
    expect(message_item(page, body(SEEDED))).to_be_in_viewport()
    expect(message_item(page, body(1))).to_have_count(0)

    for _ in range(SEEDED // 10):
        if message_item(page, body(1)).count() == 1:
            break
        loaded = items.count()
        top_body = items.first.locator(".message-body").inner_text()
        scroller.evaluate("element => { element.scrollTop = 0; }")
        expect(items).not_to_have_count(loaded)
        # Older messages went in above without moving the view: the message that was at
        # the top is still on screen.
        expect(message_item(page, top_body)).to_be_in_viewport()

    expect(message_item(page, body(1))).to_have_count(1)
    expect(page.get_by_text("This is the beginning of #general.")).to_be_attached()
    expect(items).to_have_count(SEEDED)
    bodies = page.locator(".messages .message-body").all_inner_texts()
    assert bodies == [body(n) for n in range(1, SEEDED + 1)]


def test_a_message_arriving_while_scrolled_up_shows_a_pill_instead_of_jumping(
    seeded: ServerProcess, page: Page
) -> None:
    page.set_viewport_size({"width": 1280, "height": 800})
    sign_up(page, seeded.url, new_person("scroller"))
    expect(message_item(page, body(SEEDED))).to_be_in_viewport()
    scroller = page.get_by_role("region", name="Message history")
    # Scroll up a little, not far enough to load an older page.
    scroller.evaluate("element => { element.scrollTop = element.scrollHeight - element.clientHeight - 600; }")
    expect(message_item(page, body(SEEDED))).not_to_be_in_viewport()

    writer = ChatClient(seeded.url, "latecomer").signup().connect()
    try:
        assert writer.call("data", {"room": "general", "body": "fresh news from below"})["ok"]
    finally:
        writer.close()

    pill = page.get_by_role("button", name="New messages")
    expect(pill).to_be_visible()
    fresh = message_item(page, "fresh news from below")
    expect(fresh).to_have_count(1)
    expect(fresh).not_to_be_in_viewport()
    # Screen readers hear about it through the live region.
    expect(page.locator("[aria-live='polite']")).to_have_text("latecomer: fresh news from below")

    pill.click()
    expect(fresh).to_be_in_viewport()
    expect(pill).to_have_count(0)
