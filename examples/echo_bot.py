"""Echo bot: answers `!ping` with `pong` in a room.

CHATROOM_URL=https://chat.example.com CHATROOM_TOKEN=chr_... python examples/echo_bot.py --room general
"""

import argparse

from chatroom_client import NewMessage, client_from_env

parser = argparse.ArgumentParser(description=__doc__)
parser.add_argument("--room", default="general")
parser.add_argument("--once", action="store_true", help="stop after the first answer")
parser.add_argument("--timeout", type=float, help="stop after this many seconds")
args = parser.parse_args()

with client_from_env() as chat:
    chat.join(args.room)
    print(f"listening in {args.room}", flush=True)
    for event in chat.events(timeout=args.timeout):
        if isinstance(event, NewMessage) and event.message["body"] == "!ping":
            chat.send(event.room, "pong")
            if args.once:
                break
