"""Password hashing (argon2id) and the password policy."""

from __future__ import annotations

import sys
from collections.abc import Callable
from functools import lru_cache
from typing import TypeVar

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from chatroom.config import PACKAGE_ROOT
from chatroom.schemas import PASSWORD_MAX_CHARS, PASSWORD_MIN_CHARS

T = TypeVar("T")

# At or above OWASP's argon2id minimum (m=19 MiB, t=2, p=1).
HASHER = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)


@lru_cache(maxsize=1)
def common_passwords() -> frozenset[str]:
    """The 10,000 most common passwords, shipped with the package."""
    path = PACKAGE_ROOT / "data" / "common-passwords.txt"
    return frozenset(line.strip().lower() for line in path.read_text().splitlines() if line.strip())


@lru_cache(maxsize=1)
def _decoy_hash() -> str:
    # Verified against when the email is unknown, so both failures cost one argon2 run.
    return HASHER.hash("decoy password that matches no account")


def policy_problem(password: str, username: str, email: str) -> str | None:
    """Why this password is refused, or None when it is acceptable."""
    if len(password) < PASSWORD_MIN_CHARS:
        return f"must be at least {PASSWORD_MIN_CHARS} characters"
    if len(password) > PASSWORD_MAX_CHARS:
        return f"must be at most {PASSWORD_MAX_CHARS} characters"
    lowered = password.lower()
    if lowered in common_passwords():
        return "is too common; choose something less guessable"
    if lowered in {username.lower(), email.lower(), email.split("@", 1)[0].lower()}:
        return "must not be your username or email"
    return None


def off_event_loop(work: Callable[[], T]) -> T:
    """Run CPU-bound work so that it does not stall the other greenlets.

    Under gevent, every request shares one OS thread: tens of milliseconds of argon2 there
    would hold up every socket and request of the process. gevent's threadpool runs it on a
    real thread instead (argon2 releases the GIL), and only the calling greenlet waits.
    Without gevent (tests, threading mode) it is a plain call.
    """
    if "gevent" in sys.modules:
        import gevent.monkey

        if gevent.monkey.is_module_patched("threading"):
            import gevent

            result: T = gevent.get_hub().threadpool.apply(work)
            return result
    return work()


def hash_password(password: str) -> str:
    return off_event_loop(lambda: HASHER.hash(password))


def verify_password(password_hash: str | None, password: str) -> bool:
    """Constant work whether or not an account exists: pass None for an unknown one."""
    target = password_hash or _decoy_hash()

    def verify() -> bool:
        try:
            return HASHER.verify(target, password)
        except (VerificationError, InvalidHashError):
            return False

    return off_event_loop(verify) and password_hash is not None


def warm_up() -> None:
    """Compute the decoy hash at start, not during the first unknown-email log-in."""
    _decoy_hash()
    common_passwords()
