from __future__ import annotations

from collections.abc import Callable

import pytest
from flask import Flask
from sqlalchemy.exc import IntegrityError

from chatroom import broadcaster
from chatroom.errors import ChatError
from chatroom.extensions import db
from chatroom.models import User
from chatroom.services import accounts
from tests.conftest import PASSWORD


def test_sign_up_normalizes_and_hashes(app: Flask) -> None:
    with db.session() as s:
        user = accounts.sign_up(s, " Ann@Example.COM ", "ann_1", PASSWORD)
    assert user.email == "Ann@example.com"
    assert user.password_hash.startswith("$argon2id$")
    assert PASSWORD not in user.password_hash


def test_argon2_parameters_meet_owasp_minimum(app: Flask) -> None:
    with db.session() as s:
        user = accounts.sign_up(s, "p@example.com", "params", PASSWORD)
    params = user.password_hash.split("$")[3]
    fields = dict(part.split("=") for part in params.split(","))
    assert int(fields["m"]) >= 19 * 1024
    assert int(fields["t"]) >= 2


@pytest.mark.parametrize(
    ("email", "username", "password", "field"),
    [
        ("not-an-email", "okname", PASSWORD, "email"),
        ("a@example.com", "no", PASSWORD, "username"),
        ("a@example.com", "x" * 33, PASSWORD, "username"),
        ("a@example.com", "bad name!", PASSWORD, "username"),
        ("a@example.com", "okname", "short", "password"),
        ("a@example.com", "okname", "x" * 257, "password"),
        ("a@example.com", "okname", "1234567890", "password"),
        ("a@example.com", "okname", "iloveyou12", "password"),
        ("a@example.com", "longusername", "LongUserName", "password"),
        ("someone.long@example.com", "okname", "Someone.Long@example.com", "password"),
    ],
)
def test_sign_up_rejects_bad_input_naming_the_field(
    app: Flask, email: str, username: str, password: str, field: str
) -> None:
    with db.session() as s, pytest.raises(ChatError) as caught:
        accounts.sign_up(s, email, username, password)
    assert caught.value.code == "invalid"
    assert caught.value.field == field


def test_common_password_list_has_ten_thousand_entries() -> None:
    from chatroom.passwords import common_passwords

    assert len(common_passwords()) >= 9900
    assert "password" in common_passwords()


def test_email_and_username_are_unique_ignoring_case(app: Flask) -> None:
    with db.session() as s:
        accounts.sign_up(s, "dup@example.com", "Dupe", PASSWORD)
        with pytest.raises(ChatError) as by_email:
            accounts.sign_up(s, "DUP@EXAMPLE.COM", "other", PASSWORD)
        with pytest.raises(ChatError) as by_name:
            accounts.sign_up(s, "other@example.com", "dUPE", PASSWORD)
    assert (by_email.value.code, by_email.value.field) == ("taken", "email")
    assert (by_name.value.code, by_name.value.field) == ("taken", "username")


def test_authenticate_same_error_for_unknown_email_and_wrong_password(app: Flask) -> None:
    with db.session() as s:
        accounts.sign_up(s, "known@example.com", "known", PASSWORD)
        errors = []
        for email, password in [("known@example.com", "wrong password!"), ("nobody@example.com", PASSWORD)]:
            with pytest.raises(ChatError) as caught:
                accounts.authenticate(s, email, password)
            errors.append(caught.value.body())
        assert errors[0] == errors[1]
        assert accounts.authenticate(s, "KNOWN@example.com", PASSWORD).username == "known"


def test_unknown_email_still_runs_one_argon2_verification(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    from chatroom import passwords

    calls: list[str] = []

    class CountingHasher(type(passwords.HASHER)):  # type: ignore[misc]
        def verify(self, hash: str | bytes, password: str | bytes) -> bool:
            calls.append(str(hash))
            return bool(super().verify(hash, password))

    monkeypatch.setattr(passwords, "HASHER", CountingHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1))
    with db.session() as s, pytest.raises(ChatError):
        accounts.authenticate(s, "ghost@example.com", PASSWORD)
    assert len(calls) == 1
    assert calls[0].startswith("$argon2id$")


def test_sessions_end_and_time_out(app: Flask) -> None:
    with db.session() as s:
        user = accounts.sign_up(s, "sess@example.com", "sess", PASSWORD)
        first = accounts.start_session(s, user)
        second = accounts.start_session(s, user)
        assert first.token != second.token
        assert accounts.resume_session(s, first.token, 60, 60) == first
        accounts.end_session(s, first.token)
        assert accounts.resume_session(s, first.token, 60, 60) is None
        assert accounts.resume_session(s, second.token, 60, 60) is not None
        assert accounts.resume_session(s, "forged-token", 60, 60) is None


def test_expired_sessions_are_refused(app: Flask) -> None:
    from datetime import timedelta

    from chatroom.models import AuthSession

    with db.session() as s:
        user = accounts.sign_up(s, "old@example.com", "oldsession", PASSWORD)
        token = accounts.start_session(s, user).token
        row = s.get(AuthSession, accounts.hash_token(token))
        assert row is not None
        row.last_seen_at -= timedelta(seconds=120)
        s.commit()
        assert accounts.resume_session(s, token, idle_timeout=60, absolute_timeout=3600) is None
        token = accounts.start_session(s, user).token
        row = s.get(AuthSession, accounts.hash_token(token))
        assert row is not None
        row.created_at -= timedelta(seconds=7200)
        s.commit()
        assert accounts.resume_session(s, token, idle_timeout=3600, absolute_timeout=3600) is None


def test_last_seen_is_written_every_five_minutes_or_a_tenth_of_the_idle_timeout(app: Flask) -> None:
    """A socket re-checks its session every minute: most re-checks must stay reads."""
    from datetime import timedelta

    from chatroom.models import AuthSession

    def seen_after(token: str, ago: timedelta, idle_timeout: int) -> timedelta:
        with db.session() as s:
            row = s.get(AuthSession, accounts.hash_token(token))
            assert row is not None
            row.last_seen_at -= ago
            before = row.last_seen_at
            s.commit()
            assert accounts.resume_session(s, token, idle_timeout=idle_timeout, absolute_timeout=86400) is not None
            s.expire_all()
            row = s.get(AuthSession, accounts.hash_token(token))
            assert row is not None
            return row.last_seen_at - before

    with db.session() as s:
        user = accounts.sign_up(s, "seen@example.com", "seenuser", PASSWORD)
        token = accounts.start_session(s, user).token
    day = 86400
    assert seen_after(token, timedelta(minutes=2), day) == timedelta(0)  # within five minutes: a read
    assert seen_after(token, timedelta(minutes=6), day) > timedelta(minutes=5)  # written
    assert seen_after(token, timedelta(seconds=30), 3600) == timedelta(0)
    assert seen_after(token, timedelta(seconds=7), 60) > timedelta(seconds=6)  # a tenth of 60 s


def test_log_out_commits_before_it_tells_the_sockets(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    """A socket told of the log-out that re-checks its session at once finds it gone."""
    with db.session() as s:
        ended = accounts.start_session(s, accounts.sign_up(s, "out@example.com", "leaving", PASSWORD))
    seen_when_told: list[accounts.SessionUser | None] = []

    def told(token_hash: str) -> None:
        assert token_hash == ended.token_hash
        with db.session() as other:  # another connection sees only what was committed
            seen_when_told.append(accounts.resume_session(other, ended.token, 3600, 3600))

    monkeypatch.setattr(broadcaster, "session_ended", told)
    with db.session() as s:
        accounts.log_out(s, ended.token)
    assert seen_when_told == [None]
@pytest.fixture
def app_on_any_db(make_app: Callable[..., Flask], any_db_url: str) -> Flask:
    return make_app(any_db_url)


def test_non_ascii_emails_compare_the_same_on_every_database(app_on_any_db: Flask) -> None:
    """SQLite's lower() folds ASCII only: comparing there once let Élodie sign up and never log in."""
    with db.session() as s:
        user = accounts.sign_up(s, "Élodie@example.com", "elodie", PASSWORD)
        assert accounts.authenticate(s, "élodie@example.com", PASSWORD).id == user.id
        assert accounts.authenticate(s, "ÉLODIE@EXAMPLE.COM", PASSWORD).id == user.id
        # NFKC: a fullwidth letter and an ideographic full stop name the same address.
        assert accounts.authenticate(s, "élodie@ｅxample。com", PASSWORD).id == user.id  # noqa: RUF001
        with pytest.raises(ChatError) as twin:
            accounts.sign_up(s, "élodie@example.com", "elodie2", PASSWORD)
    assert (twin.value.code, twin.value.field) == ("taken", "email")
    assert user.email == "Élodie@example.com"  # shown as typed; compared folded


def test_the_folded_email_is_unique_in_the_database(app_on_any_db: Flask) -> None:
    with db.session() as s:
        accounts.sign_up(s, "Zoë@example.com", "zoe", PASSWORD)
        s.add(User(email="ZOË@example.com", email_folded="zoë@example.com", username="zoe2", password_hash="x"))
        with pytest.raises(IntegrityError):
            s.commit()


def test_fold_email_never_raises() -> None:
    for raw in ["", "   ", "no at sign", "\ud800@example.com", "a@" + "b" * 400 + ".com", "U@EXAMPLE.COM"]:
        assert isinstance(accounts.fold_email(raw), str)
    assert accounts.fold_email(" U@ｅxample。COM ") == "u@example.com"  # noqa: RUF001


def test_end_oldest_sessions_keeps_the_newest(app: Flask) -> None:
    with db.session() as s:
        user = accounts.sign_up(s, "many@example.com", "many", PASSWORD)
        started = [accounts.start_session(s, user) for _ in range(4)]
        ended = accounts.end_oldest_sessions(s, user.id, keep=2)
        assert ended == [started[1].token_hash, started[0].token_hash]
        alive = [accounts.resume_session(s, one.token, 3600, 3600) is not None for one in started]
    assert alive == [False, False, True, True]
