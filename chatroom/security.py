"""Origin checks for HTTP writes and the Socket.IO handshake, and security headers."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from flask import Flask, Response, request

from chatroom.errors import ChatError

UNSAFE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "connect-src 'self'",
        "font-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
        "form-action 'self'",
    ]
)


def _origin_of(scheme: str, host: str) -> str:
    return f"{scheme}://{host}".lower()


class OriginPolicy:
    """Allows the server's own origin plus a configured list; never '*'."""

    def __init__(self, allowed: Iterable[str]) -> None:
        self.allowed = frozenset(origin.lower().rstrip("/") for origin in allowed)

    def own_origins(self, environ: dict[str, Any]) -> set[str]:
        host = environ.get("HTTP_HOST", "")
        scheme = environ.get("wsgi.url_scheme", "http")
        origins = {_origin_of(scheme, host)}
        # Behind a TLS-terminating proxy the browser's origin is https on the same host.
        forwarded = environ.get("HTTP_X_FORWARDED_PROTO")
        if forwarded:
            origins.add(_origin_of(forwarded.split(",")[0].strip(), host))
        return origins

    def permits(self, origin: str | None, environ: dict[str, Any]) -> bool:
        if origin is None:
            # Non-browser clients send no Origin; the SameSite cookie already keeps
            # cross-site browser requests from carrying a session.
            return True
        origin = origin.lower().rstrip("/")
        return origin in self.allowed or origin in self.own_origins(environ)

    def socketio_check(self, origin: str | None, environ: dict[str, Any]) -> bool:
        return self.permits(origin, environ)


def bearer_secret() -> str | None:
    """The credential of this request's `Authorization: Bearer` header, or None without one.

    Other schemes are ignored (the cookie decides). An empty credential is "" (a bad token).
    """
    header = request.headers.get("Authorization")
    if header is None:
        return None
    scheme, _, credential = header.strip().partition(" ")
    return credential.strip() if scheme.lower() == "bearer" else None


def nosniff(wsgi_app: Any) -> Any:
    """Add `X-Content-Type-Options: nosniff` to every response that lacks it (Engine.IO's too)."""

    def app(environ: dict[str, Any], start_response: Any) -> Any:
        def start(status: str, headers: list[tuple[str, str]], *rest: Any) -> Any:
            if not any(name.lower() == "x-content-type-options" for name, _ in headers):
                headers = [*headers, ("X-Content-Type-Options", "nosniff")]
            return start_response(status, headers, *rest)

        return wsgi_app(environ, start)

    return app


def install_security(app: Flask, origins: OriginPolicy) -> None:
    @app.before_request
    def _check_origin() -> None:
        # A Bearer request is authenticated by its header alone (the cookie is not read), and a
        # page on another site cannot make a browser add that header, so there is nothing to forge.
        if (
            request.method in UNSAFE_METHODS
            and bearer_secret() is None
            and not origins.permits(request.headers.get("Origin"), request.environ)
        ):
            raise ChatError("forbidden", "cross-origin request refused")

    @app.after_request
    def _headers(response: Response) -> Response:
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "no-referrer")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        if request.path.startswith("/api/"):
            response.headers.setdefault("Cache-Control", "no-store")
        return response
