"""The built web client (frontend/dist), served from the same origin as the API."""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, Response, request, send_from_directory
from werkzeug.exceptions import MethodNotAllowed, NotFound

from chatroom.config import PROJECT_ROOT
from chatroom.errors import ChatError

bp = Blueprint("web", __name__)
DIST = Path(PROJECT_ROOT / "frontend" / "dist")

PLACEHOLDER = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Chatroom</title></head>
<body><h1>Chatroom</h1>
<p>The server is running, but the web client has not been built yet.
Run <code>make run</code> (or <code>cd frontend &amp;&amp; npm ci &amp;&amp; npm run build</code>) and reload.</p>
</body></html>
"""


@bp.get("/")
@bp.get("/<path:path>")
def client(path: str = "") -> Response:
    if path.startswith("api/") or path == "api":
        # This catch-all answers every GET; an API path that exists for other methods
        # (GET /api/login) is a wrong method, not a missing page.
        adapter = request.url_rule and request.url_rule.map.bind_to_environ(request.environ)
        others = set(adapter.allowed_methods()) - {"GET", "HEAD", "OPTIONS"} if adapter else set()
        if others:
            raise MethodNotAllowed(valid_methods=sorted(others))
        raise ChatError("not_found", "no such API route")
    if not (DIST / "index.html").is_file():
        return Response(PLACEHOLDER, mimetype="text/html")
    if path:
        try:
            response = send_from_directory(DIST, path, max_age=31536000 if path.startswith("assets/") else 0)
            return response
        except NotFound:
            if path.startswith("assets/"):
                raise
    # Client-side routes (/login, /signup) all load the app shell.
    return send_from_directory(DIST, "index.html", max_age=0)
