"""The same roll-out against GitHub's and GitLab's APIs (their fakes, built from the documented payloads)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from portal.catalog.models import Service
from portal.core.models import Team, User
from portal.pipelines import rollout as rollout_module
from portal.pipelines import services as pipelines_services
from portal.pipelines.models import TargetState
from tests.golden_paths.support import render
from tests.integrations.hosted import PROVIDERS, Hosted, hosted
from tests.pipelines.conftest import steps_v2


@pytest.fixture(params=PROVIDERS)
def remote(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch, settings: Any) -> Iterator[Hosted]:
    provider = hosted(request.param)
    settings.PIPELINES_REPOSITORY = "acme/pipelines"
    monkeypatch.setattr(pipelines_services, "source_control", lambda: provider.sc)
    monkeypatch.setattr(rollout_module, "source_control", lambda: provider.sc)
    yield provider
    provider.server.close()


def test_a_roll_out_on_a_hosted_provider_opens_one_pull_request_changing_only_the_version(
    remote: Hosted, payments: Team, platform_admin: User, tmp_path: Path, settings: Any
) -> None:
    sc = remote.sc
    scm = sc.provider
    sc.repository_create("acme/ledger")
    generated = render("python-http-service", tmp_path / "render", name="ledger", scm=scm, scm_org="acme")
    sc.commit_tree("acme/ledger", "main", root=generated, message="Create ledger", replace=True)
    service = Service.objects.create(name="ledger", owner=payments, repo_url=f"{sc.base_url}/acme/ledger")
    pipelines_services.steps_publish(actor=platform_admin)
    settings.PIPELINES_STEPS_DIR = steps_v2(tmp_path)
    pipelines_services.steps_publish(actor=platform_admin)
    ci = ".github/workflows/ci.yaml" if scm == "github" else ".gitlab-ci.yml"

    for _ in range(2):  # the second roll-out finds the open pull request
        rollout, _created = pipelines_services.rollout_request(actor=platform_admin, version="v2")
        pipelines_services.rollout_run(rollout.pk)
        target = rollout.targets.get(service=service)
        assert target.state == TargetState.PULL_REQUEST, target.reason

    assert [f.path for f in sc.pull_request_files("acme/ledger", target.pull_request_number or 0)] == [ci]
    before = (sc.file_read("acme/ledger", "main", ci) or b"").decode()
    after = (sc.file_read("acme/ledger", "platform/pipelines-v2", ci) or b"").decode()
    changed = [(a, b) for a, b in zip(before.splitlines(), after.splitlines(), strict=True) if a != b]
    assert changed
    assert all(b == a.replace("v1", "v2") for a, b in changed)
    assert sc.file_read("acme/pipelines", "v2", "versions.yaml") is not None
    assert sc.pull_request_get("acme/ledger", 2) is None  # no second pull request
