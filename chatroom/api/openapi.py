"""The OpenAPI description of the HTTP API, generated from the same pydantic models the
handlers validate with. A test checks that it lists every route the app serves."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, jsonify
from pydantic import BaseModel

from chatroom.schemas import (
    MAX_SEARCH_PAGE_SIZE,
    MAX_TOP_OFFSET,
    MAX_USER_LOOKUP_SIZE,
    SEARCH_PAGE_SIZE,
    SEARCH_QUERY_MAX_CHARS,
    AroundOut,
    CreatedTokenOut,
    CreateRoomIn,
    CreateTokenIn,
    ErrorOut,
    LoginIn,
    MentionsOut,
    MePayload,
    ModerationLogOut,
    PageOut,
    RoleIn,
    RoomPayload,
    RoomsOut,
    SearchOut,
    SignupIn,
    StatusOut,
    TokensOut,
    TopOut,
    UserPayload,
    UsersOut,
    VersionsOut,
)

bp = Blueprint("openapi", __name__)

_MODELS: list[type[BaseModel]] = [
    SignupIn,
    LoginIn,
    UserPayload,
    MePayload,
    ModerationLogOut,
    PageOut,
    AroundOut,
    SearchOut,
    TopOut,
    RoleIn,
    CreateRoomIn,
    RoomsOut,
    RoomPayload,
    CreateTokenIn,
    TokensOut,
    CreatedTokenOut,
    ErrorOut,
    StatusOut,
    VersionsOut,
    RoleIn,
    ModerationLogOut,
    MentionsOut,
    UsersOut,
]


def _ref(model: type[BaseModel]) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{model.__name__}"}


def _json(model: type[BaseModel], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": _ref(model)}}}


def _errors(*statuses: int) -> dict[str, Any]:
    return {str(status): _json(ErrorOut, "error") for status in statuses}


def _body(model: type[BaseModel]) -> dict[str, Any]:
    return {"required": True, "content": {"application/json": {"schema": _ref(model)}}}


def build_spec() -> dict[str, Any]:
    components: dict[str, Any] = {}
    for model in _MODELS:
        schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
        components.update(schema.pop("$defs", {}))
        components[model.__name__] = schema
    cookie: list[dict[str, list[str]]] = [{"session": []}]
    # Every route that takes the cookie also takes a personal API token (docs/protocol.md).
    either: list[dict[str, list[str]]] = [{"session": []}, {"token": []}]
    return {
        "openapi": "3.1.0",
        "info": {"title": "Chatroom HTTP API", "version": "1", "description": "See docs/protocol.md."},
        "components": {
            "schemas": components,
            "securitySchemes": {
                "session": {"type": "apiKey", "in": "cookie", "name": "chatroom"},
                "token": {"type": "http", "scheme": "bearer", "description": "A personal API token, `chr_...`."},
            },
        },
        "paths": {
            "/api/signup": {
                "post": {
                    "summary": "Create an account and log in",
                    "requestBody": _body(SignupIn),
                    "responses": {"201": _json(UserPayload, "signed up"), **_errors(400, 403, 409, 413, 429, 503)},
                }
            },
            "/api/login": {
                "post": {
                    "summary": "Log in",
                    "requestBody": _body(LoginIn),
                    "responses": {"200": _json(UserPayload, "logged in"), **_errors(400, 401, 403, 413, 429, 503)},
                }
            },
            "/api/logout": {
                "post": {
                    "summary": "End the session",
                    "responses": {"204": {"description": "logged out"}, **_errors(403, 503)},
                }
            },
            "/api/me": {
                "get": {
                    "summary": "Who is logged in",
                    "security": either,
                    "responses": {"200": _json(MePayload, "the user"), **_errors(401, 503)},
                }
            },
            "/api/rooms": {
                "get": {
                    "summary": "Every public room: the reader's own first, then the others, by name",
                    "security": either,
                    "responses": {"200": _json(RoomsOut, "the rooms"), **_errors(401, 503)},
                },
                "post": {
                    "summary": "Create a public room (the creator is a member)",
                    "security": either,
                    "requestBody": _body(CreateRoomIn),
                    "responses": {"201": _json(RoomPayload, "created"), **_errors(400, 401, 403, 409, 413, 429, 503)},
                },
            },
            "/api/rooms/{slug}": {
                "get": {
                    "summary": "One room",
                    "security": either,
                    "parameters": [{"name": "slug", "in": "path", "required": True, "schema": {"type": "string"}}],
                    "responses": {"200": _json(RoomPayload, "the room"), **_errors(401, 404, 503)},
                }
            },
            "/api/rooms/{slug}/messages": {
                "get": {
                    "summary": "A page of history, oldest first; with `around`, the messages centred on one",
                    "security": either,
                    "parameters": [
                        {"name": "slug", "in": "path", "required": True, "schema": {"type": "string"}},
                        {"name": "before", "in": "query", "schema": {"type": "integer", "minimum": 1}},
                        {
                            "name": "around",
                            "in": "query",
                            "description": "A message of the room to centre the page on (not with `before`); "
                            "the answer is then AroundOut.",
                            "schema": {"type": "integer", "minimum": 1},
                        },
                        {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1}},
                    ],
                    "responses": {
                        "200": {
                            "description": "messages (PageOut, or AroundOut with `around`)",
                            "content": {"application/json": {"schema": {"oneOf": [_ref(PageOut), _ref(AroundOut)]}}},
                        },
                        **_errors(400, 401, 404, 503),
                    },
                }
            },
            "/api/rooms/{slug}/search": {
                "get": {
                    "summary": "Search the room's messages: every word, the last also as a prefix; best first",
                    "security": either,
                    "parameters": [
                        {"name": "slug", "in": "path", "required": True, "schema": {"type": "string"}},
                        {
                            "name": "q",
                            "in": "query",
                            "required": True,
                            "description": "Words to find (not query syntax): not only whitespace.",
                            "schema": {"type": "string", "minLength": 1, "maxLength": SEARCH_QUERY_MAX_CHARS},
                        },
                        {
                            "name": "limit",
                            "in": "query",
                            "description": f"Over {MAX_SEARCH_PAGE_SIZE} is served as {MAX_SEARCH_PAGE_SIZE}.",
                            "schema": {"type": "integer", "minimum": 1, "default": SEARCH_PAGE_SIZE},
                        },
                        {
                            "name": "cursor",
                            "in": "query",
                            "description": "The previous page's `next_cursor` (opaque), with the same `q`.",
                            "schema": {"type": "string"},
                        },
                    ],
                    "responses": {"200": _json(SearchOut, "results"), **_errors(400, 401, 404, 429, 503)},
                }
            },
            "/api/tokens": {
                "get": {
                    "summary": "The caller's live API tokens, without secrets (cookie session only)",
                    "security": cookie,
                    "responses": {"200": _json(TokensOut, "the tokens"), **_errors(401, 403, 503)},
                },
                "post": {
                    "summary": "Create an API token; its secret is in this answer only (cookie session only)",
                    "security": cookie,
                    "requestBody": _body(CreateTokenIn),
                    "responses": {
                        "201": _json(CreatedTokenOut, "created"),
                        **_errors(400, 401, 403, 409, 413, 429, 503),
                    },
                },
            },
            "/api/tokens/{token_id}": {
                "delete": {
                    "summary": "Revoke an API token everywhere, its open sockets included (cookie session only)",
                    "security": cookie,
                    "parameters": [
                        {
                            "name": "token_id",
                            "in": "path",
                            "required": True,
                            "schema": {"type": "integer", "minimum": 1},
                        }
                    ],
                    "responses": {"204": {"description": "revoked"}, **_errors(401, 403, 404, 503)},
                }
            },
            "/api/rooms/{slug}/top": {
                "get": {
                    "summary": "A page of the room's messages ranked by votes (Wilson lower bound), best first",
                    "security": cookie,
                    "parameters": [
                        {"name": "slug", "in": "path", "required": True, "schema": {"type": "string"}},
                        {
                            "name": "window",
                            "in": "query",
                            "schema": {"type": "string", "enum": ["hour", "day", "week", "all"], "default": "day"},
                        },
                        {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "default": 50}},
                        {
                            "name": "offset",
                            "in": "query",
                            "schema": {"type": "integer", "minimum": 0, "maximum": MAX_TOP_OFFSET, "default": 0},
                        },
                    ],
                    "responses": {"200": _json(TopOut, "messages in rank order"), **_errors(400, 401, 404, 503)},
                }
            },
            "/api/rooms/{slug}/moderation": {
                "get": {
                    "summary": "The room's public moderation log, newest first",
                    "security": cookie,
                    "parameters": [
                        {"name": "slug", "in": "path", "required": True, "schema": {"type": "string"}},
                        {"name": "before", "in": "query", "schema": {"type": "integer", "minimum": 1}},
                        {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1}},
                    ],
                    "responses": {"200": _json(ModerationLogOut, "entries"), **_errors(400, 401, 404, 503)},
                }
            },
            "/api/messages/{message_id}/history": {
                "get": {
                    "summary": "Every version of a message, oldest first, the current one last",
                    "security": cookie,
                    "parameters": [
                        {"name": "message_id", "in": "path", "required": True, "schema": {"type": "integer"}}
                    ],
                    "responses": {"200": _json(VersionsOut, "versions"), **_errors(400, 401, 404, 503)},
                }
            },
            "/api/users/{username}/role": {
                "post": {
                    "summary": "Make someone a member or a moderator (admins only)",
                    "security": cookie,
                    "requestBody": _body(RoleIn),
                    "parameters": [{"name": "username", "in": "path", "required": True, "schema": {"type": "string"}}],
                    "responses": {"200": _json(UserPayload, "the user"), **_errors(400, 401, 403, 404, 413, 503)},
                }
            },
            "/api/mentions": {
                "get": {
                    "summary": "Messages that mention the reader, newest first, across rooms",
                    "security": either,
                    "parameters": [
                        {"name": "before", "in": "query", "schema": {"type": "integer", "minimum": 1}},
                        {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "default": 50}},
                    ],
                    "responses": {"200": _json(MentionsOut, "messages"), **_errors(400, 401, 503)},
                }
            },
            "/api/users": {
                "get": {
                    "summary": "People whose username starts with a prefix, by username (@ suggestions)",
                    "security": either,
                    "parameters": [
                        {"name": "prefix", "in": "query", "schema": {"type": "string", "default": ""}},
                        {
                            "name": "limit",
                            "in": "query",
                            "schema": {"type": "integer", "minimum": 1, "maximum": MAX_USER_LOOKUP_SIZE, "default": 10},
                        },
                    ],
                    "responses": {"200": _json(UsersOut, "people"), **_errors(400, 401, 429, 503)},
                }
            },
            "/healthz": {
                "get": {
                    "summary": "Liveness: the database answers",
                    "responses": {"200": _json(StatusOut, "healthy"), **_errors(503)},
                }
            },
            "/readyz": {
                "get": {
                    "summary": "Readiness: the database and Redis answer",
                    "responses": {"200": _json(StatusOut, "ready"), **_errors(503)},
                }
            },
        },
    }


@bp.get("/api/openapi.json")
def openapi() -> Response:
    return jsonify(build_spec())
