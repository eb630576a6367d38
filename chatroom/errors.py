"""The one error shape: {"error": {"code", "message", "field"?}}."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

HTTP_STATUS = {
    "invalid": 400,
    "too_long": 400,
    "unauthorized": 401,
    "bad_credentials": 401,
    "forbidden": 403,
    "muted": 403,
    "not_found": 404,
    "method_not_allowed": 405,
    "taken": 409,
    "payload_too_large": 413,
    "rate_limited": 429,
    "internal": 500,
    "unavailable": 503,
}


class ChatError(Exception):
    """An expected failure that the client is told about with a stable code."""

    def __init__(self, code: str, message: str, field: str | None = None) -> None:
        if code not in HTTP_STATUS:
            raise ValueError(f"unknown error code {code!r}")
        super().__init__(message)
        self.code = code
        self.message = message
        self.field = field

    @property
    def status(self) -> int:
        return HTTP_STATUS[self.code]

    def body(self) -> dict[str, Any]:
        error: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.field is not None:
            error["field"] = self.field
        return {"error": error}


def from_validation_error(exc: ValidationError) -> ChatError:
    """The first problem pydantic found, as an `invalid` error naming its field."""
    first = exc.errors(include_url=False, include_input=False)[0]
    location = [str(part) for part in first.get("loc", ())]
    field = location[0] if location else None
    message = str(first.get("msg", "invalid value"))
    if first.get("type") == "missing":
        message = "is required"
    text = f"{'.'.join(location)}: {message}" if location else message
    return ChatError("invalid", text, field)
