"""Daily top: posts a room's three best messages of the last day.

Uses the Top view (`GET /api/rooms/<slug>/top?window=day`) when the server has it; otherwise
the three highest scores among the last day's messages.

    CHATROOM_URL=https://chat.example.com CHATROOM_TOKEN=chr_... python examples/daily_top.py --room general
"""

import argparse
from datetime import UTC, datetime, timedelta

from chatroom_client import NotFoundError, client_from_env

parser = argparse.ArgumentParser(description=__doc__)
parser.add_argument("--room", default="general")
args = parser.parse_args()

with client_from_env() as chat:
    try:
        best = chat.top(args.room, window="day", limit=3).messages
    except NotFoundError:  # no Top view on this server
        since = datetime.now(UTC) - timedelta(days=1)
        recent = []
        for message in chat.iter_history(args.room):  # newest first
            if datetime.fromisoformat(message["created_at"]) < since:
                break
            recent.append(message)
        best = sorted(recent, key=lambda m: (-m["score"], m["id"]))[:3]
    lines = [f"{n}. {m['author']['username']} ({m['score']:+d}): {m['body']}" for n, m in enumerate(best, 1)]
    chat.send(args.room, "\n".join(["Top of the day:", *lines]) if lines else "Nothing posted today.")
    print(f"posted {len(lines)} in {args.room}", flush=True)
