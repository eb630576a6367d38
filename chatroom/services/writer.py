"""One writer per process that commits concurrent sends and votes together (group commit).

Under load, handlers queue their ops faster than one transaction takes; the writer then
applies everything waiting in one transaction and one commit, so the commit cost (the
fsync and the room lock) is paid once per batch rather than once per message. At low load
a batch is a single op and nothing waits. Acks still come only after the commit.
"""

from __future__ import annotations

import logging
import queue
import threading
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout

from sqlalchemy.orm import Session

from chatroom import broadcaster
from chatroom.errors import ChatError
from chatroom.extensions import db
from chatroom.services.batch_apply import Op, Outcome, apply_batch

log = logging.getLogger(__name__)

MAX_BATCH = 256


class GroupWriter:
    def __init__(self, wait_seconds: float = 30.0) -> None:
        self.wait_seconds = wait_seconds
        self._queue: queue.SimpleQueue[tuple[Op, Future[Outcome]]] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._start_lock = threading.Lock()

    def submit(self, op: Op) -> Outcome:
        """Queue `op`, wait for the commit that includes it, and return its outcome."""
        self._ensure_running()
        future: Future[Outcome] = Future()
        self._queue.put((op, future))
        try:
            return future.result(timeout=self.wait_seconds)
        except FutureTimeout as exc:
            # Its batch may still commit: a retry with the same client_id then finds it.
            raise ChatError("unavailable", "the database is too slow right now; try again") from exc

    def _ensure_running(self) -> None:
        with self._start_lock:
            if self._thread is None or not self._thread.is_alive():
                # A (green) thread of this process; gevent's monkey-patching makes it a greenlet.
                self._thread = threading.Thread(target=self._run, name="chatroom-writer", daemon=True)
                self._thread.start()

    def _run(self) -> None:
        while True:
            batch = [self._queue.get()]
            while len(batch) < MAX_BATCH:
                try:
                    batch.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            self._apply(batch)

    def _apply(self, batch: list[tuple[Op, Future[Outcome]]]) -> None:
        try:
            with db.session() as session:
                applied = apply_batch(session, [op for op, _ in batch])
        except Exception as exc:  # noqa: BLE001 - every waiter learns of the failure; the writer goes on
            for _, future in batch:
                future.set_exception(exc)
            return
        broadcaster.publish(applied.broadcasts)
        for (_, future), outcome in zip(batch, applied.outcomes, strict=True):
            future.set_result(outcome)


def run_op(session: Session, op: Op, writer: GroupWriter | None) -> Outcome:
    """Apply one op through the writer, or directly in `session`; raise its error if any."""
    if writer is not None:
        # End the caller's read transaction first: holding it (and, on SQLite, the write
        # lock that BEGIN IMMEDIATE takes) while the writer commits would block the writer.
        session.rollback()
        outcome = writer.submit(op)
    else:
        applied = apply_batch(session, [op])
        broadcaster.publish(applied.broadcasts)
        outcome = applied.outcomes[0]
    if isinstance(outcome, ChatError):
        raise outcome
    return outcome


writer = GroupWriter()
