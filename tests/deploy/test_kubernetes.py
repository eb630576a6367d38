"""deploy/k8s: strictly valid against the Kubernetes schemas, and complete as documented."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.deploy.conftest import DEPLOY, tool

K8S = DEPLOY / "k8s"
EXPECTED = {
    "postgres-deployment.yaml",
    "postgres-service.yaml",
    "postgres-pvc.yaml",
    "backend-deployment.yaml",
    "backend-service.yaml",
    "frontend-deployment.yaml",
    "frontend-service.yaml",
    "redis-deployment.yaml",
    "redis-service.yaml",
    "secret.yaml",
    "migrate-job.yaml",
}


def validate(*paths: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [tool("kubernetes-validate"), "--strict", *map(str, paths)], capture_output=True, text=True, check=False
    )


def documents() -> dict[tuple[str, str], dict[str, Any]]:
    found = {}
    for path in sorted(K8S.glob("*.yaml")):
        for doc in yaml.safe_load_all(path.read_text()):
            found[(doc["kind"], doc["metadata"]["name"])] = doc
    return found


def test_exactly_the_documented_manifests() -> None:
    assert {p.name for p in K8S.iterdir()} == EXPECTED


def test_every_manifest_is_strictly_valid() -> None:
    result = validate(*sorted(K8S.glob("*.yaml")))
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.count("passed for resource") == len(documents())


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("  replicas: 2\n", "  replica: 2\n"),  # a misspelt field
        ("containerPort: 5000", "containerPort: five-thousand"),  # a wrong type
        ("      containers:\n", "      container:\n"),  # a misspelt required field
    ],
)
def test_a_typo_in_a_manifest_fails(tmp_path: Path, old: str, new: str) -> None:
    source = (K8S / "backend-deployment.yaml").read_text()
    assert old in source
    broken = tmp_path / "backend-deployment.yaml"
    broken.write_text(source.replace(old, new, 1))
    result = validate(broken)
    assert result.returncode != 0, result.stdout


def containers(doc: dict[str, Any]) -> list[dict[str, Any]]:
    spec = doc["spec"]["template"]["spec"]
    return [*spec.get("initContainers", []), *spec["containers"]]


def env_of(container: dict[str, Any]) -> dict[str, Any]:
    return {e["name"]: e.get("value", e.get("valueFrom")) for e in container.get("env", [])}


def test_backend_runs_two_sticky_replicas_that_never_migrate() -> None:
    docs = documents()
    backend = docs[("Deployment", "backend")]
    assert backend["spec"]["replicas"] >= 2
    main = backend["spec"]["template"]["spec"]["containers"][0]
    assert env_of(main)["CHATROOM_AUTO_MIGRATE"] == "0"
    assert env_of(main)["REDIS_URL"] == "redis://redis:6379/0"
    assert main["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert main["livenessProbe"]["httpGet"]["path"] == "/healthz"
    init = backend["spec"]["template"]["spec"]["initContainers"][0]
    assert init["command"] == ["python", "server.py", "--wait-for-migrations"]
    job = docs[("Job", "chatroom-migrate")]
    assert job["spec"]["template"]["spec"]["containers"][0]["command"][:2] == ["python", "make_table.py"]

    assert docs[("Service", "backend")]["spec"]["sessionAffinity"] == "ClientIP"
    assert docs[("Service", "backend-pods")]["spec"]["clusterIP"] == "None"
    frontend = docs[("Deployment", "frontend")]["spec"]["template"]["spec"]["containers"][0]
    assert env_of(frontend)["CHATROOM_BACKEND_HOST"] == "backend-pods"


def test_every_container_has_probes_and_resources() -> None:
    for (kind, name), doc in documents().items():
        if kind not in {"Deployment", "Job"}:
            continue
        for container in containers(doc):
            limits = container.get("resources", {})
            assert {"requests", "limits"} <= set(limits), f"{name}/{container['name']}"
            if kind == "Deployment" and container in doc["spec"]["template"]["spec"]["containers"]:
                assert "readinessProbe" in container, f"{name}/{container['name']}"
                assert "livenessProbe" in container, f"{name}/{container['name']}"


def test_postgres_keeps_its_data_and_secrets_are_only_a_template() -> None:
    docs = documents()
    postgres = docs[("Deployment", "postgres")]["spec"]["template"]["spec"]
    assert postgres["volumes"][0]["persistentVolumeClaim"]["claimName"] == "postgres-data"
    assert ("PersistentVolumeClaim", "postgres-data") in docs
    secret = docs[("Secret", "chatroom-secrets")]
    assert all(value.startswith("replace-me") for value in secret["stringData"].values())


def test_the_backend_trusts_exactly_the_frontend_nginx() -> None:
    """One proxy (the frontend's nginx) sits before the backend; its X-Forwarded-For is believed."""
    docs = documents()
    spec = docs[("Deployment", "backend")]["spec"]["template"]["spec"]
    for container in [*spec["containers"], *spec["initContainers"]]:
        assert env_of(container)["CHATROOM_TRUSTED_PROXIES"] == "1"
    frontend = docs[("Deployment", "frontend")]["spec"]["template"]["spec"]["containers"][0]
    assert env_of(frontend)["CHATROOM_BACKEND_HOST"] == "backend-pods"
