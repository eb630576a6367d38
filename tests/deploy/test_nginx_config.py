"""The shipped nginx config passes `nginx -t`, with the upstream list render-upstream.sh writes."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from tests.deploy.conftest import DEPLOY
from tests.scaleout.conftest import nginx_binary

SITE = DEPLOY / "nginx" / "chatroom.conf"
RENDER = DEPLOY / "nginx" / "render-upstream.sh"


def render_upstream(path: Path, host: str) -> str:
    env = {
        **os.environ,
        "CHATROOM_BACKEND_HOST": host,
        "CHATROOM_UPSTREAM_FILE": str(path),
        "CHATROOM_RESOLVE_EVERY": "once",
    }
    subprocess.run(["sh", str(RENDER)], env=env, check=True, timeout=30)
    return path.read_text()


def nginx_test(tmp_path: Path, site: str) -> subprocess.CompletedProcess[str]:
    """`nginx -t` on the site as the nginx image loads it (conf.d inside the http block)."""
    upstream = tmp_path / "chatroom-upstream.conf"
    if not upstream.exists():
        render_upstream(upstream, "localhost")
    conf = tmp_path / "nginx.conf"
    mime = "include /etc/nginx/mime.types;" if Path("/etc/nginx/mime.types").exists() else ""
    site = site.replace("/etc/nginx/chatroom-upstream.conf", str(upstream))
    conf.write_text(
        f"pid {tmp_path}/nginx.pid;\nerror_log {tmp_path}/error.log;\nevents {{}}\n"
        f"http {{\n{mime}\naccess_log off;\n{site}\n}}\n"
    )
    return subprocess.run(
        [nginx_binary(), "-t", "-p", str(tmp_path), "-e", str(tmp_path / "error.log"), "-c", str(conf)],
        capture_output=True,
        text=True,
        check=False,
    )


def test_shipped_site_config_passes_nginx_t(tmp_path: Path) -> None:
    result = nginx_test(tmp_path, SITE.read_text())
    assert result.returncode == 0, result.stderr
    assert "test is successful" in result.stderr


@pytest.mark.parametrize(
    ("old", "new"), [("ip_hash;", "ip_hashh;"), ("proxy_read_timeout 75s;", "proxy_read_timeout seventy;")]
)
def test_a_broken_site_config_fails_nginx_t(tmp_path: Path, old: str, new: str) -> None:
    site = SITE.read_text()
    assert old in site
    assert nginx_test(tmp_path, site.replace(old, new, 1)).returncode != 0


def test_upstream_lists_every_resolved_process_or_a_placeholder(tmp_path: Path) -> None:
    assert render_upstream(tmp_path / "a.conf", "localhost") == "server 127.0.0.1:5000 max_fails=1 fail_timeout=5s;\n"
    # Before any server process is ready the name does not resolve: nginx still starts.
    empty = tmp_path / "before-any-server"
    empty.mkdir()
    upstream = empty / "chatroom-upstream.conf"
    assert render_upstream(upstream, "no-such-host.invalid") == "server 127.0.0.1:5000 down;\n"
    assert nginx_test(empty, SITE.read_text()).returncode == 0
