"""The OpenAPI description stays true, and fuzzing the HTTP API finds no 500s."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import quote

import pytest
import schemathesis
from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance, status_code_conformance

from chatroom.api.openapi import build_spec

# Served, but not part of the JSON API: the web client, its assets and the metrics text.
NOT_DESCRIBED = {"/", "/<path:path>", "/metrics", "/api/openapi.json"}


def test_every_route_is_described(app: Flask) -> None:
    spec = build_spec()["paths"]
    served: dict[str, set[str]] = {}
    for rule in app.url_map.iter_rules():
        if rule.rule in NOT_DESCRIBED:
            continue
        path = rule.rule.replace("<", "{").replace(">", "}")
        served.setdefault(path, set()).update(m.lower() for m in rule.methods or () if m not in {"HEAD", "OPTIONS"})
    described = {path: set(operations) for path, operations in spec.items()}
    assert served == described


def test_spec_is_served_and_valid_openapi(client: Any) -> None:
    response = client.get("/api/openapi.json")
    assert response.status_code == 200
    assert response.get_json()["openapi"].startswith("3.1")


@pytest.fixture
def fuzz_app(make_app: Callable[..., Flask], sqlite_url: str) -> Flask:
    app = make_app(sqlite_url)
    # One known account, so the generated log-ins sometimes hit a real email.
    app.test_client().post(
        "/api/signup", json={"email": "known@example.com", "username": "known", "password": "a perfectly fine passphrase"}
    )
    return app


def test_schemathesis_finds_no_server_errors(fuzz_app: Flask) -> None:
    """Schemathesis generates requests from the OpenAPI description, valid and not."""
    http = fuzz_app.test_client()
    http.post("/api/login", json={"email": "known@example.com", "password": "a perfectly fine passphrase"})
    cookie = http.get_cookie("chatroom")
    assert cookie is not None
    api = schemathesis.openapi.from_wsgi("/api/openapi.json", fuzz_app)
    operations = [result.ok() for result in api.get_all_operations()]
    assert len(operations) == len([op for path in build_spec()["paths"].values() for op in path])
    checked = 0
    for operation in operations:

        @settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        @given(case=operation.as_strategy())
        def exercise(case: Any) -> None:
            nonlocal checked
            response = case.call(headers={"Cookie": f"chatroom={cookie.value}"})
            case.validate_response(
                response, checks=[not_a_server_error, status_code_conformance, response_schema_conformance]
            )
            assert b"Traceback" not in response.content
            checked += 1

        exercise()
    assert checked >= len(operations)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=40),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=5),
    max_leaves=12,
)
ROUTES = [("post", "/api/signup"), ("post", "/api/login"), ("post", "/api/logout"), ("get", "/api/me")]


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(route=st.sampled_from(ROUTES), body=json_values, raw=st.binary(max_size=200), use_raw=st.booleans())
def test_random_bodies_never_produce_a_500(fuzz_app: Flask, route: tuple[str, str], body: Any, raw: bytes, use_raw: bool) -> None:
    method, path = route
    http = fuzz_app.test_client()
    if use_raw:
        response = getattr(http, method)(path, data=raw, content_type="application/json")
    else:
        response = getattr(http, method)(path, json=body)
    assert response.status_code < 500, response.data
    if response.status_code >= 400:
        assert set(response.get_json()["error"]) <= {"code", "message", "field"}


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(slug=st.text(max_size=30), before=st.text(max_size=30), limit=st.text(max_size=30))
def test_random_history_queries_never_produce_a_500(fuzz_app: Flask, slug: str, before: str, limit: str) -> None:
    http = fuzz_app.test_client()
    http.post("/api/login", json={"email": "known@example.com", "password": "a perfectly fine passphrase"})
    response = http.get(f"/api/rooms/{quote(slug, safe='')}/messages", query_string={"before": before, "limit": limit})
    assert response.status_code in {200, 400, 404, 405}, (slug, before, limit, response.data)
