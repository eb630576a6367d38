from __future__ import annotations

from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.conftest import PASSWORD, Accounts


def signup(client: FlaskClient, email: str = "ann@example.com", username: str = "ann", password: str = PASSWORD):
    return client.post("/api/signup", json={"email": email, "username": username, "password": password})


def test_signup_logs_in(client: FlaskClient) -> None:
    response = signup(client)
    assert response.status_code == 201
    user = response.get_json()["user"]
    assert user["username"] == "ann"
    assert user["email"] == "ann@example.com"
    assert "password_hash" not in user
    me = client.get("/api/me")
    assert me.status_code == 200
    assert me.get_json() == {"user": {"id": user["id"], "username": "ann", "email": "ann@example.com", "role": "admin"}}


def test_session_cookie_is_httponly_and_lax(client: FlaskClient) -> None:
    response = signup(client)
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie
    assert "Secure" not in cookie  # development serves plain http


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"email": "nope", "username": "ann", "password": PASSWORD}, "email"),
        ({"email": "a@example.com", "username": "a", "password": PASSWORD}, "username"),
        ({"email": "a@example.com", "username": "ann", "password": "short"}, "password"),
        ({"email": "a@example.com", "username": "ann", "password": "qwertyuiop"}, "password"),
        ({"email": "a@example.com", "username": "ann"}, "password"),
        ({"email": 5, "username": "ann", "password": PASSWORD}, "email"),
    ],
)
def test_signup_400_names_the_field(client: FlaskClient, body: dict[str, object], field: str) -> None:
    response = client.post("/api/signup", json=body)
    assert response.status_code == 400
    error = response.get_json()["error"]
    assert error["code"] == "invalid"
    assert error["field"] == field
    assert error["message"]


def test_signup_409_for_taken_email_in_any_case_and_username(client: FlaskClient) -> None:
    assert signup(client).status_code == 201
    by_email = signup(client.application.test_client(), email="ANN@example.com", username="other")
    by_name = signup(client.application.test_client(), email="other@example.com", username="ANN")
    assert by_email.status_code == 409
    assert by_email.get_json()["error"]["field"] == "email"
    assert by_name.status_code == 409
    assert by_name.get_json()["error"]["field"] == "username"
    assert by_email.get_json()["error"]["code"] == by_name.get_json()["error"]["code"] == "taken"


def test_login_logout_and_bad_credentials(client: FlaskClient, app: Flask) -> None:
    signup(client)
    other = app.test_client()
    wrong = other.post("/api/login", json={"email": "ann@example.com", "password": "not the password"})
    unknown = other.post("/api/login", json={"email": "who@example.com", "password": PASSWORD})
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.get_json() == unknown.get_json()
    assert wrong.get_json()["error"]["code"] == "bad_credentials"
    ok = other.post("/api/login", json={"email": "Ann@Example.com", "password": PASSWORD})
    assert ok.status_code == 200
    assert ok.get_json()["user"]["username"] == "ann"
    assert other.get("/api/me").status_code == 200
    assert other.post("/api/logout").status_code == 204
    assert other.get("/api/me").status_code == 401
    assert other.post("/api/logout").status_code == 204


def test_login_issues_a_new_session_and_logout_kills_it_server_side(client: FlaskClient, app: Flask) -> None:
    signup(client)
    stolen_cookie = client.get_cookie("chatroom")
    assert stolen_cookie is not None
    fresh = app.test_client()
    fresh.set_cookie("chatroom", stolen_cookie.value)
    assert fresh.get("/api/me").status_code == 200
    client.post("/api/logout")
    # A copy of the cookie taken before log-out no longer works: the session is gone.
    assert fresh.get("/api/me").status_code == 401
    relogged = app.test_client()
    relogged.post("/api/login", json={"email": "ann@example.com", "password": PASSWORD})
    new_cookie = relogged.get_cookie("chatroom")
    assert new_cookie is not None
    assert new_cookie.value != stolen_cookie.value


def test_me_401_without_session(client: FlaskClient) -> None:
    response = client.get("/api/me")
    assert response.status_code == 401
    assert response.get_json()["error"]["code"] == "unauthorized"


@pytest.mark.parametrize(
    "raw", [b"", b"not json", b"[1,2]", b"null", b'"text"', b"{", b'{"email": ["x"], "password": {}}']
)
def test_malformed_bodies_get_400(client: FlaskClient, raw: bytes) -> None:
    for path in ("/api/signup", "/api/login"):
        response = client.post(path, data=raw, content_type="application/json")
        assert response.status_code == 400, (path, raw)
        assert response.get_json()["error"]["code"] == "invalid"


def test_failed_logins_are_rate_limited_per_account(make_app: Callable[..., Flask], sqlite_url: str) -> None:
    app = make_app(sqlite_url, rate_limits=True)
    Accounts(app).signup("target")
    statuses = []
    for i in range(60):
        # A new client each time: cookies do not matter, the account and IP do.
        response = app.test_client().post(
            "/api/login", json={"email": "target@example.com", "password": f"guess number {i}"}
        )
        statuses.append(response.status_code)
        if response.status_code == 429:
            assert response.get_json()["error"]["code"] == "rate_limited"
            assert "Retry-After" in response.headers
            break
    assert statuses[-1] == 429
    assert len(statuses) <= 15


def test_rate_limits_off_switch(make_app: Callable[..., Flask], sqlite_url: str) -> None:
    app = make_app(sqlite_url, rate_limits=False)
    for i in range(40):
        response = app.test_client().post("/api/login", json={"email": "x@example.com", "password": f"wrong {i}"})
        assert response.status_code == 401


def test_unknown_api_path_and_method(client: FlaskClient) -> None:
    missing = client.get("/api/does/not/exist")
    assert missing.status_code == 404
    assert missing.get_json()["error"]["code"] == "not_found"
    wrong_method = client.post("/api/me")
    assert wrong_method.status_code == 405
    assert wrong_method.get_json()["error"]["code"] == "method_not_allowed"


def test_oversized_body_gets_413(client: FlaskClient) -> None:
    response = client.post("/api/login", data=b"{" + b" " * 70_000 + b"}", content_type="application/json")
    assert response.status_code == 413
    assert response.get_json()["error"]["code"] == "payload_too_large"


def test_failed_logins_are_rate_limited_per_ip_across_accounts(make_app: Callable[..., Flask], sqlite_url: str) -> None:
    app = make_app(sqlite_url, rate_limits=True)
    statuses = []
    for i in range(60):
        # A different (unknown) account each time: only the address ties them together.
        response = app.test_client().post("/api/login", json={"email": f"spray{i}@example.com", "password": "guess"})
        statuses.append(response.status_code)
        if response.status_code == 429:
            break
    assert statuses[-1] == 429
    assert len(statuses) <= 25


def test_successful_logins_do_not_count_toward_the_limit(make_app: Callable[..., Flask], sqlite_url: str) -> None:
    app = make_app(sqlite_url, rate_limits=True)
    Accounts(app).signup("regular")
    for _ in range(25):
        response = app.test_client().post("/api/login", json={"email": "regular@example.com", "password": PASSWORD})
        assert response.status_code == 200


@pytest.mark.parametrize(
    "raw",
    [
        b'{"email": "a@example.com", "x": ' + b"[" * 10_000 + b"]" * 10_000 + b"}",
        b'{"email": "\\ud800@example.com"}',
        b'{"email": ["not", "text"]}',
        b"\xff\xfe not utf-8",
        b'{"email": "' + b"a" * 5000 + b'@example.com"}',
    ],
)
def test_the_account_key_function_never_raises(app: Flask, raw: bytes) -> None:
    """A key function that raises makes the limiter skip the limit: it must always answer."""
    from chatroom.api.auth import _account_key

    with app.test_request_context("/api/login", method="POST", data=raw, content_type="application/json"):
        key = _account_key()
    assert key.startswith("account:")


def test_log_in_and_sign_up_fail_closed_without_their_limit_store(
    make_app: Callable[..., Flask], sqlite_url: str
) -> None:
    """With the rate-limit store unreachable, guesses are refused, not let through uncounted."""
    from chatroom.extensions import limiter

    app = make_app(sqlite_url, rate_limits=True)
    Accounts(app).signup("closed")
    # A store that answers nothing, as Redis does while it restarts.
    app.config["RATELIMIT_STORAGE_URI"] = "redis://127.0.0.1:9/0"
    limiter.init_app(app)
    for path, body in (
        ("/api/login", {"email": "closed@example.com", "password": "guess"}),
        ("/api/signup", {"email": "new@example.com", "username": "newbie", "password": PASSWORD}),
    ):
        response = app.test_client().post(path, json=body)
        assert response.status_code == 503, (path, response.get_json())
        assert response.get_json()["error"]["code"] == "unavailable"
