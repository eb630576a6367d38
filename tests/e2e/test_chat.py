"""Two people in #general: messages and votes travel live between browsers."""

from __future__ import annotations

from collections.abc import Callable

from playwright.sync_api import BrowserContext, Dialog, expect

from tests.e2e.conftest import message_item, new_person, send, sign_up
from tests.support.procs import ServerProcess


def test_a_message_from_one_person_reaches_the_other(
    server: ServerProcess, new_context: Callable[..., BrowserContext]
) -> None:
    alice, bob = new_context().new_page(), new_context().new_page()
    console_errors: list[str] = []
    for page in (alice, bob):
        page.on("console", lambda message: console_errors.append(message.text) if message.type == "error" else None)
    sign_up(alice, server.url, new_person("alice"))
    sign_up(bob, server.url, new_person("bob"))

    send(alice, "Hello Bob, line one\nand line two")

    item = message_item(bob, "Hello Bob, line one")
    expect(item).to_have_count(1)
    expect(item).to_contain_text("alice_")
    # Line breaks are kept in the body.
    body = item.locator(".message-body")
    expect(body).to_have_text("Hello Bob, line one\nand line two")
    expect(body).to_have_css("white-space", "pre-wrap")
    # The sender sees it once, acknowledged (with vote buttons), not pending.
    expect(message_item(alice, "Hello Bob").get_by_role("button", name="Upvote")).to_have_count(1)
    # The client runs under the server's strict Content-Security-Policy without violating it.
    assert [text for text in console_errors if "Content Security Policy" in text] == []


def test_votes_update_live_and_a_second_click_removes_the_vote(
    server: ServerProcess, new_context: Callable[..., BrowserContext]
) -> None:
    alice, bob = new_context().new_page(), new_context().new_page()
    sign_up(alice, server.url, new_person("alice"))
    sign_up(bob, server.url, new_person("bob"))
    send(alice, "Vote on this one")

    on_alice = message_item(alice, "Vote on this one")
    on_bob = message_item(bob, "Vote on this one")
    expect(on_bob.get_by_label("score")).to_have_text("0")

    upvote = on_bob.get_by_role("button", name="Upvote")
    expect(upvote).to_have_attribute("aria-pressed", "false")
    upvote.click()
    expect(upvote).to_have_attribute("aria-pressed", "true")
    expect(on_bob.get_by_label("score")).to_have_text("1")
    expect(on_alice.get_by_label("score")).to_have_text("1")
    # Alice did not vote herself.
    expect(on_alice.get_by_role("button", name="Upvote")).to_have_attribute("aria-pressed", "false")

    upvote.click()
    expect(upvote).to_have_attribute("aria-pressed", "false")
    expect(on_bob.get_by_label("score")).to_have_text("0")
    expect(on_alice.get_by_label("score")).to_have_text("0")

    # The opposite vote switches it.
    on_bob.get_by_role("button", name="Downvote").click()
    expect(on_alice.get_by_label("score")).to_have_text("-1")
    expect(on_bob.get_by_role("button", name="Downvote")).to_have_attribute("aria-pressed", "true")


def test_markup_in_a_message_is_shown_as_text(
    server: ServerProcess, new_context: Callable[..., BrowserContext]
) -> None:
    alice, bob = new_context().new_page(), new_context().new_page()
    dialogs: list[str] = []

    def remember(dialog: Dialog) -> None:
        dialogs.append(dialog.message)
        dialog.dismiss()

    for page in (alice, bob):
        page.on("dialog", remember)
    sign_up(alice, server.url, new_person("alice"))
    sign_up(bob, server.url, new_person("bob"))

    payload = "<img src=x onerror=alert(1)>"
    send(alice, payload)
    send(alice, "<script>alert(2)</script> and https://example.com/page")

    for page in (alice, bob):
        expect(message_item(page, payload).locator(".message-body")).to_have_text(payload)
        expect(message_item(page, "alert(2)").locator(".message-body")).to_have_text(
            "<script>alert(2)</script> and https://example.com/page"
        )
        link = message_item(page, "alert(2)").get_by_role("link", name="https://example.com/page")
        expect(link).to_have_attribute("rel", "noopener noreferrer")
        expect(page.get_by_role("list", name="Messages").locator("img, script")).to_have_count(0)
    # A reload renders the history the same way.
    bob.reload()
    expect(message_item(bob, payload).locator(".message-body")).to_have_text(payload)
    assert dialogs == []
