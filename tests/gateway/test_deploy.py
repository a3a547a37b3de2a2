"""docker-compose.yml, the Dockerfile and deploy/k8s: checked with what runs here (no Docker engine).

Schemas: the compose specification (PyPI ``compose-spec``) and the Kubernetes OpenAPI schemas
(PyPI ``kubernetes-validate``, strict: unknown fields fail). Then what a schema cannot see:
health checks and probes on every long-running part, probe paths that the apps really serve,
references that resolve (ConfigMap, HPA targets, PDB selectors), and no literal secrets.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import httpx
import yaml

from gateway.app import create_app
from gateway.settings import GatewaySettings
from kernel.settings import AuthSettings, CommonSettings
from runner.composition import SERVICES

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = ROOT / "docker-compose.yml"
K8S = ROOT / "deploy" / "k8s"
SECRETISH = re.compile(r"(PASSWORD|SECRET|TOKEN|ACCESS_KEY|DATABASE_URL|JWKS)", re.I)
INFRA = {"postgres", "seaweedfs", "clamav"}


def _compose() -> dict[str, Any]:
    return yaml.safe_load(COMPOSE.read_text())


def _k8s() -> list[dict[str, Any]]:
    docs = []
    for path in sorted(K8S.glob("*.yaml")):
        if path.name != "kustomization.yaml":
            docs += [d for d in yaml.safe_load_all(path.read_text()) if d]
    return docs


def _served_paths() -> set[str]:
    app = create_app(GatewaySettings(), common=CommonSettings(environment="test"), auth=AuthSettings(secret="x" * 40))
    # the gateway's own endpoints are routers (included routers are not flat in app.routes)
    return set(app.openapi()["paths"])


def test_compose_follows_the_compose_specification() -> None:
    import compose_spec  # locked dev dependency: a missing package fails, it does not skip

    compose_spec.PyCompose.from_json(json.dumps(_compose()))  # raises on unknown keys or bad values


def test_compose_parts_are_complete() -> None:
    services = _compose()["services"]
    assert set(SERVICES) | {"gateway", "migrations"} | INFRA <= set(services)
    for name, svc in services.items():
        assert svc.get("image"), f"{name} has no image"
        if name == "migrations":
            assert svc["restart"] == "no"
            assert "upgrade head" in " ".join(svc["command"])
            continue
        assert svc.get("healthcheck", {}).get("test"), f"{name} has no health check"
        assert not svc["healthcheck"].get("disable"), name
    for name in (*SERVICES, "gateway"):
        cmd = services[name]["command"]
        assert cmd[:2] == ["serve", name], cmd
        assert "/readyz" in " ".join(services[name]["healthcheck"]["test"])
        conditions = {c["condition"] for c in services[name].get("depends_on", {}).values()}
        assert conditions <= {"service_healthy", "service_completed_successfully"}, name
    for name in SERVICES:  # every data owner starts only after the migrations job
        if name != "scoring":
            assert services[name]["depends_on"]["migrations"]["condition"] == "service_completed_successfully"


def test_compose_has_no_literal_secrets() -> None:
    doc = _compose()
    for name, svc in doc["services"].items():
        env = svc.get("environment", {})
        items = env.items() if isinstance(env, dict) else (e.split("=", 1) for e in env)
        for key, _value in items:
            if SECRETISH.search(key):
                assert key.endswith("_FILE"), f"{name}: {key} must come from a secret file, not the compose file"
    for secret in doc.get("secrets", {}).values():
        assert "file" in secret or "external" in secret
    env_files = {f for svc in doc["services"].values() for f in svc.get("env_file", [])}
    for f in env_files:
        path = ROOT / f
        if path.exists() and "secret" not in path.name:
            for line in path.read_text().splitlines():
                if not line.strip() or line.startswith("#"):
                    continue
                key = line.split("=", 1)[0]
                assert not SECRETISH.search(key), f"{f}: {key} belongs in secrets.env"
    ignored = (ROOT / "deploy" / ".gitignore").read_text()
    assert "compose/secrets.env" in ignored and "compose/secrets/" in ignored


def _env_file(path: Path) -> dict[str, str]:
    pairs = (line.split("=", 1) for line in path.read_text().splitlines() if line.strip() and not line.startswith("#"))
    return {k.strip(): v.strip() for k, v in pairs}


def _evidence_uses_s3_and_clamd(settings: dict[str, str], where: str) -> None:
    assert settings.get("KINERJA_EVIDENCE_STORAGE") == "s3", where
    assert settings.get("KINERJA_EVIDENCE_S3_BUCKET"), where
    assert settings.get("KINERJA_EVIDENCE_S3_ENDPOINT_URL", "").startswith("http"), where
    assert settings.get("KINERJA_EVIDENCE_SCANNER") == "clamd", where
    assert settings.get("KINERJA_EVIDENCE_CLAMD_HOST") or settings.get("KINERJA_EVIDENCE_CLAMD_SOCKET"), where


def test_compose_evidence_stores_in_seaweedfs_and_scans_with_clamd() -> None:
    doc = _compose()
    evidence = doc["services"]["evidence"]
    settings: dict[str, str] = {}
    for f in evidence["env_file"]:
        if "secret" not in f:
            settings |= _env_file(ROOT / f)
    env = evidence.get("environment", {})
    settings |= env if isinstance(env, dict) else dict(e.split("=", 1) for e in env)
    _evidence_uses_s3_and_clamd(settings, "compose evidence")
    # the endpoint and the scanner are the compose services evidence waits for
    endpoint = httpx.URL(settings["KINERJA_EVIDENCE_S3_ENDPOINT_URL"])
    assert endpoint.host == "seaweedfs" and f"-s3.port={endpoint.port}" in doc["services"]["seaweedfs"]["command"]
    assert settings["KINERJA_EVIDENCE_CLAMD_HOST"] == "clamav"
    for infra in ("seaweedfs", "clamav"):
        assert evidence["depends_on"][infra]["condition"] == "service_healthy"
    # the S3 keys are credentials: only in the git-ignored secrets.env (its example names them)
    assert not {k for k in settings if "S3_ACCESS" in k or "S3_SECRET" in k}
    example = _env_file(ROOT / "deploy" / "compose" / "secrets.env.example")
    assert {"KINERJA_EVIDENCE_S3_ACCESS_KEY_ID", "KINERJA_EVIDENCE_S3_SECRET_ACCESS_KEY"} <= set(example)


def test_kubernetes_evidence_stores_in_s3_and_scans_with_clamd() -> None:
    docs = _k8s()
    config = next(d for d in docs if d["kind"] == "ConfigMap" and d["metadata"]["name"] == "kinerja-config")
    _evidence_uses_s3_and_clamd(config["data"], "k8s kinerja-config")
    assert not {k for k in config["data"] if "S3_ACCESS" in k or "S3_SECRET" in k}
    evidence = next(d for d in docs if d["kind"] == "Deployment" and d["metadata"]["name"] == "kinerja-evidence")
    (container,) = evidence["spec"]["template"]["spec"]["containers"]
    assert {"configMapRef": {"name": "kinerja-config"}} in container["envFrom"]
    assert {"secretRef": {"name": "kinerja-secrets"}} in container["envFrom"]  # the S3 keys
    readme = (ROOT / "deploy" / "README.md").read_text()
    assert "KINERJA_EVIDENCE_S3_ACCESS_KEY_ID" in readme and "KINERJA_EVIDENCE_S3_SECRET_ACCESS_KEY" in readme


def test_kubernetes_manifests_follow_the_schemas() -> None:
    import kubernetes_validate as kv  # locked dev dependency

    for doc in _k8s():
        kv.validate(doc, kv.latest_version(), strict=True)


def test_kubernetes_references_probes_and_budgets() -> None:
    docs = _k8s()
    by_kind: dict[str, dict[str, dict[str, Any]]] = {}
    for d in docs:
        by_kind.setdefault(d["kind"], {})[d["metadata"]["name"]] = d
    deployments = dict(by_kind["Deployment"])
    worker = deployments.pop("kinerja-worker")  # no HTTP port: an exec probe on its heartbeat (ADR 0021)
    assert worker["spec"]["template"]["spec"]["containers"][0]["args"] == ["worker"]
    assert "kinerja-worker.alive" in " ".join(
        worker["spec"]["template"]["spec"]["containers"][0]["livenessProbe"]["exec"]["command"]
    )
    assert set(deployments) == {f"kinerja-{p}" for p in (*SERVICES, "gateway")}
    assert "kinerja-migrations" in by_kind["Job"]
    served = _served_paths()
    for name, dep in deployments.items():
        pod = dep["spec"]["template"]
        assert dep["spec"]["selector"]["matchLabels"].items() <= pod["metadata"]["labels"].items()
        for c in pod["spec"]["containers"]:
            assert c["readinessProbe"]["httpGet"]["path"] == "/readyz"
            assert c["livenessProbe"]["httpGet"]["path"] == "/healthz"
            assert {c["readinessProbe"]["httpGet"]["path"], c["livenessProbe"]["httpGet"]["path"]} <= served
            assert c["resources"]["requests"]["cpu"], name  # the HPA needs a CPU request
            refs = {next(iter(e.values()))["name"] for e in c["envFrom"]}
            assert refs == {"kinerja-config", "kinerja-secrets"}
            assert "kinerja-config" in by_kind["ConfigMap"]
            for e in c.get("env", []):
                assert not (SECRETISH.search(e["name"]) and "value" in e), f"{name}: literal {e['name']}"
        hpa = by_kind["HorizontalPodAutoscaler"][name]
        assert hpa["spec"]["scaleTargetRef"]["name"] == name
        pdb = by_kind["PodDisruptionBudget"][name]
        assert pdb["spec"]["selector"]["matchLabels"].items() <= pod["metadata"]["labels"].items()
        assert dep["spec"]["replicas"] > pdb["spec"]["minAvailable"]
    assert "Secret" not in by_kind, "secrets are created out of band, never committed"
    for key in by_kind["ConfigMap"]["kinerja-config"]["data"]:
        assert not SECRETISH.search(key), key
    kustomization = yaml.safe_load((K8S / "kustomization.yaml").read_text())
    assert set(kustomization["resources"]) == {p.name for p in K8S.glob("*.yaml")} - {"kustomization.yaml"}


def test_service_probe_paths_exist_in_every_service_app() -> None:
    from gateway.openapi import service_apps_for_docs
    from runner.composition import SERVICES

    for name, app in service_apps_for_docs(list(SERVICES)).items():
        paths = set(app.openapi()["paths"])
        assert {"/healthz", "/readyz"} <= paths, name


def test_dockerfile_runs_the_kinerja_command_unprivileged() -> None:
    text = (ROOT / "Dockerfile").read_text()
    assert 'ENTRYPOINT ["kinerja"]' in text
    assert re.search(r"^USER (?!root|0\b)", text, re.M)
    assert "HEALTHCHECK" in text and "/healthz" in text
    assert "requirements-run.lock" in text and "requirements.lock" not in text  # no test tools in the image
    assert "COPY runner ./runner" in text  # the kinerja command lives in runner/
    assert not SECRETISH.search(" ".join(line for line in text.splitlines() if line.startswith(("ENV", "ARG"))))


def test_gateway_replicas_share_rate_limits_in_redis() -> None:
    """Compose and Kubernetes both point every gateway replica at one Redis (ADR 0006)."""
    from urllib.parse import urlsplit

    env = dict(
        line.split("=", 1)
        for line in (ROOT / "deploy" / "compose" / "kinerja.env").read_text().splitlines()
        if line and not line.startswith("#")
    )
    url = urlsplit(env["KINERJA_GATEWAY_RATE_LIMIT_STORAGE"])
    services = _compose()["services"]
    assert url.scheme == "redis" and url.hostname in services
    assert services["gateway"]["depends_on"][url.hostname]["condition"] == "service_healthy"
    config = next(d for d in _k8s() if d["kind"] == "ConfigMap" and d["metadata"]["name"] == "kinerja-config")
    assert config["data"]["KINERJA_GATEWAY_RATE_LIMIT_STORAGE"].startswith("redis://")
