"""Chatroom: a multi-user chatroom with live messages and votes."""

from __future__ import annotations

import logging

from flask import Flask, Response
from flask_login import AnonymousUserMixin

from chatroom import library_patches, metrics, wire
from chatroom.config import Config, ConfigError
from chatroom.errors import ChatError
from chatroom.extensions import db, limiter, login_manager, socketio
from chatroom.jsondepth import BoundedJSONProvider, SocketJSON, TextPacket
from chatroom.proxies import install_proxies
from chatroom.ratelimits import socket_limits
from chatroom.realtime import fanout
from chatroom.realtime.guard import ConnectionGuard
from chatroom.realtime.presence import presence
from chatroom.security import OriginPolicy, install_security, nosniff
from chatroom.services.writer import GroupWriter

__all__ = ["Config", "ConfigError", "create_app", "socketio"]

MAX_PACKET_BYTES = 64 * 1024


def create_app(config: Config | None = None) -> Flask:
    """Build an app bound to `config` (read from the environment when omitted)."""
    config = config or Config.from_env()
    library_patches.check_library_internals()
    app = Flask(__name__, instance_path=str(config.instance_path), static_folder=None)
    app.json = BoundedJSONProvider(app)
    cookie_name = "__Host-chatroom" if config.production else "chatroom"
    app.config.update(
        SECRET_KEY=config.secret_key,
        SESSION_COOKIE_NAME=cookie_name,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=config.production,
        SESSION_COOKIE_PATH="/",
        PERMANENT_SESSION_LIFETIME=config.session_absolute_timeout,
        REMEMBER_COOKIE_DURATION=0,
        MAX_CONTENT_LENGTH=MAX_PACKET_BYTES,
        RATELIMIT_ENABLED=config.rate_limits,
        RATELIMIT_STORAGE_URI=config.rate_limit_storage,
        # The HTTP limits guard log-in and sign-up: when they cannot count, refuse (fail
        # closed) rather than let guesses through uncounted.
        RATELIMIT_SWALLOW_ERRORS=False,
        RATELIMIT_KEY_PREFIX=f"{config.redis_prefix}:http",
        TESTING=config.testing,
    )
    app.extensions["chatroom.config"] = config
    _configure_logging(config)

    db.init(config)
    wire.set_collapse_score(config.collapse_score)
    metrics.init_app(app, db.engine)
    socket_limits.init(config)
    from chatroom.api.tokens import install_bearer_auth

    # Before the limiter: its per-user keys must see a Bearer request's user.
    install_bearer_auth(app)
    limiter.init_app(app)
    _init_login(app)

    origins = OriginPolicy(config.allowed_origins)
    install_security(app, origins)
    # Flask-SocketIO accumulates options across init_app calls; an app built without Redis
    # must not inherit the queue of one built before it in the same process (tests do this).
    socketio.server_options.clear()
    socketio.init_app(
        app,
        async_mode=config.async_mode,
        client_manager=_client_manager(config),
        cors_allowed_origins=origins.socketio_check,
        max_http_buffer_size=MAX_PACKET_BYTES,
        json=SocketJSON,
        serializer=TextPacket,
        ping_interval=20,
        ping_timeout=20,
        logger=False,
        engineio_logger=False,
    )

    from chatroom.api import auth, health, mentions, moderation, openapi, register_error_handlers, rooms, tokens, web
    from chatroom.realtime import handlers

    register_error_handlers(app)
    for blueprint in (auth.bp, rooms.bp, tokens.bp, moderation.bp, mentions.bp, health.bp, openapi.bp, web.bp):
        app.register_blueprint(blueprint)
    login_manager.user_loader(auth.load_session_user)
    handlers.register(socketio, config, GroupWriter(socket_limits))
    presence.init(socketio, config.redis_url, config.redis_prefix, config.presence_timeout_seconds)
    _bound_connections(config)
    # Engine.IO answers /socket.io without Flask: its responses get the header here.
    app.wsgi_app = nosniff(app.wsgi_app)  # type: ignore[method-assign]
    # Outermost, so that the per-address cap and every limit see the client's address.
    install_proxies(app, config.trusted_proxies, config.allowed_hosts)
    return app


def _bound_connections(config: Config) -> None:
    """Direct acks, the websocket message limit and the per-connection bounds (realtime/guard.py)."""
    server = socketio.server
    fanout.direct_acks(server)
    library_patches.decline_websocket_compression()
    library_patches.track_websockets(server.eio, MAX_PACKET_BYTES)
    ConnectionGuard(
        server,
        max_in_flight=config.max_events_in_flight,
        max_per_address=config.max_connections_per_address,
        max_queued_bytes=config.max_queued_bytes,
    ).install()


def _client_manager(config: Config) -> fanout.DirectBroadcast:
    """Room membership and broadcasts; through Redis when several processes share rooms."""
    if config.redis_url:
        return fanout.DirectBroadcastRedis(config.redis_url, channel=f"{config.redis_prefix}:socketio")
    return fanout.DirectBroadcast()


def _init_login(app: Flask) -> None:
    login_manager.init_app(app)
    login_manager.anonymous_user = AnonymousUserMixin
    # The session token rotates on each log-in; Flask-Login's own "protection" would only
    # add an IP/user-agent fingerprint that breaks on mobile networks.
    login_manager.session_protection = None

    @login_manager.unauthorized_handler
    def _unauthorized() -> Response:
        raise ChatError("unauthorized", "log in first")


def _configure_logging(config: Config) -> None:
    root = logging.getLogger()
    if getattr(root, "_chatroom_configured", False):
        return
    handler = logging.StreamHandler()
    if config.log_format == "json":
        from chatroom.logs import JsonFormatter

        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    root._chatroom_configured = True  # type: ignore[attr-defined]
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
