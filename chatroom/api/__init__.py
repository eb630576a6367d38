"""HTTP blueprints: parse, call one service, serialize."""

from __future__ import annotations

from typing import Any, TypeVar

from flask import Flask, Response, jsonify, request
from werkzeug.exceptions import HTTPException, MethodNotAllowed

from chatroom.error_mapping import as_chat_error
from chatroom.errors import ChatError
from chatroom.jsondepth import MAX_DEPTH
from chatroom.schemas import Payload

P = TypeVar("P", bound=Payload)

# Werkzeug's status codes mapped onto our error codes.
_HTTP_CODES = {
    400: "invalid",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    413: "payload_too_large",
    429: "rate_limited",
}


def json_body(schema: type[P]) -> P:
    """The request's JSON object, validated; anything else is a 400 `invalid`."""
    data = request.get_json(silent=True, force=True)
    if not isinstance(data, dict):
        raise ChatError("invalid", f"the body must be a JSON object nested at most {MAX_DEPTH} levels deep")
    return schema.model_validate(data)


def error_response(error: ChatError) -> tuple[Response, int]:
    return jsonify(error.body()), error.status


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(ChatError)
    def _chat_error(exc: ChatError) -> tuple[Response, int]:
        return error_response(exc)

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException) -> Any:
        status = exc.code or 500
        code = _HTTP_CODES.get(status)
        if code is None:
            return exc
        message = exc.description if status != 429 else "too many attempts; wait a minute and try again"
        response, _ = error_response(ChatError(code, str(message)))
        if status == 429 and exc.response is not None and "Retry-After" in exc.response.headers:
            response.headers["Retry-After"] = exc.response.headers["Retry-After"]
        if isinstance(exc, MethodNotAllowed) and exc.valid_methods:
            response.headers["Allow"] = ", ".join(exc.valid_methods)
        return response, status

    @app.errorhandler(Exception)
    def _any_error(exc: Exception) -> tuple[Response, int]:
        return error_response(as_chat_error(exc))
