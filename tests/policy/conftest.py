"""Every golden path variant rendered once and built with kustomize for every overlay, shared by the policy tests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.golden_paths.conftest import VARIANTS
from tests.golden_paths.support import ENVIRONMENTS, kustomize, render

Manifests = dict[str, list[dict[str, Any]]]


@pytest.fixture(scope="session")
def golden_path_manifests(tmp_path_factory: pytest.TempPathFactory) -> Manifests:
    """'<variant>/<environment>' -> the documents `kubectl kustomize deploy/overlays/<environment>` builds."""
    root = tmp_path_factory.mktemp("policy-golden-paths")
    out: Manifests = {}
    for variant in VARIANTS:
        repo: Path = render(variant.path, root / variant.id, cost_centre="CC-4711", **variant.answers)
        for env in ENVIRONMENTS:
            out[f"{variant.id}/{env}"] = kustomize(repo / "deploy" / "overlays" / env)
    return out
