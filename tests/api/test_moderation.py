"""Roles, message versions and the moderation log over HTTP (SQLite and PostgreSQL)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask

from chatroom import schemas, socketio
from tests.conftest import PASSWORD, Accounts, ack


@pytest.fixture
def people(any_db_url: str, make_app: Callable[..., Flask]) -> Accounts:
    return Accounts(make_app(any_db_url))


def error_of(response: Any) -> tuple[int, str]:
    return response.status_code, response.get_json()["error"]["code"]


def test_the_first_account_is_admin_and_u_carries_the_role_everywhere(people: Accounts) -> None:
    admin, ann = people.signup("admin"), people.signup("ann")
    assert (admin.user["role"], ann.user["role"]) == ("admin", "member")  # type: ignore[attr-defined]
    schemas.UserPayload.model_validate({"user": ann.user})  # type: ignore[attr-defined]
    me = ann.get("/api/me").get_json()
    schemas.MePayload.model_validate(me)
    assert me["user"]["role"] == "member"
    fresh = people.app.test_client()
    logged_in = fresh.post("/api/login", json={"email": "admin@example.com", "password": PASSWORD})
    assert logged_in.get_json()["user"]["role"] == "admin"


def test_admins_set_roles_and_the_change_is_logged_in_general(people: Accounts) -> None:
    admin, ann = people.signup("admin"), people.signup("ann")
    answer = admin.post("/api/users/ANN/role", json={"role": "moderator"})
    assert answer.status_code == 200
    schemas.UserPayload.model_validate(answer.get_json())
    assert answer.get_json()["user"]["username"] == "ann"
    assert answer.get_json()["user"]["role"] == "moderator"
    # The new moderator's own session sees it at once.
    assert ann.get("/api/me").get_json()["user"]["role"] == "moderator"
    assert admin.post("/api/users/ann/role", json={"role": "member"}).get_json()["user"]["role"] == "member"
    log = ann.get("/api/rooms/general/moderation").get_json()
    schemas.ModerationLogOut.model_validate(log)
    assert [(e["action"], e["target"]["username"], e["role"], e["moderator"]["username"]) for e in log["entries"]] == [
        ("role", "ann", "member", "admin"),
        ("role", "ann", "moderator", "admin"),
    ]


@pytest.mark.parametrize(
    ("actor", "target", "body", "status", "code"),
    [
        ("ann", "bob", {"role": "moderator"}, 403, "forbidden"),
        ("mod", "bob", {"role": "moderator"}, 403, "forbidden"),
        ("ann", "bob", {"role": 5}, 403, "forbidden"),
        ("admin", "bob", {"role": "admin"}, 400, "invalid"),
        ("admin", "bob", {"role": "boss"}, 400, "invalid"),
        ("admin", "bob", {}, 400, "invalid"),
        ("admin", "admin", {"role": "member"}, 403, "forbidden"),
        ("admin", "nobody", {"role": "moderator"}, 404, "not_found"),
    ],
)
def test_role_changes_refused(
    people: Accounts, actor: str, target: str, body: dict[str, Any], status: int, code: str
) -> None:
    https = {name: people.signup(name) for name in ("admin", "mod", "ann", "bob")}
    assert https["admin"].post("/api/users/mod/role", json={"role": "moderator"}).status_code == 200
    assert error_of(https[actor].post(f"/api/users/{target}/role", json=body)) == (status, code)
    assert https["bob"].get("/api/me").get_json()["user"]["role"] == "member"


def test_moderation_routes_need_a_login(people: Accounts) -> None:
    anonymous = people.app.test_client()
    assert error_of(anonymous.post("/api/users/x/role", json={"role": "member"})) == (401, "unauthorized")
    assert error_of(anonymous.get("/api/messages/1/history")) == (401, "unauthorized")
    assert error_of(anonymous.get("/api/rooms/general/moderation")) == (401, "unauthorized")


def test_history_of_versions_and_its_errors(people: Accounts) -> None:
    ann_http = people.signup("ann")
    ann = people.socket(ann_http)
    sent = ack(ann, "data", {"room": "general", "body": "v1"})["message"]
    edited = ack(ann, "edit", {"message_id": sent["id"], "body": "v2"})["message"]
    answer = ann_http.get(f"/api/messages/{sent['id']}/history")
    assert answer.status_code == 200
    schemas.VersionsOut.model_validate(answer.get_json())
    assert answer.get_json()["versions"] == [
        {"body": "v1", "edited_at": None},
        {"body": "v2", "edited_at": edited["edited_at"]},
    ]
    assert error_of(ann_http.get("/api/messages/999999/history")) == (404, "not_found")
    assert error_of(ann_http.get("/api/messages/0/history")) == (400, "invalid")
    assert error_of(ann_http.get("/api/messages/abc/history")) == (400, "invalid")
    assert error_of(ann_http.get(f"/api/messages/{2**63}/history")) == (400, "invalid")


def test_the_log_is_paged_newest_first_and_readable_by_everyone(people: Accounts) -> None:
    admin_http, bob_http = people.signup("admin"), people.signup("bob")
    admin = socketio.test_client(people.app, flask_test_client=admin_http)
    for minutes in (1, 2, 3):
        assert ack(admin, "mute", {"room": "general", "username": "bob", "minutes": minutes, "reason": f"r{minutes}"})[
            "ok"
        ]
    first = bob_http.get("/api/rooms/general/moderation?limit=2").get_json()
    assert first["has_more"] is True
    assert [e["reason"] for e in first["entries"]] == ["r3", "r2"]
    entry = first["entries"][0]
    assert set(entry) == {"id", "action", "moderator", "target", "message_id", "reason", "until", "role", "created_at"}
    assert (entry["action"], entry["message_id"], entry["role"]) == ("mute", None, None)
    assert entry["until"].endswith("Z") and entry["created_at"].endswith("Z")
    rest = bob_http.get(f"/api/rooms/general/moderation?before={first['entries'][-1]['id']}").get_json()
    assert ([e["reason"] for e in rest["entries"]], rest["has_more"]) == (["r1"], False)
    assert error_of(bob_http.get("/api/rooms/nowhere/moderation")) == (404, "not_found")
    assert error_of(bob_http.get("/api/rooms/general/moderation?limit=0")) == (400, "invalid")
    assert error_of(bob_http.get("/api/rooms/general/moderation?before=x")) == (400, "invalid")
