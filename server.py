"""Run the chatroom: migrate (unless CHATROOM_AUTO_MIGRATE=0), then serve.

`python server.py --migrate-only` migrates and exits: the one-shot step that deployments
with several processes run once before starting them (with CHATROOM_AUTO_MIGRATE=0).
`python server.py --wait-for-migrations` waits until the database is at the latest schema
(a Kubernetes initContainer, so replicas start only after the migration Job).
`python server.py --make-admin <username>` makes that account an admin and exits, for servers
whose first account (the admin) is gone.

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
from chatroom.collector import Collector  # noqa: E402
from chatroom.library_patches import (  # noqa: E402
    LibraryMismatchError,
    check_library_internals,
    complete_websocket_sends,
    patch_gevent_server,
    ping_from_one_timer,
)
from chatroom.metrics import open_connections  # noqa: E402
from chatroom.migrate import alembic_config, upgrade  # noqa: E402
from chatroom.passwords import warm_up  # noqa: E402
from chatroom.realtime import sessions  # noqa: E402
from chatroom.realtime.backpressure import start_watchdog  # noqa: E402
from chatroom.shutdown import GracefulShutdown  # noqa: E402

log = logging.getLogger("chatroom.server")
# How long gevent's loop runs ready greenlets before it polls for I/O again (see main).
LOOP_SLICE_SECONDS = 0.001


def wait_for_migrations(database_url: str, timeout: float = 600.0) -> bool:
    """True once the database's Alembic revision is the code's head."""
    import time

    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory
    from sqlalchemy import create_engine

    head = ScriptDirectory.from_config(alembic_config(database_url)).get_current_head()
    engine = create_engine(database_url)
    deadline = time.monotonic() + timeout
    try:
        while True:
            try:
                with engine.connect() as conn:
                    current = MigrationContext.configure(conn).get_current_revision()
            except Exception as exc:  # noqa: BLE001 - the database may still be starting
                current = f"unreachable ({exc.__class__.__name__})"
            if current == head:
                print(f"Chatroom database at {head}", flush=True)
                return True
            if time.monotonic() > deadline:
                print(f"Chatroom database at {current}, expected {head}", file=sys.stderr)
                return False
            print(f"waiting for migrations: database at {current}, expected {head}", flush=True)
            time.sleep(3)
    finally:
        engine.dispose()


def make_admin(config: Config, username: str) -> int:
    """Promote an account to admin from the shell; 1 when there is no such account."""
    from chatroom.errors import ChatError
    from chatroom.extensions import db
    from chatroom.services import moderation

    if config.auto_migrate:
        upgrade(config.database_url)
    db.init(config)
    try:
        with db.session() as s:
            user = moderation.make_admin(s, username)
    except ChatError as exc:
        print(f"--make-admin: {exc.message}", file=sys.stderr)
        return 1
    finally:
        db.dispose()
    print(f"{user.username} is now an admin", flush=True)
    return 0


def main() -> int:
    try:
        config = Config.from_env(async_mode=ASYNC_MODE)
    except ConfigError as exc:
        print(f"configuration error: {exc}", file=sys.stderr)
        return 2
    try:
        check_library_internals()
    except LibraryMismatchError as exc:
        print(f"refusing to start: {exc}", file=sys.stderr)
        return 2
    if sys.argv[1:] == ["--wait-for-migrations"]:
        return 0 if wait_for_migrations(config.database_url) else 1
    if sys.argv[1:2] == ["--make-admin"]:
        if len(sys.argv) != 3:
            print("usage: server.py --make-admin <username>", file=sys.stderr)
            return 2
        return make_admin(config, sys.argv[2])
    if sys.argv[1:] == ["--migrate-only"]:
        upgrade(config.database_url)
        print("Chatroom database migrated", flush=True)
        return 0
    app = create_app(config)
    if config.auto_migrate:
        upgrade(config.database_url)
    warm_up()
    start_watchdog(socketio, config.max_queued_packets)
    if config.redis_url:
        sessions.start_listener(socketio, config.redis_url, config.redis_prefix)
    shutdown = None
    if ASYNC_MODE == "gevent":
        # gevent's loop runs ready greenlets for up to the switch interval (5 ms by default)
        # before it polls for I/O again. A client flooding cheap events (refused joins, bad
        # frames) keeps greenlets ready all the time, so every database round trip of the
        # writer waited about one slice, five or more per batch. Polling every millisecond
        # bounds that wait (a 90 s soak beside a join flood: other people's ack p99 324 ms
        # before, 66 ms after); the CPU cost is one poll per busy millisecond. The same
        # setting paces GIL hand-offs between real threads; the only ones here, argon2's
        # pool, hash with the GIL released.
        sys.setswitchinterval(LOOP_SLICE_SECONDS)
        patch_gevent_server(config.header_timeout_seconds)
        complete_websocket_sends()
        ping_from_one_timer(socketio.server.eio)
        shutdown = GracefulShutdown(socketio, config.shutdown_grace_seconds)
        shutdown.install()
    # Everything allocated so far (modules, the app, the ORM's mappers: about 185,000 tracked
    # objects) lives as long as the process. Frozen, it leaves the collector's generations, so
    # a full collection scans only what arrived since instead of pausing the loop for 90-200 ms.
    collector = Collector(open_connections, thresholds=(config.gc_threshold, 10, 10), burst=config.gc_freeze_burst)
    collector.install()
    collector.freeze_after_start()
    socketio.start_background_task(collector.run, socketio.sleep)
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
