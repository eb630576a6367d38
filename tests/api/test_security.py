"""Origin checks, security headers, production cookies and configuration refusals."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient

from chatroom.config import Config, ConfigError
from tests.conftest import PASSWORD


def test_cross_origin_writes_are_refused(client: FlaskClient) -> None:
    body = {"email": "x@example.com", "username": "xname", "password": PASSWORD}
    evil = client.post("/api/signup", json=body, headers={"Origin": "https://evil.example"})
    assert evil.status_code == 403
    assert evil.get_json()["error"]["code"] == "forbidden"
    for path in ("/api/login", "/api/logout"):
        assert client.post(path, json=body, headers={"Origin": "https://evil.example"}).status_code == 403
    same = client.post("/api/signup", json=body, headers={"Origin": "http://localhost"})
    assert same.status_code == 201
    no_origin = client.post("/api/logout")
    assert no_origin.status_code == 204


def test_configured_origins_are_allowed(make_app: Callable[..., Flask], sqlite_url: str) -> None:
    app = make_app(sqlite_url, allowed_origins=("https://chat.example",))
    response = app.test_client().post("/api/logout", headers={"Origin": "https://chat.example"})
    assert response.status_code == 204


def test_security_headers(client: FlaskClient) -> None:
    for path in ("/", "/api/me", "/healthz"):
        headers = client.get(path).headers
        csp = headers["Content-Security-Policy"]
        for directive in ("object-src 'none'", "base-uri 'none'", "frame-ancestors 'none'", "script-src 'self'"):
            assert directive in csp
        assert "unsafe-inline" not in csp
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["Referrer-Policy"] == "no-referrer"


def test_production_cookie_is_secure_with_host_prefix(make_app: Callable[..., Flask], sqlite_url: str) -> None:
    app = make_app(sqlite_url, env="production")
    response = app.test_client().post(
        "/api/signup",
        json={"email": "p@example.com", "username": "prod", "password": PASSWORD},
        base_url="https://chat.example",
    )
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith("__Host-chatroom=")
    assert "Secure" in cookie
    assert "HttpOnly" in cookie
    assert "Path=/" in cookie
    assert "Domain" not in cookie


@pytest.mark.parametrize("secret", ["", "changeme", "short-secret", "x" * 31])
def test_production_refuses_weak_secrets(secret: str) -> None:
    with pytest.raises(ConfigError):
        Config.from_env({"CHATROOM_ENV": "production", "SECRET_KEY": secret})


def test_production_accepts_a_strong_secret() -> None:
    config = Config.from_env(
        {"CHATROOM_ENV": "production", "SECRET_KEY": "k" * 16 + "9f8e7d6c5b4a3210fedcba9876543210"}
    )
    assert config.production


def test_wildcard_origin_is_refused() -> None:
    with pytest.raises(ConfigError):
        Config.from_env({"CHATROOM_ALLOWED_ORIGINS": "*", "SECRET_KEY": "x" * 40})


def test_development_secret_is_generated_once(tmp_path: object) -> None:
    env = {"CHATROOM_INSTANCE_PATH": str(tmp_path)}
    first = Config.from_env(env).secret_key
    assert len(first) == 64
    assert Config.from_env(env).secret_key == first


def test_proxy_host_and_session_settings_are_read_from_the_environment() -> None:
    base = {"SECRET_KEY": "x" * 40}
    default = Config.from_env(base)
    assert (default.trusted_proxies, default.allowed_hosts, default.max_sessions_per_user) == (0, (), 20)
    config = Config.from_env(
        {
            **base,
            "CHATROOM_TRUSTED_PROXIES": "2",
            "CHATROOM_ALLOWED_HOSTS": " Chat.Example.com , .example.org ",
            "CHATROOM_MAX_SESSIONS_PER_USER": "3",
        }
    )
    assert (config.trusted_proxies, config.allowed_hosts, config.max_sessions_per_user) == (
        2,
        ("chat.example.com", ".example.org"),
        3,
    )
    for name, bad in (("CHATROOM_TRUSTED_PROXIES", "-1"), ("CHATROOM_MAX_SESSIONS_PER_USER", "0")):
        with pytest.raises(ConfigError, match=name):
            Config.from_env({**base, name: bad})


def test_a_listed_host_is_served_and_others_get_the_error_shape(
    make_app: Callable[..., Flask], sqlite_url: str
) -> None:
    app = make_app(sqlite_url, allowed_hosts=("chat.example.com",))
    assert app.test_client().get("/healthz", headers={"Host": "chat.example.com"}).status_code == 200
    refused = app.test_client().get("/healthz", headers={"Host": "attacker.example"})
    assert refused.status_code == 400
    assert refused.get_json()["error"]["code"] == "invalid"
