"""No generated repository holds a secret value: secrets arrive only through an ExternalSecret."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from tests.golden_paths.support import containers, text_files

SECRET_LIKE_NAME = re.compile(r"PASSWORD|PASSWD|SECRET|TOKEN|API_?KEY|PRIVATE_KEY|CREDENTIAL", re.IGNORECASE)
SECRET_VALUES = {
    "private key": re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----"),
    "AWS access key": re.compile(r"\bAKIA[0-9A-Z]{16}\b"),
    "GitHub or GitLab token": re.compile(r"\b(ghp|gho|ghs|ghu|glpat)[-_][A-Za-z0-9_]{16,}"),
    "credentials in a URL": re.compile(r"\b[a-z][a-z0-9+.-]*://[^/\s:@'\"]+:[^/\s@'\"]+@"),
    "assigned secret": re.compile(
        r"(?i)(password|passwd|secret|token|api_?key)[\"']?\s*[:=]\s*[\"'][^\"'\s{}$]{4,}[\"']"
    ),
    "secret in YAML": re.compile(
        r"(?im)^[\s-]*[\w.-]*(password|passwd|token|api_?key)\s*:\s*(?![{$])[^\s#'\"]{6,}\s*$"
    ),
}


def secret_values_in(text: str) -> list[str]:
    return [label for label, pattern in SECRET_VALUES.items() if pattern.search(text)]


def secret_names_referenced(documents: list[dict[str, Any]]) -> set[str]:
    """Names of the Secrets that workloads and KEDA read."""
    names = set()
    for workload in documents:
        for container in containers(workload):
            names |= {e["secretRef"]["name"] for e in container.get("envFrom", []) if "secretRef" in e}
            names |= {
                e["valueFrom"]["secretKeyRef"]["name"]
                for e in container.get("env", [])
                if "secretKeyRef" in e.get("valueFrom", {})
            }
        if workload["kind"] == "TriggerAuthentication":
            names |= {ref["name"] for ref in workload["spec"]["secretTargetRef"]}
    return names


def test_no_file_in_the_repository_holds_a_secret_value(repo: Path) -> None:
    found = {str(p.relative_to(repo)): secret_values_in(p.read_text(errors="replace")) for p in text_files(repo)}

    assert {path: labels for path, labels in found.items() if labels} == {}


def test_the_scan_finds_a_planted_secret() -> None:
    """A control: the check above can fail."""
    assert secret_values_in('db_password = "hunter2-hunter2"') == ["assigned secret"]
    assert secret_values_in("RABBITMQ_URL=amqp://app:s3cret@rabbit:5672/") == ["credentials in a URL"]
    assert secret_values_in("stringData:\n  api_key: changeme-please\n") == ["secret in YAML"]


def test_manifests_hold_no_secret_and_read_secrets_only_from_the_external_secret(
    manifests: dict[str, list[dict[str, Any]]],
) -> None:
    for env, documents in manifests.items():
        kinds = {d["kind"] for d in documents}
        (external_secret,) = (d for d in documents if d["kind"] == "ExternalSecret")
        target = external_secret["spec"]["target"]["name"]

        assert "Secret" not in kinds, env
        assert secret_names_referenced(documents) == {target}, env
        assert external_secret["spec"]["dataFrom"] == [
            {"extract": {"key": f"{env}/services/{external_secret['metadata']['name']}"}}
        ]
        for workload in documents:
            for container in containers(workload):
                literal = [
                    e["name"] for e in container.get("env", []) if "value" in e and SECRET_LIKE_NAME.search(e["name"])
                ]
                assert literal == [], f"{env}: secret-like variables with literal values: {literal}"
