"""Editing, deleting, moderators' deletes and mutes, and the public moderation log, in real browsers.

The first account of a server is its admin: this module's server is fresh, so the `admin`
fixture signs up before anyone else and appoints the moderators the tests need.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Iterator

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from tests.conftest import PASSWORD as CLIENT_PASSWORD
from tests.e2e.conftest import Person, message_item, new_person, send, sign_up
from tests.support.clients import ChatClient
from tests.support.procs import ServerProcess


@pytest.fixture(scope="module")
def admin(server: ServerProcess) -> Iterator[ChatClient]:
    """The server's first account, hence its admin."""
    client = ChatClient(server.url, f"admin_{uuid.uuid4().hex[:8]}").signup()
    me = client.http.get(f"{server.url}/api/me", timeout=10).json()["user"]
    assert me["role"] == "admin", me
    yield client
    client.close()


def appoint_moderator(server: ServerProcess, admin: ChatClient) -> tuple[Person, ChatClient]:
    """A new account made moderator by the admin, as a person who can log in and as a client."""
    client = ChatClient(server.url, f"mod_{uuid.uuid4().hex[:8]}").signup()
    response = admin.http.post(f"{server.url}/api/users/{client.username}/role", json={"role": "moderator"}, timeout=10)
    assert response.status_code == 200, response.text
    assert response.json()["user"]["role"] == "moderator"
    return Person(email=f"{client.username}@example.com", username=client.username, password=CLIENT_PASSWORD), client


def log_in(page: Page, base_url: str, person: Person) -> None:
    page.goto(base_url + "/")
    page.get_by_role("textbox", name="Email").fill(person.email)
    page.get_by_label("Password", exact=True).fill(person.password)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("list", name="Messages")).to_be_attached()
    expect(page.get_by_role("status").filter(has_text="Connected")).to_be_visible()


def test_an_author_edits_and_deletes_and_others_see_the_tombstone(
    server: ServerProcess, admin: ChatClient, new_context: Callable[..., BrowserContext]
) -> None:
    alice, bob = new_context().new_page(), new_context().new_page()
    alice_person = new_person("alice")
    sign_up(alice, server.url, alice_person)
    sign_up(bob, server.url, new_person("bob"))

    # Alice fixes a typo: Enter saves, and Bob sees the new text marked "edited".
    send(alice, "Helo everyone")
    mine = message_item(alice, "Helo everyone")
    mine.get_by_role("button", name="Edit", exact=True).click()
    box = alice.get_by_role("textbox", name="Edit message")
    expect(box).to_have_value("Helo everyone")
    box.fill("Hello everyone")
    box.press("Enter")
    expect(alice.get_by_role("textbox", name="Edit message")).to_have_count(0)
    on_bob = message_item(bob, "Hello everyone")
    expect(on_bob.locator(".message-body")).to_have_text("Hello everyone")
    expect(message_item(bob, "Helo everyone")).to_have_count(0)

    # "edited" opens the versions, oldest first.
    on_bob.get_by_role("button", name="edited").click()
    versions = bob.get_by_role("dialog").get_by_role("list", name="Versions").get_by_role("listitem")
    expect(versions).to_have_count(2)
    expect(versions.nth(0)).to_contain_text("Helo everyone")
    expect(versions.nth(1)).to_contain_text("Hello everyone")
    bob.keyboard.press("Escape")
    expect(bob.get_by_role("dialog")).to_have_count(0)

    # Escape in the edit box changes nothing.
    message_item(alice, "Hello everyone").get_by_role("button", name="Edit", exact=True).click()
    alice.get_by_role("textbox", name="Edit message").fill("Never mind")
    alice.get_by_role("textbox", name="Edit message").press("Escape")
    expect(message_item(alice, "Hello everyone")).to_have_count(1)
    expect(message_item(alice, "Never mind")).to_have_count(0)

    # Bob votes on a message Alice then deletes: a tombstone with no votes takes its place.
    send(alice, "Regrettable words")
    message_item(bob, "Regrettable words").get_by_role("button", name="Upvote").click()
    expect(message_item(alice, "Regrettable words").get_by_label("score")).to_have_text("1")
    message_item(alice, "Regrettable words").get_by_role("button", name="Delete").click()
    dialog = alice.get_by_role("dialog", name="Delete your message?")
    dialog.get_by_role("button", name="Delete").click()
    for page in (alice, bob):
        expect(message_item(page, "Regrettable words")).to_have_count(0)
        tombstone = message_item(page, "message deleted").filter(has_text=alice_person.username)
        expect(tombstone).to_have_count(1)
        expect(tombstone.get_by_role("button", name="Upvote")).to_have_count(0)

    # The history a reload brings has the edit and the tombstone too.
    bob.reload()
    expect(message_item(bob, "Hello everyone").get_by_role("button", name="edited")).to_be_visible()
    expect(message_item(bob, "message deleted").filter(has_text=alice_person.username)).to_have_count(1)


def test_a_moderator_deletes_with_a_reason_and_mutes_and_the_muted_person_sees_it(
    server: ServerProcess, admin: ChatClient, new_context: Callable[..., BrowserContext]
) -> None:
    moderator_person, moderator_client = appoint_moderator(server, admin)
    moderator_client.close()
    moderator, troll = new_context().new_page(), new_context().new_page()
    log_in(moderator, server.url, moderator_person)
    troll_person = new_person("troll")
    sign_up(troll, server.url, troll_person)

    # Members see no Delete on others' messages; the moderator does, and must give a reason.
    send(troll, "Buy cheap pills here")
    expect(message_item(moderator, "Buy cheap pills here")).to_have_count(1)
    message_item(moderator, "Buy cheap pills here").get_by_role("button", name="Delete").click()
    dialog = moderator.get_by_role("dialog", name=f"Delete the message by {troll_person.username}")
    dialog.get_by_role("button", name="Delete").click()
    expect(dialog.get_by_role("textbox", name="Reason")).to_have_accessible_description("Give a reason.")
    dialog.get_by_role("textbox", name="Reason").fill("spam")
    dialog.get_by_role("button", name="Delete").click()
    expect(moderator.get_by_role("dialog")).to_have_count(0)
    for page in (moderator, troll):
        expect(message_item(page, "Buy cheap pills here")).to_have_count(0)
    expect(message_item(troll, "message deleted").filter(has_text=troll_person.username)).to_have_count(1)

    # The moderator mutes the troll for 30 minutes from the author's menu.
    send(troll, "You cannot stop me")
    message_item(moderator, "You cannot stop me").get_by_role(
        "button", name=f"Moderate {troll_person.username}"
    ).click()
    moderator.get_by_role("menuitem", name="Mute").click()
    dialog = moderator.get_by_role("dialog", name=f"Mute {troll_person.username} in #general")
    dialog.get_by_role("spinbutton", name="Minutes").fill("30")
    dialog.get_by_role("textbox", name="Reason").fill("flooding")
    dialog.get_by_role("button", name="Mute").click()
    expect(moderator.get_by_role("dialog")).to_have_count(0)

    # The troll's composer is disabled at once and says until when and why; they still read.
    composer = troll.get_by_role("textbox", name="Message")
    expect(composer).to_be_disabled()
    expect(troll.get_by_text(re.compile(r"You are muted in #general until .*Reason: flooding"))).to_be_visible()
    send(moderator, "Let us keep it civil")
    expect(message_item(troll, "Let us keep it civil")).to_have_count(1)


def test_the_public_moderation_log_and_a_lifted_mute(
    server: ServerProcess, admin: ChatClient, new_context: Callable[..., BrowserContext]
) -> None:
    _, moderator = appoint_moderator(server, admin)
    member = ChatClient(server.url).signup()
    page = new_context().new_page()
    reader = new_person("reader")
    try:
        moderator.connect()
        member.connect()
        assert member.call("join", {"room": "general"})["ok"]
        sent = member.call("data", {"room": "general", "body": "something rude", "client_id": "rude"})
        assert sent["ok"], sent
        deleted = moderator.call("delete", {"message_id": sent["message"]["id"], "reason": "rudeness"})
        assert deleted["ok"], deleted
        muted = moderator.call(
            "mute", {"room": "general", "username": member.username, "minutes": 90, "reason": "cool down"}
        )
        assert muted["ok"], muted

        # Any logged-in person reads the log from the room header.
        sign_up(page, server.url, reader)
        page.get_by_role("link", name="Moderation log").click()
        expect(page).to_have_url(re.compile(r"/r/general/moderation$"))
        log = page.get_by_role("region", name="Moderation log")
        entries = log.get_by_role("list", name="Moderation actions").get_by_role("listitem")
        expect(entries.filter(has_text="Reason: cool down")).to_contain_text(
            f"{moderator.username} muted {member.username} for 1 hour 30 minutes"
        )
        expect(entries.filter(has_text="Reason: rudeness")).to_contain_text(
            f"{moderator.username} deleted a message by {member.username}"
        )

        # Appointing the moderator is in general's log too.
        expect(entries.filter(has_text=f"made {moderator.username} a moderator")).to_have_count(1)

        # A reload keeps the log open; "Back to the chat" returns to the room.
        page.reload()
        expect(log.get_by_role("list", name="Moderation actions")).to_be_visible()
        log.get_by_role("link", name="Back to the chat").click()
        expect(page).to_have_url(re.compile(r"/r/general$"))
        expect(page.get_by_role("textbox", name="Message")).to_be_enabled()

        # Lifting the mute is logged too.
        unmuted = moderator.call("unmute", {"room": "general", "username": member.username, "reason": "apologised"})
        assert unmuted["ok"], unmuted
        page.get_by_role("link", name="Moderation log").click()
        expect(entries.filter(has_text="lifted the mute")).to_contain_text(
            f"{moderator.username} lifted the mute of {member.username}"
        )
    finally:
        moderator.close()
        member.close()


def test_a_lifted_mute_opens_the_composer_again(
    server: ServerProcess, admin: ChatClient, new_context: Callable[..., BrowserContext]
) -> None:
    _, moderator = appoint_moderator(server, admin)
    page = new_context().new_page()
    person = new_person("muted")
    try:
        sign_up(page, server.url, person)
        moderator.connect()
        assert moderator.call(
            "mute", {"room": "general", "username": person.username, "minutes": 5, "reason": "a pause"}
        )["ok"]
        composer = page.get_by_role("textbox", name="Message")
        expect(composer).to_be_disabled()
        assert moderator.call("unmute", {"room": "general", "username": person.username})["ok"]
        expect(composer).to_be_enabled()
        send(page, "Thanks for lifting it")
        expect(message_item(page, "Thanks for lifting it").get_by_role("button", name="Upvote")).to_have_count(1)
    finally:
        moderator.close()
