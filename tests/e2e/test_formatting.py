"""Message formatting: safe Markdown in real browsers, under the server's strict CSP."""

from __future__ import annotations

from collections.abc import Callable

from playwright.sync_api import BrowserContext, Dialog, Page, expect

from tests.e2e.conftest import message_item, new_person, send, sign_up
from tests.support.procs import ServerProcess

# Collects CSP violations from the page itself (the event fires for every blocked load or script).
CSP_WATCH = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__cspViolations.push(event.violatedDirective + " " + event.blockedURI);
});
"""


def watched(context: BrowserContext, dialogs: list[str], console: list[str]) -> Page:
    """A page that records dialogs (dismissing them), console errors and CSP violations."""
    page = context.new_page()
    page.add_init_script(CSP_WATCH)

    def remember(dialog: Dialog) -> None:
        dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", remember)
    page.on("console", lambda message: console.append(message.text) if message.type == "error" else None)
    return page


def csp_violations(page: Page) -> list[str]:
    return list(page.evaluate("window.__cspViolations"))


def test_markdown_renders_and_hostile_markup_stays_harmless(
    server: ServerProcess, new_context: Callable[..., BrowserContext]
) -> None:
    dialogs: list[str] = []
    console: list[str] = []
    alice = watched(new_context(), dialogs, console)
    bob = watched(new_context(), dialogs, console)
    sign_up(alice, server.url, new_person("alice"))
    sign_up(bob, server.url, new_person("bob"))

    send(alice, "this is **bold** and _soft_ and ~~gone~~ and `x < y`")
    send(alice, "```\nline one\n    line two indented\n```")
    send(alice, "<img src=x onerror=alert(1)>")
    send(alice, "[click me](javascript:alert(2)) and ![cat](https://example.com/cat.png)")

    for page in (alice, bob):
        bold = message_item(page, "this is bold").locator(".message-body strong")
        expect(bold).to_have_text("bold")
        expect(message_item(page, "this is bold").locator(".message-body em")).to_have_text("soft")
        expect(message_item(page, "this is bold").locator(".message-body s")).to_have_text("gone")
        expect(message_item(page, "this is bold").locator(".message-body code")).to_have_text("x < y")

        code = message_item(page, "line one").locator(".message-body pre code")
        expect(code).to_have_count(1)
        assert code.evaluate("node => node.textContent") == "line one\n    line two indented\n"
        pre = message_item(page, "line one").locator(".message-body pre")
        expect(pre).to_have_css("white-space", "pre")
        expect(pre).to_have_css("overflow-x", "auto")
        # Two lines tall, not one: the line break is kept in the layout.
        assert code.evaluate("node => node.getClientRects().length") >= 1
        line_height = float(code.evaluate("node => parseFloat(getComputedStyle(node).lineHeight) || 16"))
        assert code.bounding_box() is not None
        assert code.bounding_box()["height"] >= 1.8 * line_height  # type: ignore[index]

        raw = message_item(page, "onerror")
        expect(raw.locator(".message-body")).to_have_text("<img src=x onerror=alert(1)>")

        hostile = message_item(page, "click me")
        expect(hostile.locator(".message-body")).to_contain_text("[click me](javascript:alert(2))")
        expect(hostile.locator("a[href^='javascript']")).to_have_count(0)
        # The image syntax is a link to the address; no image is ever loaded.
        cat = hostile.get_by_role("link", name="cat")
        expect(cat).to_have_attribute("href", "https://example.com/cat.png")
        expect(cat).to_have_attribute("rel", "noopener noreferrer")
        expect(cat).to_have_attribute("target", "_blank")
        expect(page.get_by_role("list", name="Messages").locator("img, script, iframe")).to_have_count(0)
        # Clicking the text of the refused link runs nothing.
        hostile.locator(".message-body").get_by_text("click me", exact=False).click()

    # A reload renders the history the same way.
    bob.reload()
    expect(message_item(bob, "this is bold").locator(".message-body strong")).to_have_text("bold")
    expect(message_item(bob, "onerror").locator(".message-body")).to_have_text("<img src=x onerror=alert(1)>")

    assert dialogs == []
    for page in (alice, bob):
        assert csp_violations(page) == []
    assert [text for text in console if "Content Security Policy" in text] == []
