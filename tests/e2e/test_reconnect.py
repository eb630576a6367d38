"""The server process dies and comes back: the page says so, recovers, and loses nothing."""

from __future__ import annotations

from collections.abc import Callable

import requests
from playwright.sync_api import BrowserContext, Page, expect

from tests.e2e.conftest import message_item, new_person, send, sign_up
from tests.support.procs import ServerProcess


def stored_bodies(server: ServerProcess, context: BrowserContext) -> list[str]:
    """The room's latest messages as the server has them, read with the page's session."""
    cookies = {cookie["name"]: cookie["value"] for cookie in context.cookies()}
    response = requests.get(
        f"{server.url}/api/rooms/general/messages", params={"limit": 100}, cookies=cookies, timeout=10
    )
    assert response.status_code == 200, response.text
    return [message["body"] for message in response.json()["messages"]]


def test_killing_and_restarting_the_server(server: ServerProcess, page: Page) -> None:
    sign_up(page, server.url, new_person("steady"))
    status = page.get_by_role("status").filter(has_text="Connect")
    send(page, "before the outage")
    expect(message_item(page, "before the outage").get_by_role("button", name="Upvote")).to_be_visible()

    server.kill()  # SIGKILL: no goodbye to the clients
    expect(page.get_by_role("status").filter(has_text="Reconnecting…")).to_be_visible()

    send(page, "written during the outage")
    during = message_item(page, "written during the outage")
    expect(during).to_contain_text("Waiting for connection…")

    server.start()  # same port, same database, same secret
    expect(status).to_have_text("Connected")
    # Sent from the outbox after the catch-up: acknowledged once, shown once.
    expect(during.get_by_role("button", name="Upvote")).to_be_visible()
    expect(during).to_have_count(1)
    expect(message_item(page, "before the outage")).to_have_count(1)
    assert stored_bodies(server, page.context).count("written during the outage") == 1

    # What a fresh load shows agrees.
    page.reload()
    expect(message_item(page, "written during the outage").get_by_role("button", name="Upvote")).to_be_visible()
    expect(message_item(page, "written during the outage")).to_have_count(1)
    expect(message_item(page, "before the outage")).to_have_count(1)


def test_another_person_catches_up_on_what_was_said_while_they_were_cut_off(
    server: ServerProcess, page: Page, new_context: Callable[..., BrowserContext]
) -> None:
    # The reader's connection drops (the server restarts) while a message and a vote happen on
    # the restarted server; on reconnect the reader gets both through join with after_seq.
    reader = page
    sign_up(reader, server.url, new_person("reader"))
    writer = new_context().new_page()
    sign_up(writer, server.url, new_person("writer"))
    send(writer, "said before")
    expect(message_item(reader, "said before")).to_have_count(1)

    server.kill()
    expect(reader.get_by_role("status").filter(has_text="Reconnecting…")).to_be_visible()
    # Keep the reader offline while the writer is already back: block its socket traffic.
    reader.context.route("**/socket.io/**", lambda route: route.abort())
    server.start()
    expect(writer.get_by_role("status").filter(has_text="Connect")).to_have_text("Connected")
    send(writer, "said while you were away")
    message_item(writer, "said before").get_by_role("button", name="Upvote").click()
    expect(message_item(writer, "said before").get_by_label("score")).to_have_text("1")

    reader.context.unroute("**/socket.io/**")
    expect(reader.get_by_role("status").filter(has_text="Connect")).to_have_text("Connected")
    expect(message_item(reader, "said while you were away")).to_have_count(1)
    expect(message_item(reader, "said before").get_by_label("score")).to_have_text("1")
    expect(message_item(reader, "said before")).to_have_count(1)
