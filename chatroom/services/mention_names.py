"""Finding @mentions in bodies: which existing people a body names.

A mention token is `@` followed by a maximal run of username characters (A-Z, a-z, 0-9, `_`,
`-`) that is not itself preceded by a username character, so `a@b.com` names nobody. Only a
run that is an existing username, compared ignoring case, is a mention. The write path
(services.batch_apply) resolves the names of a whole batch's bodies in one query.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from chatroom.models import User
from chatroom.schemas import USERNAME_MAX_CHARS, USERNAME_MIN_CHARS

# The username characters of schemas.USERNAME_PATTERN.
_MENTION_RE = re.compile(r"(?<![A-Za-z0-9_-])@([A-Za-z0-9_-]+)")


@dataclass(frozen=True)
class Named:
    """A person a body can mention."""

    id: int
    username: str


def candidates(body: str) -> list[str]:
    """The names a body's @tokens could be, lowercased, in order of first appearance, once
    each; only runs of a username's length can be one."""
    found: dict[str, None] = {}
    for match in _MENTION_RE.finditer(body):
        name = match.group(1)
        if USERNAME_MIN_CHARS <= len(name) <= USERNAME_MAX_CHARS:
            found.setdefault(name.lower(), None)
    return list(found)


def resolve(session: Session, bodies: Iterable[str]) -> dict[str, Named]:
    """The existing people among the candidates of all `bodies`, by lowercased name: one
    query however many bodies (a batch's)."""
    names = {name for body in bodies for name in candidates(body)}
    if not names:
        return {}
    rows = session.execute(select(User.id, User.username).where(func.lower(User.username).in_(sorted(names)))).all()
    return {username.lower(): Named(int(user_id), username) for user_id, username in rows}


def mentioned(body: str, people: Mapping[str, Named]) -> list[Named]:
    """The people `body` mentions, in order of first appearance, given resolve()'s answer."""
    return [people[name] for name in candidates(body) if name in people]
