"""argon2 runs off gevent's event loop, so a log-in does not stall every other greenlet."""

from __future__ import annotations

import subprocess
import sys

from tests.support.procs import ROOT

# Run in a fresh interpreter: gevent must patch threading before anything imports it, and the
# test process itself is not patched.
PROBE = """
from gevent import monkey
monkey.patch_all()
import gevent
from chatroom import passwords

events = []

def log_in():
    passwords.verify_password(passwords.hash_password("a perfectly fine passphrase"), "wrong guess")
    events.append("hashed")

def other_request():
    events.append("other request served")

first = gevent.spawn(log_in)
second = gevent.spawn(other_request)
gevent.joinall([first, second], raise_error=True)
print(",".join(events))
"""


def test_other_greenlets_run_while_argon2_hashes() -> None:
    """Ordering, not timing: on the event loop the hash finishes before the second greenlet
    ever runs; on the threadpool, the second one is served while the hash is computed."""
    result = subprocess.run(
        [sys.executable, "-c", PROBE], cwd=ROOT, capture_output=True, text=True, timeout=60, check=True
    )
    assert result.stdout.strip() == "other request served,hashed"


def test_without_gevent_hashing_is_a_plain_call() -> None:
    from chatroom import passwords

    assert passwords.verify_password(
        passwords.hash_password("a perfectly fine passphrase"), "a perfectly fine passphrase"
    )
    assert not passwords.verify_password(None, "anything at all")
