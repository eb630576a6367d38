"""One configuration object, read from the environment."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path

PACKAGE_ROOT = Path(__file__).resolve().parent
PROJECT_ROOT = PACKAGE_ROOT.parent
DEFAULT_INSTANCE = PROJECT_ROOT / "instance"

# Secrets people paste from examples; refused in production whatever their length.
_PLACEHOLDER_SECRETS = {"changeme", "change-me", "secret", "dev", "development", "replace-me"}
MIN_PRODUCTION_SECRET_LENGTH = 32


class ConfigError(RuntimeError):
    """The environment asks for something the server refuses to run with."""


def _flag(value: str | None, default: bool) -> bool:
    if value is None or value.strip() == "":
        return default
    return value.strip().lower() not in {"0", "off", "false", "no"}


def _positive(name: str, value: str | None, default: int) -> int:
    if value is None or value.strip() == "":
        return default
    try:
        number = int(value)
    except ValueError as exc:
        raise ConfigError(f"{name} must be a whole number, got {value!r}") from exc
    if number <= 0:
        raise ConfigError(f"{name} must be positive, got {number}")
    return number


def _not_negative(name: str, value: str | None, default: int) -> int:
    if value is not None and value.strip() == "0":
        return 0
    return _positive(name, value, default)


def _load_or_create_secret(instance: Path) -> str:
    """A development secret, generated once and kept so sessions survive restarts."""
    path = instance / "secret_key"
    if path.exists():
        return path.read_text().strip()
    instance.mkdir(parents=True, exist_ok=True)
    secret = secrets.token_hex(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(secret)
    return secret


@dataclass(frozen=True)
class Config:
    database_url: str
    secret_key: str
    host: str = "127.0.0.1"
    port: int = 5000
    env: str = "development"
    redis_url: str | None = None
    rate_limits: bool = True
    auto_migrate: bool = True
    allowed_origins: tuple[str, ...] = ()
    session_idle_timeout: int = 14 * 24 * 3600
    session_absolute_timeout: int = 30 * 24 * 3600
    log_format: str = "text"
    async_mode: str = "threading"
    db_timeout_seconds: int = 5
    instance_path: Path = field(default=DEFAULT_INSTANCE)
    # A connection with more unsent packets than this has stopped reading and is dropped.
    max_queued_packets: int = 2000
    # ... or more unsent bytes than this (a few history pages).
    max_queued_bytes: int = 4 * 1024 * 1024
    # Events of one connection that run at once; its further frames wait to be read.
    max_events_in_flight: int = 4
    # Open Engine.IO connections per client address (REMOTE_ADDR as the app sees it); 0: no cap.
    max_connections_per_address: int = 50
    # Seconds an HTTP connection may stay silent while the server waits for its request.
    header_timeout_seconds: int = 10
    # Namespaces this deployment's keys and channels in a shared Redis.
    redis_prefix: str = "chatroom"
    testing: bool = False

    @property
    def production(self) -> bool:
        return self.env == "production"

    @property
    def rate_limit_storage(self) -> str:
        return self.redis_url or "memory://"

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None, **overrides: object) -> Config:
        env = dict(os.environ if environ is None else environ)
        instance = Path(env.get("CHATROOM_INSTANCE_PATH") or DEFAULT_INSTANCE)
        chat_env = env.get("CHATROOM_ENV", "development").strip().lower() or "development"
        database_url = env.get("DATABASE_URL") or f"sqlite:///{instance / 'chatroom.db'}"
        secret = env.get("SECRET_KEY") or ""
        if chat_env == "production":
            if not secret:
                raise ConfigError("SECRET_KEY must be set when CHATROOM_ENV=production")
            if len(secret) < MIN_PRODUCTION_SECRET_LENGTH or secret.lower() in _PLACEHOLDER_SECRETS:
                raise ConfigError(
                    f"SECRET_KEY is too weak for production: use at least "
                    f"{MIN_PRODUCTION_SECRET_LENGTH} random characters "
                    "(python -c 'import secrets; print(secrets.token_hex(32))')"
                )
        elif not secret:
            secret = _load_or_create_secret(instance)
        try:
            port = int(env.get("PORT", "5000"))
        except ValueError as exc:
            raise ConfigError(f"PORT must be a number, got {env.get('PORT')!r}") from exc
        origins = tuple(o.strip().rstrip("/") for o in env.get("CHATROOM_ALLOWED_ORIGINS", "").split(",") if o.strip())
        if "*" in origins:
            raise ConfigError("CHATROOM_ALLOWED_ORIGINS may not contain '*': list the origins")
        values: dict[str, object] = dict(
            database_url=normalize_database_url(database_url),
            secret_key=secret,
            host=env.get("HOST", "127.0.0.1"),
            port=port,
            env=chat_env,
            redis_url=env.get("REDIS_URL") or None,
            rate_limits=_flag(env.get("CHATROOM_RATE_LIMITS"), True),
            auto_migrate=_flag(env.get("CHATROOM_AUTO_MIGRATE"), True),
            allowed_origins=origins,
            session_idle_timeout=_positive(
                "CHATROOM_SESSION_IDLE_TIMEOUT", env.get("CHATROOM_SESSION_IDLE_TIMEOUT"), 14 * 24 * 3600
            ),
            session_absolute_timeout=_positive(
                "CHATROOM_SESSION_ABSOLUTE_TIMEOUT",
                env.get("CHATROOM_SESSION_ABSOLUTE_TIMEOUT"),
                30 * 24 * 3600,
            ),
            log_format="json" if env.get("CHATROOM_LOG_FORMAT", "").lower() == "json" else "text",
            async_mode=env.get("CHATROOM_ASYNC_MODE", "threading"),
            db_timeout_seconds=_positive("CHATROOM_DB_TIMEOUT", env.get("CHATROOM_DB_TIMEOUT"), 5),
            instance_path=instance,
            redis_prefix=env.get("CHATROOM_REDIS_PREFIX", "chatroom"),
            max_queued_packets=_positive("CHATROOM_MAX_QUEUED_PACKETS", env.get("CHATROOM_MAX_QUEUED_PACKETS"), 2000),
            max_queued_bytes=_positive(
                "CHATROOM_MAX_QUEUED_BYTES", env.get("CHATROOM_MAX_QUEUED_BYTES"), 4 * 1024 * 1024
            ),
            max_events_in_flight=_positive(
                "CHATROOM_MAX_EVENTS_IN_FLIGHT", env.get("CHATROOM_MAX_EVENTS_IN_FLIGHT"), 4
            ),
            max_connections_per_address=_not_negative(
                "CHATROOM_MAX_CONNECTIONS_PER_ADDRESS", env.get("CHATROOM_MAX_CONNECTIONS_PER_ADDRESS"), 50
            ),
            header_timeout_seconds=_positive("CHATROOM_HEADER_TIMEOUT", env.get("CHATROOM_HEADER_TIMEOUT"), 10),
        )
        values.update(overrides)
        return cls(**values)  # type: ignore[arg-type]


def normalize_database_url(url: str) -> str:
    """Accept the URLs people copy from Heroku-style providers; always use psycopg 3."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    return url
