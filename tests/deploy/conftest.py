"""The chart rendered by the real helm binary, once per session for each values file."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.deploy.helm import PRODUCTION_VALUES, HelmMissing, Manifest, helm_extract, render


@pytest.fixture(scope="session")
def helm(tmp_path_factory: pytest.TempPathFactory) -> Path:
    try:
        return helm_extract(tmp_path_factory.mktemp("helm"))
    except HelmMissing as error:
        pytest.fail(str(error))


@pytest.fixture(scope="session")
def default_manifests(helm: Path) -> list[Manifest]:
    return render(helm)


@pytest.fixture(scope="session")
def production_manifests(helm: Path) -> list[Manifest]:
    return render(helm, PRODUCTION_VALUES)


@pytest.fixture(scope="session", params=["default", "production"])
def manifests(
    request: pytest.FixtureRequest, default_manifests: list[Manifest], production_manifests: list[Manifest]
) -> list[Manifest]:
    """Each test that takes this runs on both renders: the chart's defaults and the production example."""
    return default_manifests if request.param == "default" else production_manifests
