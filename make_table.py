"""Create the tables (through the migrations) and insert sample data.

    python3 make_table.py            # DATABASE_URL, or the SQLite file under instance/
    python3 make_table.py --if-empty # only when no user exists yet (used by `make run`)

make_table.sql does the same in plain SQL for the PostgreSQL container.
"""

from __future__ import annotations

import argparse
import sys

from sqlalchemy import func, select

from chatroom import Config, create_app
from chatroom.extensions import db
from chatroom.migrate import upgrade
from chatroom.models import User
from chatroom.services import accounts, messages, votes
from chatroom.services.writer import GroupWriter

SAMPLE_PASSWORD = "chatroom sample password"  # noqa: S105 - documented demo accounts
SAMPLE_USERS = [("alice", "alice@example.com"), ("bob", "bob@example.com"), ("carol", "carol@example.com")]
SAMPLE_MESSAGES = [
    ("alice", "Welcome to Chatroom! Say hello and vote on what you like."),
    ("bob", "Hi everyone 👋 Links work too: https://example.com"),
    ("carol", "Line breaks are kept.\nLike this."),
    ("alice", "Markup stays text: <b>not bold</b>"),
]
# (voter, message index, +1 or -1)
SAMPLE_VOTES = [("bob", 0, 1), ("carol", 0, 1), ("alice", 1, 1), ("carol", 1, -1), ("bob", 2, 1)]


def insert_sample_data() -> None:
    with db.session() as s:
        people = {
            name: accounts.start_session(s, accounts.sign_up(s, email, name, SAMPLE_PASSWORD))
            for name, email in SAMPLE_USERS
        }
        writer = GroupWriter(synchronous=True)
        ids = [
            messages.send_message(writer, people[author], "general", body, f"sample-{i}").message["id"]
            for i, (author, body) in enumerate(SAMPLE_MESSAGES)
        ]
        for voter, index, value in SAMPLE_VOTES:
            votes.cast_vote(writer, people[voter], ids[index], value)
        for person in people.values():
            accounts.end_session(s, person.token)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--if-empty", action="store_true", help="skip when the database already has users")
    args = parser.parse_args(argv)
    config = Config.from_env(rate_limits=False)
    upgrade(config.database_url)
    create_app(config)
    with db.session() as s:
        has_users = (s.scalar(select(func.count()).select_from(User)) or 0) > 0
    if has_users:
        if args.if_empty:
            print("make_table: the database already has data; left as it is")
            return 0
        print("make_table: the database already has users; not adding sample data twice", file=sys.stderr)
        return 1
    insert_sample_data()
    print(
        f"make_table: schema migrated and sample data added (users {', '.join(n for n, _ in SAMPLE_USERS)}; "
        f"password {SAMPLE_PASSWORD!r})"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
