"""One configuration object, read from the environment with pydantic-settings.

Each setting is one field: its environment variable (the field's alias), its default and its
description, from which scripts/generate writes docs/operations.md's table of variables.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import Annotated, Any, ClassVar, Literal

from limits import parse
from pydantic import Field, ValidationError, ValidationInfo, field_validator
from pydantic_settings import BaseSettings, EnvSettingsSource, NoDecode, PydanticBaseSettingsSource, SettingsConfigDict

from chatroom.schemas import DEFAULT_COLLAPSE_SCORE, SEARCHES_PER_USER

PACKAGE_ROOT = Path(__file__).resolve().parent
PROJECT_ROOT = PACKAGE_ROOT.parent
DEFAULT_INSTANCE = PROJECT_ROOT / "instance"

# Secrets people paste from examples; refused in production whatever their length.
_PLACEHOLDER_SECRETS = {"changeme", "change-me", "secret", "dev", "development", "replace-me"}
MIN_PRODUCTION_SECRET_LENGTH = 32
_FALSE_WORDS = {"0", "off", "false", "no"}
_DAY = 24 * 3600

# The environment `Config.from_env` reads; unset, a `Config(...)` holds only what it is given.
_environ: ContextVar[Mapping[str, str] | None] = ContextVar("chatroom_config_environ", default=None)


class ConfigError(RuntimeError):
    """The environment asks for something the server refuses to run with."""


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


def normalize_database_url(url: str) -> str:
    """Accept the URLs people copy from Heroku-style providers; always use psycopg 3."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    return url


class _EnvironSource(EnvSettingsSource):
    """The variables of one mapping (`from_env`'s), and only those named by a field's alias."""

    def __init__(self, settings_cls: type[BaseSettings], environ: Mapping[str, str]) -> None:
        self._environ = environ
        super().__init__(settings_cls)

    def _load_env_vars(self) -> Mapping[str, str | None]:
        names = Config.environment_variables()
        return {name: value for name, value in self._environ.items() if name in names.values()}


class Config(BaseSettings):
    """The server's settings; `Config.from_env()` reads them from the environment."""

    model_config = SettingsConfigDict(frozen=True, case_sensitive=True, validate_by_name=True, extra="forbid")

    env: str = Field(
        "development",
        validation_alias="CHATROOM_ENV",
        description="`production` enforces a strong `SECRET_KEY` and makes the session cookie "
        "`__Host-chatroom`, `Secure` (HTTPS only).",
    )
    instance_path: Path = Field(
        DEFAULT_INSTANCE,
        validation_alias="CHATROOM_INSTANCE_PATH",
        description="Folder for the SQLite file and the development secret (`/tmp/chatroom` in the image).",
        json_schema_extra={"shown_default": "`instance/`"},
    )
    database_url: str = Field(
        "",
        validation_alias="DATABASE_URL",
        validate_default=True,
        description="The database. `postgres://` and `postgresql://` URLs are used with psycopg 3. "
        "Use PostgreSQL for more than one process.",
        json_schema_extra={"shown_default": "SQLite file `instance/chatroom.db`"},
    )
    secret_key: str = Field(
        "",
        validation_alias="SECRET_KEY",
        validate_default=True,
        repr=False,
        description="Signs session cookies. Required, at least 32 characters and not a placeholder "
        "when `CHATROOM_ENV=production`. Must be identical on every process.",
        json_schema_extra={"shown_default": "generated once into `instance/secret_key` (development only)"},
    )
    host: str = Field(
        "127.0.0.1", validation_alias="HOST", description="Address to listen on (`0.0.0.0` in the image)."
    )
    port: int = Field(5000, validation_alias="PORT", description="Port to listen on.")
    redis_url: str | None = Field(
        None,
        validation_alias="REDIS_URL",
        description="Enables the Redis message queue (cross-process broadcasts), shared rate limits and "
        "the Redis check of `/readyz`. Required with more than one process.",
    )
    redis_prefix: str = Field(
        "chatroom",
        validation_alias="CHATROOM_REDIS_PREFIX",
        description="Prefix of this deployment's Redis keys and channel, so several deployments can share one Redis.",
    )
    rate_limits: bool = Field(
        True,
        validation_alias="CHATROOM_RATE_LIMITS",
        description="`0`/`off`/`false`/`no` disables the socket and HTTP rate limits (tests do).",
    )
    rate_limit_scale: int = Field(
        1,
        ge=1,
        le=10_000,
        validation_alias="CHATROOM_RATE_LIMIT_SCALE",
        description="Multiplies the per-user socket limits (messages, joins, history and Top pages, votes, edits, "
        "mutes), for a community of busy bots or a load test; the log-in, sign-up and other HTTP limits stay.",
    )
    auto_migrate: bool = Field(
        True,
        validation_alias="CHATROOM_AUTO_MIGRATE",
        description="Run the migrations at start. Turn off when several processes start together; "
        "run `server.py --migrate-only` once instead.",
    )
    allowed_origins: Annotated[tuple[str, ...], NoDecode] = Field(
        (),
        validation_alias="CHATROOM_ALLOWED_ORIGINS",
        description="Comma-separated extra origins allowed to send writes and open sockets "
        "(the server's own origin is always allowed; `*` is refused).",
    )
    session_idle_timeout: int = Field(
        14 * _DAY,
        gt=0,
        validation_alias="CHATROOM_SESSION_IDLE_TIMEOUT",
        description="Seconds of inactivity after which a log-in session ends.",
    )
    session_absolute_timeout: int = Field(
        30 * _DAY,
        gt=0,
        validation_alias="CHATROOM_SESSION_ABSOLUTE_TIMEOUT",
        description="Seconds after which a log-in session ends regardless.",
    )
    log_format: Literal["text", "json"] = Field(
        "text",
        validation_alias="CHATROOM_LOG_FORMAT",
        description="`json`: one JSON object per line (`ts`, `level`, `logger`, `message`, `exc`). The image sets it.",
    )
    async_mode: str = Field(
        "threading",
        validation_alias="CHATROOM_ASYNC_MODE",
        description="Flask-SocketIO async mode. Graceful shutdown exists in `gevent` mode only.",
        json_schema_extra={"shown_default": "`gevent` for `server.py`"},
    )
    db_timeout_seconds: int = Field(
        5,
        gt=0,
        validation_alias="CHATROOM_DB_TIMEOUT",
        description="Seconds for connecting, waiting for a pool connection, statement and lock timeouts: "
        "an outage yields errors, not hangs.",
    )
    max_queued_packets: int = Field(
        2000,
        gt=0,
        validation_alias="CHATROOM_MAX_QUEUED_PACKETS",
        description="A connection with more unsent packets than this has stopped reading and is dropped.",
    )
    shutdown_grace_seconds: float = Field(
        10.0,
        ge=0,
        validation_alias="CHATROOM_SHUTDOWN_GRACE",
        description="Seconds a stopping process waits for in-flight work (gevent mode). Keep the "
        "orchestrator's stop timeout above it (compose `stop_grace_period: 20s`, Kubernetes "
        "`terminationGracePeriodSeconds: 30`).",
    )
    trusted_proxies: int = Field(
        0,
        ge=0,
        validation_alias="CHATROOM_TRUSTED_PROXIES",
        description="How many proxies in front of the server to believe about the client's address "
        "(`X-Forwarded-For`) and scheme (`X-Forwarded-Proto`), counted from the server outwards (werkzeug's "
        "ProxyFix). Per-address rate limits key on the result. 0: headers ignored, the peer's address counts. "
        "compose and the Kubernetes manifests set 1 (the nginx in front); add one per further proxy (an Ingress, "
        "a TLS terminator). Too high a number lets clients choose their own address.",
    )
    allowed_hosts: Annotated[tuple[str, ...], NoDecode] = Field(
        (),
        validation_alias="CHATROOM_ALLOWED_HOSTS",
        description="Comma-separated host names the server answers to, against DNS rebinding; a leading dot "
        "allows subdomains (`.example.com`). Any other `Host` gets 400 `invalid` (Socket.IO included). Include "
        "every name clients use (and `127.0.0.1`/`localhost` for local checks); the probes of compose and "
        "Kubernetes send the container's address as `Host`, so list it or leave the setting unset there.",
        json_schema_extra={"shown_default": "unset (any host)"},
    )
    max_sessions_per_user: int = Field(
        20,
        gt=0,
        validation_alias="CHATROOM_MAX_SESSIONS_PER_USER",
        description="Log-in sessions one user may hold; a new log-in past it ends the oldest, closing their "
        "sockets as log-out does.",
    )
    max_queued_bytes: int = Field(
        4 * 1024 * 1024,
        gt=0,
        validation_alias="CHATROOM_MAX_QUEUED_BYTES",
        description="... or with more unsent bytes than this (4 MiB: about sixteen full history pages).",
    )
    max_events_in_flight: int = Field(
        4,
        gt=0,
        validation_alias="CHATROOM_MAX_EVENTS_IN_FLIGHT",
        description="Socket.IO events of one connection that run at once; its next frame is read when one finishes.",
    )
    max_connections_per_address: int = Field(
        50,
        ge=0,
        validation_alias="CHATROOM_MAX_CONNECTIONS_PER_ADDRESS",
        description="Open Socket.IO connections per client address (`REMOTE_ADDR` as the app sees it, so the real "
        "client behind a trusted proxy); `0` switches the cap off. Raise it when many people share one address "
        "(an office NAT).",
    )
    header_timeout_seconds: int = Field(
        10,
        gt=0,
        validation_alias="CHATROOM_HEADER_TIMEOUT",
        description="Seconds an HTTP connection may stay silent (request line, headers, body, keep-alive) before "
        "the server closes it (`server.py`, gevent).",
    )
    presence_timeout_seconds: float = Field(
        45.0,
        gt=0,
        le=45,
        validation_alias="CHATROOM_PRESENCE_TIMEOUT",
        description="The longest time, in seconds (at most 45), that the sockets of a process killed without a "
        "clean disconnect stay in their rooms' `online`. Each process refreshes its own sockets every quarter of "
        "it; an entry two refreshes late is dropped.",
    )
    collapse_score: int = Field(
        DEFAULT_COLLAPSE_SCORE,
        validation_alias="CHATROOM_COLLAPSE_SCORE",
        description="A message whose score (upvotes minus downvotes) is at or below this is sent with "
        "`collapsed: true`, and clients show it collapsed until the reader opens it.",
    )
    edit_window_seconds: int = Field(
        900,
        ge=0,
        validation_alias="CHATROOM_EDIT_WINDOW",
        description="Seconds after sending during which authors may edit their message (deleting has no limit).",
    )
    gc_threshold: int = Field(
        7000,
        ge=700,
        validation_alias="CHATROOM_GC_THRESHOLD",
        description="Allocations between two collections of the youngest garbage-collector generation (CPython's "
        "default is 700); the older generations keep CPython's ratios. See chatroom/collector.py.",
    )
    gc_freeze_burst: int = Field(
        100,
        gt=0,
        validation_alias="CHATROOM_GC_FREEZE_BURST",
        description="New connections since the last freeze after which everything alive is frozen out of the "
        "garbage collector's reach; as many closed (and half gone) thaws and collects once.",
    )
    search_rate_limit: str = Field(
        SEARCHES_PER_USER,
        validation_alias="CHATROOM_SEARCH_RATE_LIMIT",
        description="Searches (`GET /api/rooms/<slug>/search`) one person may make, as `<count>/<period>` "
        "(`30/minute`, `500/hour`); past it the answer is 429 `rate_limited`.",
    )
    user_lookups_per_minute: int = Field(
        120,
        ge=1,
        validation_alias="CHATROOM_USER_LOOKUPS_PER_MINUTE",
        description="How many `GET /api/users` (the composer's @ suggestions) one person may ask per minute.",
    )
    # Set by tests only; no environment variable.
    testing: bool = False

    # Variables whose empty value means "use the default" (the others keep an empty string).
    _EMPTY_IS_DEFAULT: ClassVar[frozenset[str]] = frozenset(
        {
            "env",
            "instance_path",
            "redis_url",
            "rate_limits",
            "rate_limit_scale",
            "auto_migrate",
            "session_idle_timeout",
            "session_absolute_timeout",
            "db_timeout_seconds",
            "max_queued_packets",
            "shutdown_grace_seconds",
            "trusted_proxies",
            "max_sessions_per_user",
            "max_queued_bytes",
            "max_events_in_flight",
            "max_connections_per_address",
            "header_timeout_seconds",
            "presence_timeout_seconds",
            "collapse_score",
            "edit_window_seconds",
            "gc_threshold",
            "gc_freeze_burst",
            "search_rate_limit",
            "user_lookups_per_minute",
        }
    )

    def __init__(self, **values: Any) -> None:
        try:
            super().__init__(**values)
        except ValidationError as exc:
            raise ConfigError(_describe(exc)) from exc

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: Any) -> Config:
        """The settings from `environ` (the process environment when omitted); `overrides` win."""
        with _reading(os.environ if environ is None else environ):
            return cls(**overrides)

    @classmethod
    def environment_variables(cls) -> dict[str, str]:
        """Field name -> the environment variable it is read from."""
        return {
            name: field.validation_alias
            for name, field in cls.model_fields.items()
            if isinstance(field.validation_alias, str)
        }

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        environ = _environ.get()
        if environ is None:
            return (init_settings,)
        return (init_settings, _EnvironSource(settings_cls, environ))

    @property
    def production(self) -> bool:
        return self.env == "production"

    @property
    def rate_limit_storage(self) -> str:
        # The paced in-process storage (chatroom.library_patches) when there is no Redis.
        return self.redis_url or "chatroom-memory://"

    @field_validator("*", mode="before")
    @classmethod
    def _empty_means_default(cls, value: Any, info: ValidationInfo) -> Any:
        if isinstance(value, str) and info.field_name in cls._EMPTY_IS_DEFAULT:
            value = value.strip()
            if value == "":
                return cls.model_fields[info.field_name].default
        return value

    @field_validator("env", mode="before")
    @classmethod
    def _lower_env(cls, value: Any) -> Any:
        return value.strip().lower() if isinstance(value, str) else value

    @field_validator("rate_limits", "auto_migrate", mode="before")
    @classmethod
    def _flag(cls, value: Any) -> Any:
        # Anything but an explicit "no" keeps the feature on, as it always has.
        if isinstance(value, str):
            return value.strip().lower() not in _FALSE_WORDS
        return value

    @field_validator("log_format", mode="before")
    @classmethod
    def _log_format(cls, value: Any) -> Any:
        if isinstance(value, str):
            return "json" if value.strip().lower() == "json" else "text"
        return value

    @field_validator("allowed_origins", mode="before")
    @classmethod
    def _split_origins(cls, value: Any) -> Any:
        if isinstance(value, str):
            value = value.split(",")
        origins = tuple(str(o).strip().rstrip("/") for o in value if str(o).strip())
        if "*" in origins:
            raise ConfigError("CHATROOM_ALLOWED_ORIGINS may not contain '*': list the origins")
        return origins

    @field_validator("allowed_hosts", mode="before")
    @classmethod
    def _split_hosts(cls, value: Any) -> Any:
        if isinstance(value, str):
            value = value.split(",")
        return tuple(str(h).strip().lower() for h in value if str(h).strip())

    @field_validator("search_rate_limit")
    @classmethod
    def _rate(cls, value: str) -> str:
        try:
            parse(value)
        except ValueError as exc:
            raise ValueError("a rate such as 30/minute") from exc
        return value

    @field_validator("database_url")
    @classmethod
    def _database_url(cls, value: str, info: ValidationInfo) -> str:
        if not value:
            instance = info.data.get("instance_path", DEFAULT_INSTANCE)
            value = f"sqlite:///{instance / 'chatroom.db'}"
        return normalize_database_url(value)

    @field_validator("secret_key")
    @classmethod
    def _secret_key(cls, value: str, info: ValidationInfo) -> str:
        if info.data.get("env") == "production":
            if not value:
                raise ConfigError("SECRET_KEY must be set when CHATROOM_ENV=production")
            if len(value) < MIN_PRODUCTION_SECRET_LENGTH or value.lower() in _PLACEHOLDER_SECRETS:
                raise ConfigError(
                    f"SECRET_KEY is too weak for production: use at least "
                    f"{MIN_PRODUCTION_SECRET_LENGTH} random characters "
                    "(python -c 'import secrets; print(secrets.token_hex(32))')"
                )
            return value
        if not value:
            return _load_or_create_secret(info.data.get("instance_path", DEFAULT_INSTANCE))
        return value


@contextmanager
def _reading(environ: Mapping[str, str]) -> Iterator[None]:
    token = _environ.set(environ)
    try:
        yield
    finally:
        _environ.reset(token)


def _describe(exc: ValidationError) -> str:
    """Pydantic's errors, each naming the environment variable it is about."""
    variables = Config.environment_variables()
    aliases = set(variables.values())
    parts = []
    for error in exc.errors():
        where = str(error["loc"][0]) if error["loc"] else "configuration"
        name = where if where in aliases else variables.get(where, where)
        parts.append(f"{name}: {error['msg']}, got {error.get('input')!r}")
    return "; ".join(parts)
