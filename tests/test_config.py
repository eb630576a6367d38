"""Config.from_env: every variable keeps its name, default and meaning; bad values name the variable."""

from __future__ import annotations

from pathlib import Path

import pytest

from chatroom.config import Config, ConfigError


def from_env(tmp_path: Path, **variables: str) -> Config:
    return Config.from_env({"CHATROOM_INSTANCE_PATH": str(tmp_path), **variables})


def test_defaults_fall_back_to_sqlite_in_the_instance_folder(tmp_path: Path) -> None:
    config = from_env(tmp_path)
    assert config.database_url == f"sqlite:///{tmp_path / 'chatroom.db'}"
    assert (tmp_path / "secret_key").read_text() == config.secret_key
    assert (config.host, config.port, config.env, config.redis_url) == ("127.0.0.1", 5000, "development", None)
    assert (config.rate_limits, config.auto_migrate, config.allowed_origins) == (True, True, ())
    assert (config.session_idle_timeout, config.session_absolute_timeout) == (14 * 86400, 30 * 86400)
    assert (config.db_timeout_seconds, config.max_queued_packets, config.shutdown_grace_seconds) == (5, 2000, 10.0)
    assert (config.log_format, config.async_mode, config.redis_prefix) == ("text", "threading", "chatroom")


def test_every_variable_is_read(tmp_path: Path) -> None:
    config = from_env(
        tmp_path,
        DATABASE_URL="postgres://db/chat",
        SECRET_KEY="s" * 40,
        HOST="0.0.0.0",
        PORT="5001",
        CHATROOM_ENV=" Production ",
        REDIS_URL="redis://r:6379/0",
        CHATROOM_REDIS_PREFIX="blue",
        CHATROOM_RATE_LIMITS="off",
        CHATROOM_AUTO_MIGRATE="no",
        CHATROOM_ALLOWED_ORIGINS="https://a.example/, https://b.example",
        CHATROOM_SESSION_IDLE_TIMEOUT="60",
        CHATROOM_SESSION_ABSOLUTE_TIMEOUT=" 120 ",
        CHATROOM_LOG_FORMAT="JSON",
        CHATROOM_ASYNC_MODE="gevent",
        CHATROOM_DB_TIMEOUT="2",
        CHATROOM_MAX_QUEUED_PACKETS="300",
        CHATROOM_SHUTDOWN_GRACE="2.5",
    )
    assert config.database_url == "postgresql+psycopg://db/chat"
    assert (config.host, config.port, config.production, config.redis_prefix) == ("0.0.0.0", 5001, True, "blue")
    assert config.rate_limit_storage == "redis://r:6379/0"
    assert (config.rate_limits, config.auto_migrate) == (False, False)
    assert config.allowed_origins == ("https://a.example", "https://b.example")
    assert (config.session_idle_timeout, config.session_absolute_timeout) == (60, 120)
    assert (config.log_format, config.async_mode) == ("json", "gevent")
    assert (config.db_timeout_seconds, config.max_queued_packets, config.shutdown_grace_seconds) == (2, 300, 2.5)
    assert config.instance_path == tmp_path


def test_empty_values_mean_the_default(tmp_path: Path) -> None:
    config = from_env(
        tmp_path,
        DATABASE_URL="",
        REDIS_URL="",
        CHATROOM_ENV="",
        CHATROOM_RATE_LIMITS="",
        CHATROOM_DB_TIMEOUT="",
        CHATROOM_MAX_QUEUED_PACKETS=" ",
        CHATROOM_SHUTDOWN_GRACE="",
        CHATROOM_LOG_FORMAT="",
    )
    assert config.database_url.startswith("sqlite:///")
    assert (config.redis_url, config.env, config.rate_limits) == (None, "development", True)
    assert (config.db_timeout_seconds, config.max_queued_packets, config.shutdown_grace_seconds) == (5, 2000, 10.0)
    assert config.log_format == "text"


def test_overrides_win_over_the_environment(tmp_path: Path) -> None:
    config = Config.from_env(
        {"CHATROOM_INSTANCE_PATH": str(tmp_path), "CHATROOM_RATE_LIMITS": "on"}, rate_limits=False, async_mode="gevent"
    )
    assert (config.rate_limits, config.async_mode) == (False, "gevent")


def test_a_config_built_by_hand_ignores_the_process_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CHATROOM_LOG_FORMAT", "json")
    monkeypatch.setenv("PORT", "1")
    monkeypatch.setenv("CHATROOM_INSTANCE_PATH", str(tmp_path))
    config = Config(database_url="sqlite://", secret_key="k", instance_path=tmp_path)
    assert (config.log_format, config.port) == ("text", 5000)
    assert (Config.from_env().log_format, Config.from_env().port) == ("json", 1)


def test_only_the_documented_variables_are_read(tmp_path: Path) -> None:
    assert from_env(tmp_path, testing="1", port="1").testing is False
    assert from_env(tmp_path, testing="1", port="1").port == 5000


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("PORT", "web"),
        ("CHATROOM_DB_TIMEOUT", "0"),
        ("CHATROOM_DB_TIMEOUT", "five"),
        ("CHATROOM_SESSION_IDLE_TIMEOUT", "-1"),
        ("CHATROOM_SESSION_ABSOLUTE_TIMEOUT", "1.5"),
        ("CHATROOM_MAX_QUEUED_PACKETS", "many"),
        ("CHATROOM_SHUTDOWN_GRACE", "soon"),
        ("CHATROOM_ALLOWED_ORIGINS", "https://a.example,*"),
    ],
)
def test_a_bad_value_is_refused_naming_its_variable(tmp_path: Path, variable: str, value: str) -> None:
    with pytest.raises(ConfigError, match=variable):
        from_env(tmp_path, **{variable: value})


def test_production_names_the_missing_secret(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="SECRET_KEY must be set"):
        from_env(tmp_path, CHATROOM_ENV="production")
    assert not (tmp_path / "secret_key").exists()


def test_collapse_score_defaults_to_minus_five_and_is_read(tmp_path: Path) -> None:
    assert from_env(tmp_path).collapse_score == -5
    assert from_env(tmp_path, CHATROOM_COLLAPSE_SCORE="").collapse_score == -5
    assert from_env(tmp_path, CHATROOM_COLLAPSE_SCORE=" -10 ").collapse_score == -10
    with pytest.raises(ConfigError, match="CHATROOM_COLLAPSE_SCORE"):
        from_env(tmp_path, CHATROOM_COLLAPSE_SCORE="low")
