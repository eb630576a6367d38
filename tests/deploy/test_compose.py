"""docker-compose.yml: valid against the Compose specification, and wired as documented."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import yaml

from tests.deploy.conftest import tool
from tests.support.procs import ROOT

COMPOSE = ROOT / "docker-compose.yml"


def validate(path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [tool("check-jsonschema"), "--builtin-schema", "vendor.compose-spec", str(path)],
        capture_output=True,
        text=True,
        check=False,
    )


def compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(COMPOSE.read_text())
    return loaded


def test_compose_file_matches_the_compose_specification() -> None:
    result = validate(COMPOSE)
    assert result.returncode == 0, result.stdout + result.stderr


def test_a_misspelt_compose_field_is_caught(tmp_path: Path) -> None:
    broken = tmp_path / "docker-compose.yml"
    broken.write_text(COMPOSE.read_text().replace("    depends_on:", "    depend_on:", 1))
    assert broken.read_text() != COMPOSE.read_text()
    assert validate(broken).returncode != 0


def test_services_start_in_order_and_scale() -> None:
    services = compose()["services"]
    assert {"db", "redis", "migrate", "server", "client"} <= set(services)
    db = services["db"]
    assert "healthcheck" in db
    init = [v for v in db["volumes"] if "docker-entrypoint-initdb.d" in v]
    assert init, "db must be initialised by make_table.sql"
    assert (ROOT / init[0].split(":")[0]).resolve() == ROOT / "make_table.sql"

    server = services["server"]
    assert server["depends_on"]["db"]["condition"] == "service_healthy"
    assert server["depends_on"]["redis"]["condition"] == "service_healthy"
    assert server["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
    assert server["environment"]["CHATROOM_AUTO_MIGRATE"] == "0"
    assert server["environment"]["REDIS_URL"].startswith("redis://redis:")
    # --scale server=3 needs replicas without a fixed host port; only nginx publishes one.
    assert "ports" not in server
    assert services["migrate"]["command"] == ["python", "server.py", "--migrate-only"]

    client = services["client"]
    assert client["ports"] == ["8080:8080"]
    assert client["environment"]["CHATROOM_BACKEND_HOST"] == "server"
    for service in (server, client):
        dockerfile = ROOT / service["build"]["context"] / service["build"]["dockerfile"]
        assert f"AS {service['build']['target']}" in dockerfile.read_text()


def test_the_server_trusts_exactly_the_nginx_in_front_of_it() -> None:
    """Per-address rate limits need the browser's address: one proxy (client) is believed.

    More would let a client pick its own address in X-Forwarded-For; none would put every
    visitor behind nginx's single address into one budget.
    """
    services = compose()["services"]
    assert services["server"]["environment"]["CHATROOM_TRUSTED_PROXIES"] == "1"
    assert services["migrate"]["environment"]["CHATROOM_TRUSTED_PROXIES"] == "1"
    assert "ports" in services["client"] and "ports" not in services["server"]
    nginx = (ROOT / "deploy" / "nginx" / "chatroom.conf").read_text()
    assert "X-Forwarded-For $proxy_add_x_forwarded_for" in nginx
