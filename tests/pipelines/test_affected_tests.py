"""The test step's selection: the tests a change can affect, everything when it cannot tell."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.golden_paths.support import render
from tests.pipelines.support import load_script

affected = load_script("affected_tests")

SOURCES = {
    "src/shop/__init__.py": "",
    "src/shop/prices.py": "from decimal import Decimal\n",
    "src/shop/cart.py": "from shop.prices import Decimal\n",
    "src/shop/api.py": "from . import cart\n",
    "src/shop/report.py": "import json\n",
    "tests/test_cart.py": "from shop.cart import Cart\n",
    "tests/test_api.py": "import shop.api\n",
    "tests/test_report.py": "",
    "tests/unit/test_prices.py": "from shop import prices\n",
}


def test_a_changed_module_selects_the_tests_that_import_it_directly_or_through_others() -> None:
    result = affected.select(["src/shop/prices.py"], SOURCES)

    assert result.selection == "affected"
    assert result.tests == ["tests/test_api.py", "tests/test_cart.py", "tests/unit/test_prices.py"]


def test_relative_imports_count_as_imports() -> None:
    assert affected.select(["src/shop/cart.py"], SOURCES).tests == ["tests/test_api.py", "tests/test_cart.py"]


def test_a_test_named_after_the_module_is_selected_even_without_an_import() -> None:
    assert affected.select(["src/shop/report.py"], SOURCES).tests == ["tests/test_report.py"]


def test_a_changed_test_runs_itself() -> None:
    assert affected.select(["tests/test_cart.py"], SOURCES).tests == ["tests/test_cart.py"]


@pytest.mark.parametrize(
    "path",
    ["requirements.txt", "requirements-dev.txt", "pyproject.toml", "tests/conftest.py", "tests/helpers.py", "uv.lock"],
)
def test_dependencies_configuration_and_test_helpers_run_everything(path: str) -> None:
    result = affected.select([path], SOURCES)

    assert (result.selection, result.tests) == ("all", ["tests"])
    assert path in result.reason


def test_a_change_no_test_can_see_runs_nothing() -> None:
    result = affected.select(["README.md", "deploy/overlays/dev/kustomization.yaml"], SOURCES)

    assert (result.selection, result.tests) == ("none", [])


def test_a_conftest_that_imports_the_change_selects_every_test_beneath_it() -> None:
    sources = {**SOURCES, "tests/unit/conftest.py": "from shop.report import build\n"}

    result = affected.select(["src/shop/report.py"], sources)

    assert result.tests == ["tests/test_report.py", "tests/unit/test_prices.py"]


def test_without_a_base_commit_everything_runs(tmp_path: Path) -> None:
    for base in ("", "0" * 40):
        result = affected.selection_for(base, "HEAD", tmp_path, "tests", None)
        assert (result.selection, result.reason) == ("all", "no base commit to compare with")


def _git(repo: Path, *args: str) -> str:
    env = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@x", "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@x"}
    proc = subprocess.run(["git", *args], cwd=repo, capture_output=True, text=True, check=True, env=env)
    return proc.stdout.strip()


def test_on_a_generated_service_the_selection_follows_imports_through_its_conftest(tmp_path: Path) -> None:
    repo = render("python-http-service", tmp_path, name="orders-api")
    _git(repo, "init", "--quiet", "--initial-branch=main")
    _git(repo, "add", "-A")
    _git(repo, "commit", "--quiet", "-m", "generated")
    base = _git(repo, "rev-parse", "HEAD")
    telemetry = repo / "src" / "app" / "telemetry.py"
    telemetry.write_text(telemetry.read_text() + "\n# a change\n")
    (repo / "README.md").write_text("changed\n")
    _git(repo, "commit", "--quiet", "-am", "change")
    all_tests = sorted(p.relative_to(repo).as_posix() for p in (repo / "tests").glob("test_*.py"))

    out = tmp_path / "github-output"
    assert affected.main(["--base", base, "--root", str(repo), "--github-output", str(out)]) == 0

    lines = dict(line.split("=", 1) for line in out.read_text().splitlines())
    # tests/conftest.py imports app.telemetry: every test in tests/ uses its fixtures
    assert lines == {"selection": "affected", "tests": " ".join(all_tests)}
    (repo / "README.md").write_text("changed again\n")
    _git(repo, "commit", "--quiet", "-am", "docs only")
    docs_only = affected.selection_for("HEAD~1", "HEAD", repo, "tests", None)
    assert (docs_only.selection, docs_only.tests) == ("none", [])
    (repo / "tests" / "test_api.py").write_text((repo / "tests" / "test_api.py").read_text() + "\n")
    _git(repo, "commit", "--quiet", "-am", "one test")
    one_test = affected.selection_for("HEAD~1", "HEAD", repo, "tests", None)
    assert (one_test.selection, one_test.tests) == ("affected", ["tests/test_api.py"])


def test_git_failing_runs_everything(tmp_path: Path) -> None:
    result = affected.selection_for("deadbeef", "HEAD", tmp_path, "tests", None)

    assert result.selection == "all"
    assert "cannot diff" in result.reason


def test_code_loaded_by_name_counts_as_imported() -> None:
    sources = {
        "site/settings.py": 'ROOT_URLCONF = "site.urls"\n',
        "site/urls.py": "from shop import views\n",
        "shop/views.py": "",
        "shop/models.py": "",
        "tests/conftest.py": "",
        "tests/test_pages.py": "def test_home(client): ...\n",
        "tests/test_models.py": "from shop import models\n",
    }

    result = affected.select(["shop/views.py"], sources, implicit=["site.settings"])

    # the settings name the URLconf by a string, the URLconf imports the view: every test through conftest.py
    assert result.tests == ["tests/test_models.py", "tests/test_pages.py"]
    assert affected.select(["shop/views.py"], sources).selection == "none"
