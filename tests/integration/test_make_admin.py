"""`python server.py --make-admin <username>` promotes an account from the shell and exits."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from flask import Flask
from sqlalchemy import select

from chatroom.extensions import db
from chatroom.models import User
from chatroom.services import accounts
from tests.conftest import PASSWORD
from tests.support.procs import ROOT


def make_admin(database_url: str, tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(ROOT / "server.py"), "--make-admin", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={
            "PATH": str(Path(sys.executable).parent),
            "DATABASE_URL": database_url,
            "CHATROOM_INSTANCE_PATH": str(tmp_path / "instance"),
        },
    )


def roles(usernames: list[str]) -> list[str]:
    with db.session() as s:
        found = dict(s.execute(select(User.username, User.role)).all())
    return [found[name] for name in usernames]


def test_make_admin_promotes_an_account_and_refuses_unknown_ones(
    any_db_url: str, make_app: Callable[..., Flask], tmp_path: Path
) -> None:
    make_app(any_db_url)
    with db.session() as s:
        for name in ("first", "bob"):
            accounts.sign_up(s, f"{name}@example.com", name, PASSWORD)
    assert roles(["first", "bob"]) == ["admin", "member"]

    done = make_admin(any_db_url, tmp_path, "BOB")
    assert done.returncode == 0, done.stderr
    assert "bob is now an admin" in done.stdout
    assert roles(["first", "bob"]) == ["admin", "admin"]

    unknown = make_admin(any_db_url, tmp_path, "nobody")
    assert unknown.returncode == 1
    assert "no user 'nobody'" in unknown.stderr
    usage = make_admin(any_db_url, tmp_path)
    assert usage.returncode == 2
