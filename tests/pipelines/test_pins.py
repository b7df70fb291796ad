"""Finding the shared steps' version in a service's CI files and moving it, touching nothing else."""

from __future__ import annotations

import pytest

from portal.pipelines.pins import PinsUnreadable, is_ci_file, pins_bump, pins_find
from portal.pipelines.versions import Catalogue, Version, changes_between, version_key

GITHUB = """\
name: ci
on: [push]
jobs:
  test:
    # calls acme/pipelines/.github/workflows/test.yaml@v1 (a comment, not a pin)
    uses: acme/pipelines/.github/workflows/test.yaml@v1
    with:
      python-version: "3.12"
  build:
    uses: "acme/pipelines/.github/workflows/build.yaml@v1"
  lint:
    uses: acme/other/.github/workflows/lint.yaml@v1
  local:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
"""

GITLAB = """\
include:
  - project: acme/pipelines
    ref: 'v1'  # pinned
    file: [/gitlab/test.yml, /gitlab/build.yml]
  - project: acme/templates
    ref: v1
    file: /lint.yml
  - local: /ci/extra.yml
"""


def test_github_pins_are_the_uses_of_the_pipelines_repository_only() -> None:
    pins = pins_find(".github/workflows/ci.yaml", GITHUB, "pipelines")

    assert [(p.steps, p.ref) for p in pins] == [(("test",), "v1"), (("build",), "v1")]
    assert [GITHUB[p.start : p.end] for p in pins] == ["v1", "v1"]


def test_bumping_changes_only_the_pinned_refs() -> None:
    pins = pins_find(".github/workflows/ci.yaml", GITHUB, "pipelines")

    bumped = pins_bump(GITHUB, pins, "v2")

    changed = [(a, b) for a, b in zip(GITHUB.splitlines(), bumped.splitlines(), strict=True) if a != b]
    assert changed == [
        (
            "    uses: acme/pipelines/.github/workflows/test.yaml@v1",
            "    uses: acme/pipelines/.github/workflows/test.yaml@v2",
        ),
        (
            '    uses: "acme/pipelines/.github/workflows/build.yaml@v1"',
            '    uses: "acme/pipelines/.github/workflows/build.yaml@v2"',
        ),
    ]


def test_gitlab_pins_are_the_ref_of_the_pipelines_include_and_keep_their_quotes() -> None:
    pins = pins_find(".gitlab-ci.yml", GITLAB, "pipelines")

    assert [(p.steps, p.ref) for p in pins] == [(("test", "build"), "v1")]
    assert pins_bump(GITLAB, pins, "v2.1").splitlines()[2] == "    ref: 'v2.1'  # pinned"


def test_a_file_that_is_not_yaml_is_reported_not_guessed() -> None:
    with pytest.raises(PinsUnreadable, match="not valid YAML"):
        pins_find(".gitlab-ci.yml", "include: [\n", "pipelines")


def test_ci_files_are_workflows_and_gitlab_ci() -> None:
    paths = [".github/workflows/ci.yaml", ".github/workflows/x.yml", ".gitlab-ci.yml", "ci.yaml", "docs/.github/x"]
    assert [p for p in paths if is_ci_file(p)] == paths[:3]


def test_versions_order_numerically_and_refs_that_are_not_versions_do_not_order() -> None:
    assert sorted(["v10", "v2", "v2.1", "v1"], key=version_key) == ["v1", "v2", "v2.1", "v10"]  # type: ignore[arg-type]
    assert version_key("main") is None
    assert version_key("3f2a9c1") is None


def test_the_changelog_between_two_versions_is_what_came_after_the_old_one() -> None:
    catalogue = Catalogue(
        current="v3",
        versions=[Version("v3", "2026-12-02", ["c"]), Version("v2", "2026-12-01", ["b"]), Version("v1", "", ["a"])],
    )

    assert [v.version for v in changes_between(catalogue, "v1", "v3")] == ["v3", "v2"]
    assert [v.version for v in changes_between(catalogue, "v2", "v2")] == []
