"""The one write path for sends and votes: a writer that commits them together (group commit).

Under load, handlers queue their ops faster than one transaction takes; the writer then
applies everything waiting in one transaction and one commit, so the commit cost (the
fsync and the room lock) is paid once per batch rather than once per message. At low load
a batch is a single op and nothing waits. Acks still come only after the commit.

A synchronous writer (tests, make_table.py) runs the same steps in the caller's thread,
one op per batch.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from contextlib import contextmanager
from typing import Protocol

from sqlalchemy import Connection, event
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from chatroom import broadcaster, metrics
from chatroom.errors import ChatError
from chatroom.extensions import db
from chatroom.services.batch_apply import WRITE_SENT, Applied, Op, Outcome, SendOp, apply_batch

log = logging.getLogger(__name__)

MAX_BATCH = 256


class MessageLimit(Protocol):
    """The per-author message rate limit, as the writer uses it."""

    def messages_left(self, user_id: int) -> int | None:
        """How many more messages the user may send now; None when unlimited."""

    def charge_messages(self, user_id: int, count: int) -> None:
        """Count `count` stored messages against the user's budget."""


class GroupWriter:
    """Commits queued sends and votes in batches from one thread of its own, or, when
    `synchronous`, each op in the caller's thread. `limit` is the message rate limit."""

    def __init__(
        self, limit: MessageLimit | None = None, *, synchronous: bool = False, wait_seconds: float = 30.0
    ) -> None:
        self.limit = limit
        self.synchronous = synchronous
        self.wait_seconds = wait_seconds
        self._queue: queue.SimpleQueue[tuple[Op, Future[Outcome]]] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._start_lock = threading.Lock()
        # The writer thread's own database connection, held between batches (see _session).
        self._connection: Connection | None = None
        # Whether the batch being applied has begun its commit (see _commit).
        self._commit_sent = False
        # Room ids by slug, kept across batches (apply_batch's `room_ids`) by a writer thread,
        # which serves one app and so one database; a synchronous writer keeps none.
        self._room_ids: dict[str, int] | None = None if synchronous else {}

    def submit(self, op: Op) -> Outcome:
        """Queue `op`, wait for the commit that includes it, and return its outcome."""
        future: Future[Outcome] = Future()
        if self.synchronous:
            self._apply([(op, future)])
            return future.result()
        self._ensure_running()
        self._queue.put((op, future))
        try:
            return future.result(timeout=self.wait_seconds)
        except FutureTimeout as exc:
            # Its batch may still commit: a retry with the same client_id then finds it.
            raise ChatError("unavailable", "the database is too slow right now; try again") from exc

    def run(self, op: Op) -> Outcome:
        """Apply `op` and return its outcome; raise its error if it has one."""
        outcome = self.submit(op)
        if isinstance(outcome, ChatError):
            raise outcome
        return outcome

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
        ops = [op for op, _ in batch]
        try:
            # The rate limit store is asked before the transaction and charged after the
            # commit, so a slow store never holds a database lock.
            budgets = self._budgets(ops)
            applied = self._commit(ops, budgets)
            metrics.WRITER_BATCH_OPS.observe(len(ops))
        except Exception as exc:  # noqa: BLE001 - every waiter learns of the failure; the writer goes on
            for _, future in batch:
                future.set_exception(exc)
            return
        self._charge(applied.charges)
        broadcaster.publish(applied.broadcasts)
        broadcaster.mentioned(applied.mentions)
        for (_, future), outcome in zip(batch, applied.outcomes, strict=True):
            future.set_result(outcome)

    def _commit(self, ops: list[Op], budgets: dict[int, int]) -> Applied:
        try:
            return self._commit_once(ops, budgets)
        except DBAPIError as exc:
            if self.synchronous or not exc.connection_invalidated or self._commit_sent:
                raise
            # The held connection died (a database restart, a dropped TCP connection) before
            # this batch sent its COMMIT: PostgreSQL rolled the transaction back, so nothing
            # of it can be applied twice. Once more on a fresh connection; its failure the
            # waiters learn. A connection lost during the COMMIT leaves the outcome unknown
            # (a repeated vote would toggle it back), so that one is never retried here.
            log.warning("writer: the database connection was lost; reconnecting")
            return self._commit_once(ops, budgets)

    def _commit_once(self, ops: list[Op], budgets: dict[int, int]) -> Applied:
        self._commit_sent = False
        with self._session() as session:
            # The connection's own counter (chatroom.metrics): statements of other
            # connections, running meanwhile, are not this batch's.
            counted = session.connection().info
            sent_before = counted.get(metrics.STATEMENTS_KEY, 0)
            try:
                applied = apply_batch(session, ops, budgets, self._room_ids)
            finally:
                # A statement that commits by itself was sent: as good as a COMMIT sent.
                self._commit_sent = self._commit_sent or bool(session.info.get(WRITE_SENT))
            metrics.WRITER_BATCH_STATEMENTS.observe(counted.get(metrics.STATEMENTS_KEY, 0) - sent_before)
        return applied

    def _committing(self, _connection: Connection) -> None:
        self._commit_sent = True

    @contextmanager
    def _session(self) -> Iterator[Session]:
        """A session for one batch. The writer thread keeps one connection of its own rather
        than checking one out of the pool per batch: no ping round trip and no checkout
        and return work per commit. A failed batch closes it (a dead or half-used
        connection is never reused); the next batch takes another from the pool, which
        replaced all of its own if the failure was a lost connection (extensions.py). A
        synchronous writer runs in its callers' threads and uses the pool."""
        if self.synchronous:
            with db.session() as session:
                yield session
            return
        if self._connection is None:
            self._connection = db.engine.connect()
            if self._connection.dialect.name == "postgresql":
                # Each statement commits unless a batch begins a transaction (batch_apply's
                # _autocommits): a batch of new messages is then its reads and one write.
                self._connection.execution_options(isolation_level="AUTOCOMMIT")
            # Once per connection, not per batch: marks the moment its COMMIT goes out.
            event.listen(self._connection, "commit", self._committing)
        try:
            with Session(bind=self._connection, expire_on_commit=False) as session:
                yield session
        except BaseException:
            connection, self._connection = self._connection, None
            connection.invalidate()
            connection.close()
            raise

    def _budgets(self, ops: list[Op]) -> dict[int, int]:
        if self.limit is None:
            return {}
        budgets: dict[int, int] = {}
        for author_id in {op.author.id for op in ops if isinstance(op, SendOp)}:
            left = self.limit.messages_left(author_id)
            if left is not None:
                budgets[author_id] = left
        return budgets

    def _charge(self, charges: Counter[int]) -> None:
        if self.limit is None:
            return
        for author_id, count in charges.items():
            self.limit.charge_messages(author_id, count)
