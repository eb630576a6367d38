"""Turning any exception into the one error shape, at the HTTP and socket edges alike."""

from __future__ import annotations

import logging

from pydantic import ValidationError
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from chatroom.errors import ChatError, from_validation_error

log = logging.getLogger("chatroom")


def as_chat_error(exc: BaseException) -> ChatError:
    """The error a client is told about. Never a stack trace: unknown failures are logged."""
    return _classify(exc)


def _classify(exc: BaseException) -> ChatError:
    if isinstance(exc, ChatError):
        return exc
    if isinstance(exc, ValidationError):
        return from_validation_error(exc)
    if isinstance(exc, (OperationalError, PoolTimeout)) or (isinstance(exc, DBAPIError) and exc.connection_invalidated):
        log.warning("database unavailable: %s", exc.__class__.__name__)
        return ChatError("unavailable", "the database is not answering; try again shortly")
    log.exception("unexpected error", exc_info=exc)
    return ChatError("internal", "something went wrong on our side")
