"""Run the chatroom: migrate (unless CHATROOM_AUTO_MIGRATE=0), then serve.

Configuration comes from the environment (see docs/operations.md).
"""

from __future__ import annotations

import os

ASYNC_MODE = os.environ.get("CHATROOM_ASYNC_MODE", "gevent")
if ASYNC_MODE == "gevent":
    # Before anything else imports socket or threading: gevent must patch them first.
    from gevent import monkey

    monkey.patch_all()

import logging  # noqa: E402
import sys  # noqa: E402

from chatroom import Config, ConfigError, create_app, socketio  # noqa: E402
from chatroom.migrate import upgrade  # noqa: E402
from chatroom.netopts import enable_tcp_nodelay  # noqa: E402
from chatroom.passwords import warm_up  # noqa: E402
from chatroom.realtime import sessions  # noqa: E402
from chatroom.realtime.backpressure import start_watchdog  # noqa: E402
from chatroom.shutdown import DEFAULT_GRACE_SECONDS, GracefulShutdown  # noqa: E402

log = logging.getLogger("chatroom.server")


def main() -> int:
    try:
        config = Config.from_env(async_mode=ASYNC_MODE)
    except ConfigError as exc:
        print(f"configuration error: {exc}", file=sys.stderr)
        return 2
    app = create_app(config)
    if config.auto_migrate:
        upgrade(config.database_url)
    warm_up()
    start_watchdog(socketio, config.max_queued_packets)
    if config.redis_url:
        sessions.start_listener(socketio, config.redis_url, config.redis_prefix)
    shutdown = None
    if ASYNC_MODE == "gevent":
        enable_tcp_nodelay()
        grace = float(os.environ.get("CHATROOM_SHUTDOWN_GRACE") or DEFAULT_GRACE_SECONDS)
        shutdown = GracefulShutdown(socketio, grace)
        shutdown.install()
    log.info(
        "Chatroom serving on http://%s:%d (%s, %s)",
        config.host,
        config.port,
        ASYNC_MODE,
        config.database_url.split(":", 1)[0],
    )
    socketio.run(app, host=config.host, port=config.port, allow_unsafe_werkzeug=True, log_output=False)
    if shutdown is not None:
        shutdown.wait()
    log.info("Chatroom stopped")
    return 0


if __name__ == "__main__":
    sys.exit(main())
