"""Where a request really comes from: trusted proxies and the host names served."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.sansio.utils import host_is_trusted

from chatroom.errors import ChatError

StartResponse = Any
WSGIApp = Any


class AllowedHosts:
    """Refuses requests whose Host header names a server we are not (DNS rebinding).

    Wraps the whole WSGI app, Socket.IO included: a rebinding page would otherwise reach the
    API and the websocket under its own name, with our origin checks seeing it as same-origin.
    Entries are host names; a leading dot also allows subdomains (".example.com").
    """

    def __init__(self, app: WSGIApp, hosts: Iterable[str]) -> None:
        self.app = app
        self.hosts = [host.lower() for host in hosts]

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        host = environ.get("HTTP_HOST") or environ.get("SERVER_NAME", "")
        if host_is_trusted(host, self.hosts):
            return self.app(environ, start_response)  # type: ignore[no-any-return]
        error = ChatError("invalid", "this server does not answer to that host name", "host")
        body = json.dumps(error.body()).encode()
        start_response(
            f"{error.status} Bad Request",
            [("Content-Type", "application/json"), ("Content-Length", str(len(body))), ("Cache-Control", "no-store")],
        )
        return [body]


def install_proxies(app: Flask, trusted_proxies: int, allowed_hosts: Iterable[str]) -> None:
    """Wrap the app (after Socket.IO, so its requests are covered too)."""
    hosts = list(allowed_hosts)
    if hosts:
        app.wsgi_app = AllowedHosts(app.wsgi_app, hosts)  # type: ignore[method-assign]
    if trusted_proxies > 0:
        # Only the last `trusted_proxies` hops of X-Forwarded-For are ours; anything a client
        # put before them is ignored, so nobody picks their own rate-limit address.
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=trusted_proxies, x_proto=trusted_proxies
        )
