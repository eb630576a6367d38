"""The Top view in a browser: the tabs, a ranking that holds still until the reader applies it,
collapse and Show, and the room header at 375 px."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from playwright.sync_api import BrowserContext, Locator, Page, expect

from tests.e2e.conftest import message_item, new_person, sign_up
from tests.support.clients import ChatClient
from tests.support.procs import ServerProcess


@contextmanager
def people(url: str, count: int) -> Iterator[list[ChatClient]]:
    """`count` people signed up and connected, closed afterwards."""
    clients: list[ChatClient] = []
    try:
        for _ in range(count):
            clients.append(ChatClient(url).signup().connect())
        yield clients
    finally:
        for client in clients:
            client.close()


def create_room(client: ChatClient, name: str) -> str:
    response = client.http.post(f"{client.base_url}/api/rooms", json={"name": name}, timeout=10)
    assert response.status_code == 201, response.text
    slug: str = response.json()["room"]["slug"]
    assert client.call("join", {"room": slug})["ok"]
    return slug


def write(client: ChatClient, slug: str, body: str) -> int:
    ack = client.call("data", {"room": slug, "body": body, "client_id": f"{slug}-{body}"})
    assert ack["ok"], ack
    message_id: int = ack["message"]["id"]
    return message_id


def vote(clients: list[ChatClient], direction: str, message_id: int) -> None:
    for client in clients:
        ack = client.call(direction, {"message_id": message_id})
        assert ack["ok"], ack


def top_items(page: Page) -> Locator:
    return page.get_by_role("list", name="Top messages").get_by_role("listitem")


def in_order(*texts: str) -> list[re.Pattern[str]]:
    """What `to_have_text` expects of a list whose items contain these texts, in this order."""
    return [re.compile(re.escape(text)) for text in texts]


def open_top(page: Page) -> None:
    tabs = page.get_by_role("tablist", name="View")
    tabs.get_by_role("tab", name="Top").click()
    expect(tabs.get_by_role("tab", name="Top")).to_have_attribute("aria-selected", "true")
    expect(tabs.get_by_role("tab", name="Live")).to_have_attribute("aria-selected", "false")


def test_top_holds_its_order_until_the_reader_applies_it(
    server: ServerProcess, new_context: Callable[..., BrowserContext]
) -> None:
    page = new_context(viewport={"width": 1280, "height": 800}).new_page()
    sign_up(page, server.url, new_person("reader"))
    with people(server.url, 5) as (writer, *voters):
        slug = create_room(writer, "Top Pill")
        alpha, bravo, charlie = (write(writer, slug, f"top {name}") for name in ("alpha", "bravo", "charlie"))
        vote(voters[:2], "upvote", alpha)
        vote(voters[:1], "upvote", bravo)

        page.goto(f"{server.url}/r/{slug}")
        expect(message_item(page, "top charlie")).to_have_count(1)
        tabs = page.get_by_role("tablist", name="View")
        expect(tabs.get_by_role("tab", name="Live")).to_have_attribute("aria-selected", "true")
        expect(page.get_by_role("combobox", name="Window")).to_have_count(0)

        open_top(page)
        window = page.get_by_role("combobox", name="Window")
        expect(window).to_have_value("day")
        expect(window.get_by_role("option")).to_have_text(["Hour", "Day", "Week", "All time"])
        expect(top_items(page)).to_have_text(in_order("top alpha", "top bravo", "top charlie"))

        # Four upvotes take charlie to the top of the ranking: its score changes where it is,
        # and the pill offers the new order; nothing moves until it is pressed.
        vote(voters, "upvote", charlie)
        expect(top_items(page).nth(2).get_by_label("score")).to_have_text("4")
        pill = page.get_by_role("button", name=re.compile(r"^\d+ updates"))
        expect(pill).to_have_accessible_name(re.compile(r"^1 updates"))
        expect(top_items(page)).to_have_text(in_order("top alpha", "top bravo", "top charlie"))
        page.wait_for_timeout(500)  # a moment in which a re-ordering would show
        expect(top_items(page)).to_have_text(in_order("top alpha", "top bravo", "top charlie"))

        pill.click()
        expect(top_items(page)).to_have_text(in_order("top charlie", "top alpha", "top bravo"))
        expect(pill).to_have_count(0)

        # Another window is another ranking; Live is one click away and kept its messages.
        window.select_option("all")
        expect(top_items(page).first).to_contain_text("top charlie")
        tabs.get_by_role("tab", name="Live").click()
        expect(message_item(page, "top alpha")).to_have_count(1)
        tabs.get_by_role("tab", name="Top").click()
        expect(page.get_by_role("combobox", name="Window")).to_have_value("all")


def test_the_new_order_keeps_the_reader_on_the_message_they_were_reading(
    server: ServerProcess, new_context: Callable[..., BrowserContext]
) -> None:
    page = new_context(viewport={"width": 1280, "height": 600}).new_page()
    sign_up(page, server.url, new_person("scroller"))
    with people(server.url, 3) as (writer, *voters):
        slug = create_room(writer, "Top Anchor")
        ids = [write(writer, slug, f"anchored {n:02d}") for n in range(1, 31)]
        page.goto(f"{server.url}/r/{slug}")
        open_top(page)
        expect(top_items(page)).to_have_count(30)

        # The reader scrolls down to message 20 (all are unvoted: the ranking is by id).
        scroller = page.get_by_role("region", name="Top messages by votes")
        target = top_items(page).filter(has_text="anchored 20")
        offset = target.evaluate(
            """(item) => {
                const scroller = item.closest('[role=region]');
                scroller.scrollTop += item.getBoundingClientRect().top - scroller.getBoundingClientRect().top;
                scroller.dispatchEvent(new Event('scroll'));
                return item.getBoundingClientRect().top - scroller.getBoundingClientRect().top;
            }"""
        )
        assert abs(offset) < 1

        # Message 25 rises to the top, above message 20: the view stays on message 20.
        vote(voters, "upvote", ids[24])
        page.get_by_role("button", name=re.compile(r"^1 updates")).click()
        expect(top_items(page).first).to_contain_text("anchored 25")
        position = target.evaluate(
            "(item) => item.getBoundingClientRect().top - item.closest('[role=region]').getBoundingClientRect().top"
        )
        assert abs(position) < 2, position
        assert scroller.evaluate("element => element.scrollTop") > 0


def test_a_message_voted_down_collapses_and_opens_with_show(
    server: ServerProcess, new_context: Callable[..., BrowserContext]
) -> None:
    page = new_context(viewport={"width": 1280, "height": 800}).new_page()
    sign_up(page, server.url, new_person("moderate"))
    with people(server.url, 6) as (writer, *voters):
        slug = create_room(writer, "Top Collapse")
        rude = write(writer, slug, "a rude remark")
        write(writer, slug, "a kind remark")
        page.goto(f"{server.url}/r/{slug}")
        expect(message_item(page, "a kind remark")).to_have_count(1)

        # Five downvotes reach the collapse threshold (-5): the message folds, live.
        vote(voters, "downvote", rude)
        collapsed = (
            page.get_by_role("list", name="Messages").get_by_role("listitem").filter(has_text="Collapsed by votes")
        )
        expect(collapsed).to_have_text(re.compile(r"Collapsed by votes \(score -5\) · Show"))
        expect(message_item(page, "a rude remark")).to_have_count(0)

        # Top shows it folded as well; Show opens it, with its vote buttons.
        open_top(page)
        folded = top_items(page).filter(has_text="Collapsed by votes")
        expect(folded).to_have_text(re.compile(r"Collapsed by votes \(score -5\) · Show"))
        folded.get_by_role("button", name="Show").click()
        opened = top_items(page).filter(has_text="a rude remark")
        expect(opened).to_have_count(1)
        expect(opened).not_to_contain_text("Collapsed by votes")

        # Voting still works on it: the reader's upvote lifts it above the threshold.
        opened.get_by_role("button", name="Upvote").click()
        expect(opened.get_by_role("button", name="Upvote")).to_have_attribute("aria-pressed", "true")
        expect(opened.get_by_label("score")).to_have_text("-4")

        # Another reader, who never pressed Show, sees it open again now that it is above -5.
        other = new_context().new_page()
        sign_up(other, server.url, new_person("other"))
        other.goto(f"{server.url}/r/{slug}")
        expect(message_item(other, "a rude remark")).to_have_count(1)
        vote(voters[:1], "upvote", rude)  # one voter switches sides: 2 up, 4 down
        expect(message_item(other, "a rude remark").get_by_label("score")).to_have_text("-2")


def test_the_room_name_is_readable_at_375_px(server: ServerProcess, new_context: Callable[..., BrowserContext]) -> None:
    page = new_context(viewport={"width": 375, "height": 740}).new_page()
    sign_up(page, server.url, new_person("narrow"))
    heading = page.get_by_role("heading", name="General")
    expect(heading).to_be_visible()
    assert heading.evaluate("element => element.scrollWidth <= element.clientWidth"), "the room name is cut"
    status = page.get_by_role("status").filter(has_text="Connected")
    expect(status).to_be_visible()
    expect(status).to_have_text("Connected")
    expect(page.get_by_role("tablist", name="View")).to_be_visible()
