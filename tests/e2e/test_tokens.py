"""The Tokens page: create a token from the user menu, copy its secret (shown once), revoke it."""

from __future__ import annotations

import re

import requests
from playwright.sync_api import Page, expect

from tests.e2e.conftest import new_person, sign_up
from tests.support.procs import ServerProcess


def as_bearer(server: ServerProcess, secret: str) -> int:
    return requests.get(f"{server.url}/api/me", headers={"Authorization": f"Bearer {secret}"}, timeout=10).status_code


def test_create_copy_once_and_revoke_a_token(server: ServerProcess, page: Page) -> None:
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=server.url)
    person = new_person("tokens")
    sign_up(page, server.url, person)

    page.get_by_role("button", name=f"{person.username}: user menu").click()
    page.get_by_role("menuitem", name="Tokens").click()
    expect(page.get_by_role("heading", name="Tokens", level=1)).to_be_visible()
    expect(page).to_have_url(re.compile(r"/tokens$"))
    expect(page.get_by_text("No tokens yet.")).to_be_visible()

    page.get_by_role("textbox", name="Token name").fill("e2e bot")
    page.get_by_role("button", name="Create token").click()
    created = page.get_by_role("region", name=re.compile("e2e bot"))
    secret_box = created.get_by_test_id("token-secret")
    expect(secret_box).to_have_text(re.compile(r"^chr_[A-Za-z0-9_-]{43}$"))
    secret = secret_box.inner_text()
    created.get_by_role("button", name="Copy").click()
    expect(created.get_by_role("status")).to_have_text("Copied.")
    assert page.evaluate("navigator.clipboard.readText()") == secret
    assert as_bearer(server, secret) == 200

    tokens = page.get_by_role("list", name="Tokens")
    listed = tokens.get_by_role("listitem").filter(has_text="e2e bot")
    expect(listed).to_contain_text("Created")
    expect(listed).to_contain_text("Never used")

    # Leaving the page and coming back, or reloading it, never shows the secret again.
    page.get_by_role("button", name="Back to chat").click()
    expect(page.get_by_role("list", name="Messages")).to_be_attached()
    page.get_by_role("button", name=f"{person.username}: user menu").click()
    page.get_by_role("menuitem", name="Tokens").click()
    expect(listed).to_contain_text("Last used")  # the request above used it
    expect(page.get_by_test_id("token-secret")).to_have_count(0)
    assert secret not in page.content()
    page.reload()
    expect(tokens.get_by_role("listitem").filter(has_text="e2e bot")).to_be_visible()
    expect(page.get_by_test_id("token-secret")).to_have_count(0)
    assert secret not in page.content()

    # Revoking asks first; cancelling keeps the token.
    listed.get_by_role("button", name="Revoke").click()
    page.get_by_role("group", name="Revoke e2e bot?").get_by_role("button", name="Cancel").click()
    expect(listed).to_be_visible()
    assert as_bearer(server, secret) == 200
    listed.get_by_role("button", name="Revoke").click()
    page.get_by_role("button", name="Yes, revoke").click()
    expect(tokens).to_have_count(0)
    expect(page.get_by_text("No tokens yet.")).to_be_visible()
    assert as_bearer(server, secret) == 401
    page.reload()
    expect(page.get_by_text("No tokens yet.")).to_be_visible()
