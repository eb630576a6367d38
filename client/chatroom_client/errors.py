"""Typed exceptions. Each server error carries the protocol's code (docs/protocol.md, Errors)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


class ChatroomError(Exception):
    """Base of every error this library raises.

    `code` is the protocol's machine-readable code (`invalid`, `not_found`, ...), or, for the
    transport errors below, one of the client-side codes `not_connected`, `timeout` and
    `connection_lost`. `status` is the HTTP status when the error came over HTTP.
    """

    code = "unexpected"

    def __init__(
        self, message: str = "", *, code: str | None = None, field: str | None = None, status: int | None = None
    ) -> None:
        super().__init__(message or self.code)
        if code is not None:
            self.code = code
        self.message = message
        self.field = field
        self.status = status

    def __str__(self) -> str:
        where = f" (field {self.field})" if self.field else ""
        return f"{self.code}: {self.message}{where}"


class InvalidError(ChatroomError):
    code = "invalid"


class TooLongError(ChatroomError):
    code = "too_long"


class UnauthorizedError(ChatroomError):
    code = "unauthorized"


class BadCredentialsError(ChatroomError):
    code = "bad_credentials"


class ForbiddenError(ChatroomError):
    code = "forbidden"


class NotFoundError(ChatroomError):
    code = "not_found"


class MethodNotAllowedError(ChatroomError):
    code = "method_not_allowed"


class TakenError(ChatroomError):
    code = "taken"


class TooManyError(ChatroomError):
    code = "too_many"


class PayloadTooLargeError(ChatroomError):
    code = "payload_too_large"


class RateLimitedError(ChatroomError):
    """Too many requests. `retry_after` is the server's `Retry-After` in seconds, when given."""

    code = "rate_limited"

    def __init__(self, message: str = "", *, retry_after: float | None = None, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.retry_after = retry_after


class UnavailableError(ChatroomError):
    code = "unavailable"


class InternalError(ChatroomError):
    code = "internal"


class SessionEndedError(UnauthorizedError):
    """The server ended this client's session (log-out, a revoked token); it will not reconnect."""

    def __init__(self, reason: str) -> None:
        super().__init__(f"session ended: {reason}")
        self.reason = reason


class TransportError(ChatroomError):
    """The request did not get an answer from the server."""


class NotConnectedError(TransportError):
    """The socket is not connected: nothing was sent, so the request can be sent again."""

    code = "not_connected"


class AckTimeoutError(TransportError):
    """The request was sent but no answer came in time: its outcome is unknown."""

    code = "timeout"


class ConnectionLostError(TransportError):
    """The connection dropped after the request was sent: its outcome is unknown."""

    code = "connection_lost"


BY_CODE: dict[str, type[ChatroomError]] = {
    cls.code: cls
    for cls in (
        InvalidError,
        TooLongError,
        UnauthorizedError,
        BadCredentialsError,
        ForbiddenError,
        NotFoundError,
        MethodNotAllowedError,
        TakenError,
        TooManyError,
        PayloadTooLargeError,
        RateLimitedError,
        UnavailableError,
        InternalError,
    )
}


def error_from(body: Any, *, status: int | None = None, retry_after: float | None = None) -> ChatroomError:
    """The typed exception for an error body or ack: `{"error": {"code", "message", "field"?}}`."""
    error = body.get("error") if isinstance(body, Mapping) else None
    if not isinstance(error, Mapping):
        return ChatroomError(f"unexpected answer: {body!r}"[:500], status=status)
    code = str(error.get("code", "unexpected"))
    message = str(error.get("message", ""))
    field = error.get("field")
    field = str(field) if field is not None else None
    cls = BY_CODE.get(code, ChatroomError)
    if cls is RateLimitedError:
        return RateLimitedError(message, field=field, status=status, retry_after=retry_after)
    return cls(message, code=code, field=field, status=status)
