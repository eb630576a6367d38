"""Signing up, logging in and out, and the messages a person sees when that fails."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.e2e.conftest import new_person, open_sign_up, sign_up
from tests.support.procs import ServerProcess


def log_in(page: Page, email: str, password: str) -> None:
    page.get_by_role("textbox", name="Email").fill(email)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Log in").click()


def test_sign_up_with_a_taken_email_offers_to_log_in(server: ServerProcess, page: Page) -> None:
    person = new_person("taken")
    sign_up(page, server.url, person)
    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_role("button", name="Log in")).to_be_visible()

    open_sign_up(page)
    page.get_by_role("textbox", name="Email").fill(person.email.upper())
    page.get_by_role("textbox", name="Username").fill(new_person().username)
    page.get_by_label("Password", exact=True).fill(person.password)
    page.get_by_label("Confirm password").fill(person.password)
    page.get_by_role("button", name="Sign up").click()

    email = page.get_by_role("textbox", name="Email")
    expect(email).to_have_accessible_description("Email already registered. Go to the log-in page")
    expect(email).to_have_attribute("aria-invalid", "true")
    page.get_by_role("button", name="Go to the log-in page").click()
    expect(page.get_by_role("button", name="Log in")).to_be_visible()
    expect(page.get_by_role("textbox", name="Email")).to_have_value(person.email.upper())


def test_sign_up_with_a_taken_username(server: ServerProcess, page: Page) -> None:
    first = new_person("same")
    sign_up(page, server.url, first)
    page.get_by_role("button", name="Log out").click()
    open_sign_up(page)
    page.get_by_role("textbox", name="Email").fill(new_person().email)
    page.get_by_role("textbox", name="Username").fill(first.username.upper())
    page.get_by_label("Password", exact=True).fill(first.password)
    page.get_by_label("Confirm password").fill(first.password)
    page.get_by_role("button", name="Sign up").click()
    expect(page.get_by_role("textbox", name="Username")).to_have_accessible_description("Username already taken.")


def test_sign_up_checks_fields_as_the_person_types(server: ServerProcess, page: Page) -> None:
    page.goto(server.url + "/#/signup")
    email = page.get_by_role("textbox", name="Email")
    email.fill("not-an-email")
    email.blur()
    expect(email).to_have_attribute("aria-invalid", "true")
    password = page.get_by_label("Password", exact=True)
    password.fill("short")
    password.blur()
    expect(password).to_have_accessible_description("Use at least 10 characters (5 more).")
    page.get_by_label("Confirm password").fill("shorter")
    expect(page.get_by_label("Confirm password")).to_have_accessible_description("The passwords do not match.")


def test_wrong_password_shows_one_message_naming_no_field(server: ServerProcess, page: Page) -> None:
    person = new_person("login")
    sign_up(page, server.url, person)
    page.get_by_role("button", name="Log out").click()

    log_in(page, person.email, "not the right password")
    alert = page.get_by_role("alert")
    expect(alert).to_have_text("Wrong email or password.")
    # The same answer for an email nobody registered.
    log_in(page, "nobody@example.com", "not the right password")
    expect(alert).to_have_text("Wrong email or password.")

    log_in(page, person.email, person.password)
    expect(page.get_by_role("textbox", name="Message")).to_be_visible()


def test_a_reload_keeps_the_person_logged_in_until_log_out(server: ServerProcess, page: Page) -> None:
    person = new_person("reload")
    sign_up(page, server.url, person)
    page.reload()
    expect(page.get_by_role("textbox", name="Message")).to_be_visible()
    expect(page.get_by_text(person.username, exact=True).first).to_be_visible()

    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_role("button", name="Log in")).to_be_visible()
    page.reload()
    expect(page.get_by_role("button", name="Log in")).to_be_visible()
    expect(page.get_by_role("link", name="Sign up")).to_be_visible()
