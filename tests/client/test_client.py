"""The client library against real `server.py` processes: log-in, rooms, sends, votes,
history, live events, typed errors, and catch-up after a SIGKILL and after a lost broadcast."""

from __future__ import annotations

import asyncio
import signal
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from chatroom_client import (
    AsyncClient,
    BadCredentialsError,
    Client,
    Disconnected,
    Event,
    ForbiddenError,
    InvalidError,
    Mentioned,
    Message,
    MessageUpdated,
    MethodNotAllowedError,
    NewMessage,
    NotFoundError,
    Reconnected,
    TakenError,
    TooLongError,
    UnauthorizedError,
)
from tests.conftest import PASSWORD
from tests.support.procs import ServerProcess


@pytest.fixture
def server(tmp_path: Path) -> Iterator[ServerProcess]:
    with ServerProcess(f"sqlite:///{tmp_path / 'chat.db'}", tmp_path) as proc:
        yield proc


def person(url: str, name: str | None = None) -> Client:
    name = name or f"u{uuid.uuid4().hex[:10]}"
    client = Client(url, reconnect_delay=0.2, reconnect_delay_max=1.0)
    client.signup(f"{name}@example.com", name, PASSWORD)
    return client


def collect(client: Client, done: Callable[[list[Event]], bool], timeout: float = 30) -> list[Event]:
    """Events of `client` until `done` says enough (fails after `timeout` seconds)."""
    got: list[Event] = []
    deadline = time.monotonic() + timeout
    while not done(got):
        remaining = deadline - time.monotonic()
        assert remaining > 0, f"gave up waiting; events so far: {got}"
        event = client.next_event(timeout=remaining)
        if event is not None:
            got.append(event)
    return got


def new_bodies(events: list[Event]) -> list[str]:
    return [e.message["body"] for e in events if isinstance(e, NewMessage)]


def test_log_in_rooms_send_vote_history_and_live_events(server: ServerProcess) -> None:
    person(server.url, "alice").close()
    alice = Client(server.url)
    bob = person(server.url, "bob")
    try:
        assert alice.login("alice@example.com", PASSWORD)["username"] == "alice"
        assert alice.me()["username"] == "alice"
        room = alice.create_room("Book club", "What we read")
        assert (room["slug"], room["topic"], room["member"]) == ("book-club", "What we read", True)
        assert "book-club" in {r["slug"] for r in alice.rooms()}
        assert alice.room("book-club")["name"] == "Book club"

        assert alice.join("book-club").messages == []
        assert bob.join("book-club").seq == 0
        sent = alice.send("book-club", "  hello, club  ")
        assert sent["body"] == "hello, club"
        assert sent["client_id"] is not None
        (arrived,) = [e for e in collect(bob, new_bodies) if isinstance(e, NewMessage)]
        assert arrived.room == "book-club"
        assert arrived.message == sent

        vote = bob.upvote(sent["id"])
        assert (vote.upvotes, vote.downvotes, vote.score, vote.my_vote) == (1, 0, 1, 1)
        update = collect(alice, lambda got: any(isinstance(e, MessageUpdated) for e in got))[-1]
        assert isinstance(update, MessageUpdated)
        assert (update.message["id"], update.message["upvotes"]) == (sent["id"], 1)
        switched = bob.downvote(sent["id"])
        assert (switched.upvotes, switched.downvotes, switched.my_vote) == (0, 1, -1)
        assert bob.timeline("book-club").messages[sent["id"]]["my_vote"] == -1

        # Paging back reaches every message exactly once.
        more = [alice.send("book-club", f"page {n}") for n in range(7)]
        page = alice.history("book-club", limit=3)
        assert [m["id"] for m in page.messages] == [m["id"] for m in more[-3:]]
        assert page.has_more
        everything = list(alice.iter_history("book-club", page_size=3))
        assert [m["id"] for m in everything] == [m["id"] for m in reversed([sent, *more])]
    finally:
        alice.close()
        bob.close()


def test_mentions_arrive_as_events_and_are_listed(server: ServerProcess) -> None:
    alice, bob = person(server.url, "alice"), person(server.url, "bob")
    try:
        bob.connect()  # connected, never joined: a mention reaches him anyway
        sent = alice.send("general", "@BOB have a look")
        assert sent["mentions"] == ["bob"]
        (mentioned,) = [e for e in collect(bob, lambda got: any(isinstance(e, Mentioned) for e in got))]
        assert isinstance(mentioned, Mentioned)
        assert (mentioned.room, mentioned.message) == ("general", {**sent, "my_vote": 0})
        later = alice.send("general", "and @bob again")
        page = bob.mentions(limit=1)
        assert ([m["id"] for m in page.messages], page.has_more) == ([later["id"]], True)
        assert [m["id"] for m in bob.mentions(before=later["id"]).messages] == [sent["id"]]
        assert bob.room("general")["mentions"] == 2
        assert [u["username"] for u in bob.find_users("AL")] == ["alice"]
    finally:
        alice.close()
        bob.close()


def test_errors_are_typed_with_the_protocol_code(server: ServerProcess) -> None:
    alice = person(server.url, "alice")
    stranger = Client(server.url)
    try:
        with pytest.raises(BadCredentialsError) as bad:
            stranger.login("alice@example.com", "not the password at all")
        assert (bad.value.code, bad.value.status) == ("bad_credentials", 401)
        with pytest.raises(UnauthorizedError):
            stranger.rooms()
        with pytest.raises(UnauthorizedError):
            stranger.join("general")  # the socket refuses a connection without a session
        with pytest.raises(NotFoundError) as missing:
            alice.join("nowhere")
        assert missing.value.code == "not_found"
        with pytest.raises(InvalidError):
            alice.send("general", "   ")
        with pytest.raises(TooLongError):
            alice.send("general", "x" * 4001)
        alice.create_room("Quiet corner")
        with pytest.raises(TakenError) as taken:
            alice.create_room("Quiet Corner")
        assert taken.value.field == "name"
    finally:
        alice.close()
        stranger.close()


def test_a_resend_with_the_same_client_id_is_stored_once(server: ServerProcess) -> None:
    alice, bob = person(server.url), person(server.url)
    try:
        bob.join("general")
        first = alice.send("general", "only once", client_id="fixed-1")
        again = alice.send("general", "only once", client_id="fixed-1")
        assert again["id"] == first["id"]
        marker = alice.send("general", "marker")
        events = collect(bob, lambda got: {"only once", "marker"} <= set(new_bodies(got)))
        # Each frame is handled in its own thread: the order of the two events may vary.
        assert sorted(new_bodies(events)) == ["marker", "only once"]
        assert [m["body"] for m in alice.history("general").messages] == ["only once", "marker"]
        assert marker["id"] > first["id"]
    finally:
        alice.close()
        bob.close()


@pytest.mark.postgres
def test_catch_up_after_a_sigkill_gets_each_change_once_and_a_send_in_the_outage_is_kept(
    pg_url: str, tmp_path: Path
) -> None:
    database = pg_url
    main = ServerProcess(database, tmp_path).start()
    other: ServerProcess | None = None
    alice = person(main.url, "alice")
    bob = person(main.url, "bob")
    try:
        alice.join("general")
        before = bob.send("general", "before the crash")
        collect(alice, lambda got: "before the crash" in new_bodies(got))

        main.kill(signal.SIGKILL)
        collect(alice, lambda got: any(isinstance(e, Disconnected) for e in got))
        # While alice's server is down, a second process on the same database takes writes.
        other = ServerProcess(database, tmp_path).start()
        carol = Client(other.url)
        carol.login("bob@example.com", PASSWORD)
        missed = [carol.send("general", f"while you were away {n}") for n in range(3)]
        carol.upvote(before["id"])
        carol.close()
        other.kill(signal.SIGTERM)
        # Alice sends during the outage: the library resends with the same client_id.
        outcome: list[Message] = []
        sender = threading.Thread(target=lambda: outcome.append(alice.send("general", "sent in the outage")))
        sender.start()

        main.start()
        events = collect(
            alice,
            lambda got: (
                len(new_bodies(got)) >= 4
                and any(isinstance(e, MessageUpdated) and e.message["id"] == before["id"] for e in got)
            ),
        )
        sender.join(timeout=60)
        assert outcome, "the send in the outage never returned"
        assert any(isinstance(e, Reconnected) for e in events)
        # Each missed message once, the outage send once, the vote applied.
        assert sorted(new_bodies(events)) == sorted([m["body"] for m in missed] + ["sent in the outage"])
        timeline = alice.timeline("general")
        assert timeline.messages[before["id"]]["upvotes"] == 1
        stored = alice.history("general").messages
        assert [m["body"] for m in stored].count("sent in the outage") == 1
        assert {m["id"]: (m["upvotes"], m["seq"]) for m in stored} == {
            i: (m["upvotes"], m["seq"]) for i, m in timeline.messages.items()
        }
        assert timeline.watermark == max(m["seq"] for m in stored)
    finally:
        alice.close()
        bob.close()
        main.kill()
        if other is not None:
            other.kill()


@pytest.mark.postgres
def test_a_lost_broadcast_is_fetched_again_after_the_gap(pg_url: str, tmp_path: Path) -> None:
    # Two processes on one database and no Redis: a write on the second is never broadcast
    # to sockets of the first, exactly like a broadcast lost to a crash.
    database = pg_url
    with ServerProcess(database, tmp_path) as first, ServerProcess(database, tmp_path) as second:
        alice = person(first.url, "alice")
        bob = person(first.url, "bob")
        carol = Client(second.url)
        try:
            carol.login("bob@example.com", PASSWORD)
            alice.join("general")
            carol.send("general", "lost broadcast")
            bob.send("general", "seen live")
            events = collect(alice, lambda got: {"lost broadcast", "seen live"} <= set(new_bodies(got)))
            assert sorted(new_bodies(events)) == ["lost broadcast", "seen live"]
            assert alice.timeline("general").watermark == 2
        finally:
            for client in (alice, bob, carol):
                client.close()


def test_the_async_client_has_the_same_behaviour(server: ServerProcess) -> None:
    bob = person(server.url, "bob")

    async def scenario() -> None:
        async with AsyncClient(server.url, reconnect_delay=0.2, reconnect_delay_max=1.0) as alice:
            await alice.signup("alice@example.com", "alice", PASSWORD)
            joined = await alice.join("general")
            assert joined.room == "general"
            sent = await alice.send("general", "from asyncio", client_id="async-1")
            assert (await alice.send("general", "from asyncio", client_id="async-1"))["id"] == sent["id"]
            bob.join("general")
            bob.send("general", "from threads")
            got: list[str] = []
            async for event in alice.events(timeout=30):
                if isinstance(event, NewMessage):
                    got.append(event.message["body"])
                if "from threads" in got:
                    break
            assert got == ["from asyncio", "from threads"]
            vote = await alice.upvote(sent["id"])
            assert vote.my_vote == 1
            with pytest.raises(NotFoundError):
                await alice.join("nowhere")
            page = await alice.history("general", limit=1)
            assert [m["body"] for m in page.messages] == ["from threads"]
            assert [m["body"] async for m in alice.iter_history("general", page_size=1)] == [
                "from threads",
                "from asyncio",
            ]

            # Across a SIGKILL: reconnected and caught up, each message once.
            server.kill(signal.SIGKILL)
            server.start()
            bob.send("general", "after the restart")
            after: list[str] = []
            async for event in alice.events(timeout=60):
                if isinstance(event, NewMessage):
                    after.append(event.message["body"])
                if "after the restart" in after:
                    break
            assert after == ["after the restart"]
            assert alice.timeline("general").watermark == (await alice.history("general")).messages[-1]["seq"]

    try:
        asyncio.run(scenario())
    finally:
        bob.close()


def test_tokens_log_a_bot_in_over_http_and_socket_until_revoked(server: ServerProcess) -> None:
    alice = person(server.url, "alice")
    bot: Client | None = None
    try:
        try:
            created = alice.create_token("echo bot")
        except (NotFoundError, MethodNotAllowedError):
            pytest.skip("this server has no personal API tokens (no POST /api/tokens)")
        assert created.secret.startswith("chr_")
        assert created.secret not in repr(created)
        bot = Client(server.url, token=created.secret)
        assert bot.me()["username"] == "alice"
        bot.join("general")
        assert bot.send("general", "sent with a token")["author"]["username"] == "alice"
        with pytest.raises(ForbiddenError):
            bot.create_token("another")
        alice.revoke_token(created.token["id"])
        # The connected socket is cut off: the bot's event loop ends with the refusal.
        with pytest.raises(UnauthorizedError):
            collect(bot, lambda got: False, timeout=30)
        with pytest.raises(UnauthorizedError):
            Client(server.url, token=created.secret).me()
    finally:
        alice.close()
        if bot is not None:
            bot.close()
