"""Scaffolder fixtures: a private data folder, local git and the tiny test golden path."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from portal.catalog.models import Environment
from portal.integrations.backends import backends_reset

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture(autouse=True)
def scaffold_sandbox(settings, tmp_path: Path) -> Iterator[Path]:
    settings.DATA_DIR = tmp_path / "data"
    settings.GOLDEN_PATHS_DIR = FIXTURES
    settings.SOURCE_CONTROL = {
        "BACKEND": "portal.integrations.source_control.local.LocalGit",
        "OPTIONS": {"root": str(tmp_path / "git"), "base_url": "http://portal.test/api/v1/scm/repositories"},
    }
    backends_reset()
    yield tmp_path
    backends_reset()


@pytest.fixture
def environments(db: None) -> list[Environment]:
    return [
        Environment.objects.create(name=name, kind=name, default_cluster=f"{name}-1")
        for name in ("dev", "staging", "prod")
    ]
