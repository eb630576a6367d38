"""Personal API tokens: creation, the cap, lookup, last use and revocation (SQLite and PostgreSQL)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import timedelta

import pytest
from flask import Flask
from sqlalchemy import select, update

from chatroom import broadcaster
from chatroom.errors import ChatError
from chatroom.extensions import db
from chatroom.models import ApiToken, User, utcnow
from chatroom.schemas import MAX_LIVE_TOKENS
from chatroom.services import accounts, tokens
from tests.conftest import PASSWORD


@pytest.fixture
def app_on_any_db(make_app: Callable[..., Flask], any_db_url: str) -> Flask:
    return make_app(any_db_url)


def person(name: str) -> User:
    with db.session() as s:
        return accounts.sign_up(s, f"{name}@example.com", name, PASSWORD)


def test_a_new_token_has_a_prefixed_secret_of_which_only_the_hash_is_stored(app_on_any_db: Flask) -> None:
    owner = person("ann")
    with db.session() as s:
        token, secret = tokens.create_token(s, owner.id, "  deploy bot  ")
    assert secret.startswith("chr_")
    assert len(secret) >= len("chr_") + 43  # 256 random bits, URL-safe base64
    with db.session() as s:
        row = s.get(ApiToken, token.id)
        assert row is not None
        stored = [str(value) for value in (row.name, row.secret_hash, row.created_at, row.last_used_at)]
    assert row.name == "deploy bot"
    assert row.secret_hash == tokens.hash_secret(secret)
    assert all(secret not in value and secret[4:] not in value for value in stored)
    assert row.last_used_at is None and row.revoked_at is None


def test_two_tokens_never_share_a_secret(app_on_any_db: Flask) -> None:
    owner = person("ann")
    with db.session() as s:
        secrets = {tokens.create_token(s, owner.id, f"t{i}")[1] for i in range(5)}
    assert len(secrets) == 5


@pytest.mark.parametrize("name", ["", "   ", "x" * 65])
def test_a_name_must_be_1_to_64_characters_after_trimming(app_on_any_db: Flask, name: str) -> None:
    owner = person("ann")
    with db.session() as s, pytest.raises(ChatError) as refused:
        tokens.create_token(s, owner.id, name)
    assert (refused.value.code, refused.value.field) == ("invalid", "name")


def test_at_most_twenty_live_tokens_and_revoked_ones_do_not_count(
    app_on_any_db: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(broadcaster, "token_revoked", lambda _token_id: None)
    ann, ben = person("ann"), person("ben")
    with db.session() as s:
        made = [tokens.create_token(s, ann.id, f"t{i}")[0] for i in range(MAX_LIVE_TOKENS)]
        with pytest.raises(ChatError) as refused:
            tokens.create_token(s, ann.id, "one too many")
        assert refused.value.code == "too_many"
        # The cap is per person.
        tokens.create_token(s, ben.id, "ben's")
        tokens.revoke_token(s, ann.id, made[0].id)
        tokens.create_token(s, ann.id, "in the freed place")
        with pytest.raises(ChatError):
            tokens.create_token(s, ann.id, "over again")
        assert len(tokens.list_tokens(s, ann.id)) == MAX_LIVE_TOKENS


def test_creations_racing_for_the_last_place_let_exactly_one_through(app_on_any_db: Flask) -> None:
    """The owner's row is locked while counting, so concurrent creations cannot pass the cap."""
    ann = person("ann")
    with db.session() as s:
        for i in range(MAX_LIVE_TOKENS - 1):
            tokens.create_token(s, ann.id, f"t{i}")
    start = threading.Barrier(6)
    outcomes: list[str] = []

    def create(i: int) -> None:
        start.wait()
        try:
            with db.session() as s:
                tokens.create_token(s, ann.id, f"racer {i}")
            outcomes.append("created")
        except ChatError as exc:
            outcomes.append(exc.code)

    racers = [threading.Thread(target=create, args=(i,)) for i in range(6)]
    for racer in racers:
        racer.start()
    for racer in racers:
        racer.join()
    assert sorted(outcomes) == ["created"] + ["too_many"] * 5
    with db.session() as s:
        assert len(tokens.list_tokens(s, ann.id)) == MAX_LIVE_TOKENS


def test_the_list_holds_the_owners_live_tokens_oldest_first(
    app_on_any_db: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(broadcaster, "token_revoked", lambda _token_id: None)
    ann, ben = person("ann"), person("ben")
    with db.session() as s:
        first = tokens.create_token(s, ann.id, "first")[0]
        gone = tokens.create_token(s, ann.id, "gone")[0]
        last = tokens.create_token(s, ann.id, "last")[0]
        tokens.create_token(s, ben.id, "not ann's")
        tokens.revoke_token(s, ann.id, gone.id)
        assert [t.id for t in tokens.list_tokens(s, ann.id)] == [first.id, last.id]


def test_a_secret_finds_its_owner_and_nothing_else_does(app_on_any_db: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(broadcaster, "token_revoked", lambda _token_id: None)
    ann = person("ann")
    with db.session() as s:
        token, secret = tokens.create_token(s, ann.id, "bot")
        revoked, revoked_secret = tokens.create_token(s, ann.id, "old")
        tokens.revoke_token(s, ann.id, revoked.id)
        found = tokens.authenticate_token(s, secret)
        assert found == tokens.TokenUser(id=ann.id, username="ann", email="ann@example.com", token_id=token.id)
        for wrong in [
            revoked_secret,
            secret + "x",
            secret[:-1],
            "chr_" + "A" * 43,
            "",
            "not a token",
            "\udcff",
            "x" * 5000,
        ]:
            assert tokens.authenticate_token(s, wrong) is None, wrong


def test_last_use_is_recorded_at_most_once_a_minute(app_on_any_db: Flask) -> None:
    ann = person("ann")
    with db.session() as s:
        token, secret = tokens.create_token(s, ann.id, "bot")
        assert tokens.authenticate_token(s, secret) is not None
    with db.session() as s:
        first_use = s.scalar(select(ApiToken.last_used_at).where(ApiToken.id == token.id))
        assert first_use is not None
        assert tokens.authenticate_token(s, secret) is not None
    with db.session() as s:
        assert s.scalar(select(ApiToken.last_used_at).where(ApiToken.id == token.id)) == first_use
        # Two minutes later, the next use is recorded.
        s.execute(update(ApiToken).values(last_used_at=utcnow() - timedelta(minutes=2)))
        s.commit()
        assert tokens.authenticate_token(s, secret) is not None
    with db.session() as s:
        later = s.scalar(select(ApiToken.last_used_at).where(ApiToken.id == token.id))
    assert later is not None and tokens._aware(later) > tokens._aware(first_use)


def test_only_the_owner_revokes_a_live_token(app_on_any_db: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    told: list[int] = []
    monkeypatch.setattr(broadcaster, "token_revoked", told.append)
    ann, ben = person("ann"), person("ben")
    with db.session() as s:
        token, secret = tokens.create_token(s, ann.id, "bot")
        for who, which in [(ben.id, token.id), (ann.id, token.id + 1000)]:
            with pytest.raises(ChatError) as refused:
                tokens.revoke_token(s, who, which)
            assert refused.value.code == "not_found"
        assert told == []
        assert tokens.authenticate_token(s, secret) is not None
        tokens.revoke_token(s, ann.id, token.id)
        assert told == [token.id]
        with pytest.raises(ChatError) as again:
            tokens.revoke_token(s, ann.id, token.id)
        assert again.value.code == "not_found"
        assert tokens.authenticate_token(s, secret) is None
        assert not tokens.token_is_live(s, token.id)


def test_revocation_commits_before_it_tells_the_sockets(app_on_any_db: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    """A socket told of the revocation that re-checks its token at once finds it dead."""
    ann = person("ann")
    with db.session() as s:
        token, secret = tokens.create_token(s, ann.id, "bot")
    seen_when_told: list[bool] = []

    def told(token_id: int) -> None:
        with db.session() as other:  # another connection sees only what was committed
            seen_when_told.append(tokens.token_is_live(other, token_id))
            seen_when_told.append(tokens.authenticate_token(other, secret) is not None)

    monkeypatch.setattr(broadcaster, "token_revoked", told)
    with db.session() as s:
        tokens.revoke_token(s, ann.id, token.id)
    assert seen_when_told == [False, False]


def test_logging_out_leaves_tokens_working(app_on_any_db: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(broadcaster, "session_ended", lambda _token_hash: None)
    ann = person("ann")
    with db.session() as s:
        login = accounts.start_session(s, ann)
        _token, secret = tokens.create_token(s, ann.id, "bot")
    with db.session() as s:
        accounts.log_out(s, login.token)
        assert tokens.authenticate_token(s, secret) is not None


def test_tokens_go_with_their_owner(app_on_any_db: Flask) -> None:
    ann = person("ann")
    with db.session() as s:
        tokens.create_token(s, ann.id, "bot")
        s.delete(s.get(User, ann.id))
        s.commit()
        assert s.scalar(select(ApiToken.id)) is None
