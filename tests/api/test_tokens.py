"""Personal API tokens over HTTP, and Bearer authentication on the other /api routes."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from chatroom import schemas, socketio
from tests.conftest import Accounts, ack


def bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


def new_token(http: FlaskClient, name: str = "bot") -> tuple[dict[str, Any], str]:
    response = http.post("/api/tokens", json={"name": name})
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    return body["token"], body["secret"]


def token_socket(app: Flask, secret: Any) -> Any:
    return socketio.test_client(app, auth={"token": secret})


def test_create_list_and_revoke(accounts: Accounts) -> None:
    alice = accounts.signup("alice")
    created = alice.post("/api/tokens", json={"name": " deploy bot "})
    assert created.status_code == 201
    body = created.get_json()
    assert set(body) == {"token", "secret"}
    assert set(body["token"]) == {"id", "name", "created_at", "last_used_at"}
    assert body["token"]["name"] == "deploy bot"
    assert body["token"]["last_used_at"] is None
    assert body["token"]["created_at"].endswith("Z")
    assert body["secret"].startswith("chr_")
    assert schemas.CreatedTokenOut.model_validate(body).model_dump(exclude_unset=True) == body

    listed = alice.get("/api/tokens")
    assert listed.status_code == 200
    assert listed.get_json() == {"tokens": [body["token"]]}
    assert schemas.TokensOut.model_validate(listed.get_json()).model_dump(exclude_unset=True) == listed.get_json()
    assert body["secret"] not in listed.get_data(as_text=True)

    revoked = alice.delete(f"/api/tokens/{body['token']['id']}")
    assert (revoked.status_code, revoked.get_data()) == (204, b"")
    assert alice.get("/api/tokens").get_json() == {"tokens": []}
    again = alice.delete(f"/api/tokens/{body['token']['id']}")
    assert (again.status_code, again.get_json()["error"]["code"]) == (404, "not_found")


def test_someone_elses_or_an_unknown_token_is_not_found(accounts: Accounts) -> None:
    alice, bob = accounts.signup("alice"), accounts.signup("bob")
    token, secret = new_token(alice)
    for path in [f"/api/tokens/{token['id']}", "/api/tokens/999999", "/api/tokens/0", "/api/tokens/-1",
                 "/api/tokens/abc", "/api/tokens/1.5", "/api/tokens/" + "9" * 30, "/api/tokens/%C2%B2"]:  # fmt: skip
        refused = bob.delete(path)
        assert refused.status_code == 404, path
        assert refused.get_json()["error"]["code"] == "not_found"
    assert alice.get("/api/me", headers=bearer(secret)).status_code == 200


def test_the_twenty_first_live_token_is_too_many(accounts: Accounts) -> None:
    alice = accounts.signup("alice")
    made = [new_token(alice, f"t{i}")[0] for i in range(schemas.MAX_LIVE_TOKENS)]
    refused = alice.post("/api/tokens", json={"name": "one more"})
    assert refused.status_code == 409
    assert refused.get_json()["error"]["code"] == "too_many"
    assert alice.delete(f"/api/tokens/{made[0]['id']}").status_code == 204
    assert alice.post("/api/tokens", json={"name": "one more"}).status_code == 201


@pytest.mark.parametrize("body", [{}, {"name": ""}, {"name": "   "}, {"name": "x" * 65}, {"name": 5}, {"name": None}])
def test_a_bad_name_is_invalid(accounts: Accounts, body: dict[str, Any]) -> None:
    refused = accounts.signup("alice").post("/api/tokens", json=body)
    assert refused.status_code == 400
    assert refused.get_json()["error"]["code"] == "invalid"
    assert refused.get_json()["error"]["field"] == "name"


def test_token_routes_need_a_session(client: FlaskClient) -> None:
    for method, path in [("get", "/api/tokens"), ("post", "/api/tokens"), ("delete", "/api/tokens/1")]:
        refused = getattr(client, method)(path, json={"name": "x"} if method == "post" else None)
        assert refused.status_code == 401, path
        assert refused.get_json()["error"]["code"] == "unauthorized"


def test_a_token_cannot_create_list_or_revoke_tokens(accounts: Accounts, app: Flask) -> None:
    alice = accounts.signup("alice")
    token, secret = new_token(alice)
    script = app.test_client()
    for method, path in [("get", "/api/tokens"), ("post", "/api/tokens"), ("delete", f"/api/tokens/{token['id']}")]:
        refused = getattr(script, method)(
            path, headers=bearer(secret), json={"name": "x"} if method == "post" else None
        )
        assert refused.status_code == 403, path
        assert refused.get_json()["error"]["code"] == "forbidden"
    # Not even alongside the cookie: a Bearer request is judged by its token alone.
    assert alice.get("/api/tokens", headers=bearer(secret)).status_code == 403
    assert [t["id"] for t in alice.get("/api/tokens").get_json()["tokens"]] == [token["id"]]


def test_a_bearer_token_works_on_the_api_in_place_of_the_cookie(accounts: Accounts, app: Flask) -> None:
    alice = accounts.signup("alice")
    _token, secret = new_token(alice)
    script = app.test_client()
    me = script.get("/api/me", headers=bearer(secret))
    assert me.status_code == 200
    assert me.get_json()["user"]["username"] == "alice"
    assert "Set-Cookie" not in me.headers
    assert script.get("/api/rooms", headers=bearer(secret)).status_code == 200
    assert script.get("/api/rooms/general/messages", headers=bearer(secret)).status_code == 200
    # The scheme name is case-insensitive (RFC 9110).
    assert script.get("/api/me", headers={"Authorization": f"bearer {secret}"}).status_code == 200
    created = script.post("/api/rooms", headers=bearer(secret), json={"name": "Bots"})
    assert created.status_code == 201
    assert "Set-Cookie" not in created.headers
    # Nothing of the script's requests turned into a session.
    assert script.get("/api/me").status_code == 401
    listed = alice.get("/api/tokens").get_json()["tokens"]
    assert listed[0]["last_used_at"] is not None


def test_bearer_writes_skip_the_origin_check_and_cookie_writes_do_not(accounts: Accounts, app: Flask) -> None:
    alice = accounts.signup("alice")
    _token, secret = new_token(alice)
    foreign = {"Origin": "https://evil.example"}
    by_token = app.test_client().post(
        "/api/rooms", headers={**foreign, **bearer(secret)}, json={"name": "From a script"}
    )
    assert by_token.status_code == 201
    by_cookie = alice.post("/api/rooms", headers=foreign, json={"name": "From a page"})
    assert (by_cookie.status_code, by_cookie.get_json()["error"]["code"]) == (403, "forbidden")
    # Another Authorization scheme is not a token: the cookie decides, and so does the Origin check.
    basic = alice.post("/api/rooms", headers={**foreign, "Authorization": "Basic YTpi"}, json={"name": "Basic"})
    assert basic.status_code == 403


def test_bad_revoked_and_unknown_tokens_get_the_same_401(accounts: Accounts, app: Flask) -> None:
    alice = accounts.signup("alice")
    _token, secret = new_token(alice)
    old, revoked = new_token(alice, "old")
    assert alice.delete(f"/api/tokens/{old['id']}").status_code == 204
    answers = []
    for presented in [revoked, "chr_" + "A" * 43, secret[:-1], "garbage", "", "chr_" + "\u00e9" * 10]:
        response = app.test_client().get("/api/me", headers={"Authorization": f"Bearer {presented}"})
        answers.append((response.status_code, response.get_json()))
    assert answers[0][0] == 401
    assert answers[0][1]["error"]["code"] == "unauthorized"
    assert all(answer == answers[0] for answer in answers), answers
    # A bad token is refused even beside a valid cookie, and on writes too.
    assert alice.get("/api/me", headers=bearer(revoked)).status_code == 401
    assert alice.post("/api/rooms", headers=bearer(revoked), json={"name": "nope"}).status_code == 401
    assert alice.get("/api/me", headers=bearer(secret)).status_code == 200


def test_logging_out_ends_the_cookie_session_only(accounts: Accounts, app: Flask) -> None:
    alice = accounts.signup("alice")
    _token, secret = new_token(alice)
    script = app.test_client()
    # Log-out with a token changes nothing: the token is not a session.
    assert script.post("/api/logout", headers=bearer(secret)).status_code == 204
    assert script.get("/api/me", headers=bearer(secret)).status_code == 200
    assert alice.get("/api/me").status_code == 200
    assert alice.post("/api/logout").status_code == 204
    assert alice.get("/api/me").status_code == 401
    assert script.get("/api/me", headers=bearer(secret)).status_code == 200


def test_a_socket_connects_with_a_token_and_acts_as_its_owner(accounts: Accounts, app: Flask) -> None:
    alice = accounts.signup("alice")
    _token, secret = new_token(alice)
    bot = token_socket(app, secret)
    assert bot.is_connected()
    assert ack(bot, "join", {"room": "general"})["ok"]
    sent = ack(bot, "data", {"room": "general", "body": "beep", "client_id": "b-1"})
    assert sent["ok"]
    assert sent["message"]["author"]["username"] == "alice"


@pytest.mark.parametrize("auth", ["revoked", "chr_unknown", "", 5, None, ["x"]])
def test_a_socket_with_a_bad_token_is_refused_like_an_unknown_one(accounts: Accounts, app: Flask, auth: Any) -> None:
    alice = accounts.signup("alice")
    token, secret = new_token(alice)
    assert alice.delete(f"/api/tokens/{token['id']}").status_code == 204
    presented = secret if auth == "revoked" else auth
    bot = token_socket(app, presented)
    assert not bot.is_connected()


def test_a_bad_token_on_the_socket_is_refused_even_with_a_cookie(accounts: Accounts, app: Flask) -> None:
    alice = accounts.signup("alice")
    sock = socketio.test_client(app, flask_test_client=alice, auth={"token": "chr_unknown"})
    assert not sock.is_connected()


def test_revoking_a_token_closes_its_sockets_and_no_others(accounts: Accounts, app: Flask) -> None:
    alice = accounts.signup("alice")
    token, secret = new_token(alice)
    _kept, kept_secret = new_token(alice, "kept")
    bot, other_bot, browser = token_socket(app, secret), token_socket(app, kept_secret), accounts.socket(alice)
    assert ack(bot, "join", {"room": "general"})["ok"]
    assert alice.delete(f"/api/tokens/{token['id']}").status_code == 204
    assert not bot.is_connected()
    # Told why before being closed (get_received refuses a closed client: read its queue).
    assert [p["args"][0] for p in bot.queue if p["name"] == "session_ended"] == [{"reason": "token_revoked"}]
    assert other_bot.is_connected() and browser.is_connected()
    assert token_socket(app, secret).is_connected() is False


def test_logging_out_leaves_token_sockets_open(accounts: Accounts, app: Flask) -> None:
    alice = accounts.signup("alice")
    _token, secret = new_token(alice)
    bot, browser = token_socket(app, secret), accounts.socket(alice)
    assert alice.post("/api/logout").status_code == 204
    assert not browser.is_connected()
    assert bot.is_connected()
    assert ack(bot, "join", {"room": "general"})["ok"]


def test_a_token_socket_rechecks_its_token(accounts: Accounts, app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    """Revocation closes sockets at once; the periodic re-check covers a missed signal."""
    from chatroom import broadcaster
    from chatroom.realtime import handlers

    alice = accounts.signup("alice")
    token, secret = new_token(alice)
    bot = token_socket(app, secret)
    monkeypatch.setattr(broadcaster, "token_revoked", lambda _token_id: None)  # the signal is lost
    assert alice.delete(f"/api/tokens/{token['id']}").status_code == 204
    assert ack(bot, "join", {"room": "general"})["ok"]  # not re-checked yet
    monkeypatch.setattr(handlers, "SESSION_RECHECK_SECONDS", 0.0)
    answer = ack(bot, "join", {"room": "general"})
    assert (answer["ok"], answer["error"]["code"]) == (False, "unauthorized")
    assert not bot.is_connected()


def test_token_traffic_shares_the_owners_rate_limits(sqlite_url: str, make_app: Callable[..., Flask]) -> None:
    """Per-user limits count the person, whichever credential they use."""
    app = make_app(sqlite_url, rate_limits=True)
    people = Accounts(app)
    alice = people.signup("alice")
    _token, secret = new_token(alice)
    script = app.test_client()
    for i in range(3):
        assert script.post("/api/rooms", headers=bearer(secret), json={"name": f"bot room {i}"}).status_code == 201
    for i in range(2):
        assert alice.post("/api/rooms", json={"name": f"own room {i}"}).status_code == 201
    refused = script.post("/api/rooms", headers=bearer(secret), json={"name": "one more"})
    assert (refused.status_code, refused.get_json()["error"]["code"]) == (429, "rate_limited")
    assert alice.post("/api/rooms", json={"name": "one more"}).status_code == 429

    bot, browser = token_socket(app, secret), people.socket(alice)
    for i in range(10):
        assert ack(bot, "data", {"room": "general", "body": f"bot {i}"})["ok"]
    for i in range(10):
        assert ack(browser, "data", {"room": "general", "body": f"own {i}"})["ok"]
    for sock in (bot, browser):
        answer = ack(sock, "data", {"room": "general", "body": "over"})
        assert (answer["ok"], answer["error"]["code"]) == (False, "rate_limited")
