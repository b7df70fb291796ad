"""Golden-path upgrades: the template's change merged three-way with the team's; conflicts never pass as done."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import pytest

from portal.catalog.models import Environment, Service
from portal.celery import app as celery_app
from portal.core.models import User
from portal.integrations.source_control import source_control
from tests.conftest import client_for
from tests.scaffolder.conftest import FIXTURES


@pytest.fixture
def created(
    owner: User,
    environments: list[Environment],
    django_capture_on_commit_callbacks,
    settings,
    tmp_path: Path,
) -> Path:
    templates = tmp_path / "templates"
    shutil.copytree(FIXTURES, templates)
    settings.GOLDEN_PATHS_DIR = templates
    celery_app.conf.task_always_eager = True
    try:
        with django_capture_on_commit_callbacks(execute=True):
            client_for(owner).post(
                "/api/v1/golden-paths/tiny-service/runs",
                {"parameters": {"name": "ledger", "owner": "payments"}},
                format="json",
            )
    finally:
        celery_app.conf.task_always_eager = False
    template = templates / "tiny-service"
    (template / "golden-path.yaml").write_text((template / "golden-path.yaml").read_text().replace("1.2.0", "1.3.0"))
    readme = template / "{{cookiecutter.name}}" / "README.md"
    readme.write_text(readme.read_text() + "\nRunbook: https://runbooks.example.com/{{ cookiecutter.name }}\n")
    return template


def _edit(path: str, change) -> None:
    sc = source_control()
    text = sc.file_read("acme/ledger", "main", path).decode()
    root = Path(tempfile.mkdtemp())
    (root / Path(path).parent).mkdir(parents=True, exist_ok=True)
    (root / path).write_text(change(text))
    sc.commit_tree("acme/ledger", "main", root=root, message="team edit", replace=False)


def test_an_upgrade_merges_the_template_change_with_the_teams_own(owner: User, created: Path) -> None:
    _edit("README.md", lambda text: "Team notes first.\n\n" + text)
    response = client_for(owner).post("/api/v1/catalog/services/ledger/golden-path-upgrade")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["from_version"], body["to_version"], body["changed"]) == ("1.2.0", "1.3.0", ["README.md"])
    sc = source_control()
    merged = sc.file_read("acme/ledger", "refs/heads/golden-path-upgrade/1.3.0", "README.md").decode()
    assert merged.startswith("Team notes first.")
    assert "Runbook: https://runbooks.example.com/ledger" in merged
    assert body["pull_request_url"].endswith("/acme/ledger/pulls/1")


def test_conflicts_are_reported_and_nothing_is_opened(owner: User, created: Path) -> None:
    _edit("README.md", lambda text: text.rstrip("\n") + "\nRunbook: our wiki\n")
    response = client_for(owner).post("/api/v1/catalog/services/ledger/golden-path-upgrade")
    assert response.status_code == 409
    assert response.json()["conflicts"] == ["README.md"]
    assert source_control().pull_request_get("acme/ledger", 1) is None
    assert Service.objects.get(name="ledger").golden_path_version == "1.2.0"


def test_a_service_on_the_current_version_has_nothing_to_upgrade(owner: User, created: Path) -> None:
    (created / "golden-path.yaml").write_text((created / "golden-path.yaml").read_text().replace("1.3.0", "1.2.0"))
    assert client_for(owner).post("/api/v1/catalog/services/ledger/golden-path-upgrade").status_code == 409
