"""Payload schemas, validated at the edge (HTTP bodies and Socket.IO events)."""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StrictInt, StrictStr

# Ids larger than a PostgreSQL bigint cannot exist; they are "not found", never an overflow.
MAX_ID = 2**63 - 1

# The protocol's rules (docs/protocol.md): the one source for the services, the schemas below
# and the web client, whose copy scripts/generate-client-types writes from these names.
BODY_MAX_CHARS = 4000
USERNAME_MIN_CHARS = 3
USERNAME_MAX_CHARS = 32
USERNAME_PATTERN = rf"^[A-Za-z0-9_-]{{{USERNAME_MIN_CHARS},{USERNAME_MAX_CHARS}}}$"
PASSWORD_MIN_CHARS = 10
PASSWORD_MAX_CHARS = 256
# History pages: the default size, and the most one request is served.
PAGE_SIZE = 50
MAX_PAGE_SIZE = 100


def _storable(value: str) -> str:
    # PostgreSQL text cannot hold NUL, and a lone surrogate cannot be encoded as UTF-8.
    if "\x00" in value:
        raise ValueError("must not contain NUL characters")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise ValueError("must be valid Unicode text") from exc
    return value


Text = Annotated[StrictStr, AfterValidator(_storable)]
PositiveId = Annotated[StrictInt, Field(ge=1)]
RoomSlug = Annotated[Text, Field(min_length=1, max_length=64)]


class Payload(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class SignupIn(Payload):
    email: Annotated[Text, Field(max_length=320)]
    username: Text
    password: Annotated[Text, Field(max_length=1024)]


class LoginIn(Payload):
    email: Annotated[Text, Field(max_length=320)]
    password: Annotated[Text, Field(max_length=1024)]


class JoinIn(Payload):
    room: RoomSlug
    after_seq: Annotated[StrictInt, Field(ge=0)] | None = None


class SendIn(Payload):
    room: RoomSlug
    # The length rule (1-4,000 after trimming, code too_long) is the service's business.
    body: Annotated[Text, Field(max_length=1_000_000)]
    client_id: Annotated[Text, Field(min_length=1, max_length=64)] | None = None


class VoteIn(Payload):
    message_id: PositiveId


class HistoryIn(Payload):
    room: RoomSlug
    before: PositiveId | None = None
    limit: Annotated[StrictInt, Field(ge=1)] = PAGE_SIZE


class HistoryQuery(Payload):
    """The HTTP query string form of HistoryIn: values arrive as text."""

    before: Annotated[int, Field(ge=1)] | None = None
    limit: Annotated[int, Field(ge=1)] = PAGE_SIZE


# Response shapes, for the OpenAPI description (the handlers build plain dicts).


class ErrorBody(BaseModel):
    code: str
    message: str
    field: str | None = None


class ErrorOut(BaseModel):
    error: ErrorBody


class UserOut(BaseModel):
    id: int
    username: str
    email: str
    created_at: str


class UserPayload(BaseModel):
    user: UserOut


class MeOut(BaseModel):
    id: int
    username: str
    email: str


class MePayload(BaseModel):
    user: MeOut


class AuthorOut(BaseModel):
    id: int
    username: str


class MessageOut(BaseModel):
    id: int
    room: str
    body: str
    author: AuthorOut
    created_at: str
    upvotes: int
    downvotes: int
    score: int
    my_vote: int
    client_id: str | None
    seq: int


class PageOut(BaseModel):
    ok: bool
    messages: list[MessageOut]
    has_more: bool


class StatusOut(BaseModel):
    status: str
