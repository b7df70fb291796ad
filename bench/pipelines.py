"""Affected-test selection (the shared test step) on the golden paths' generated services: tests run and misses.

    python bench/pipelines.py [--path python-http-service ...]

For every module under src/ of every golden path (rendered with its default answers and each broker of the
event-driven worker), the module is broken (it raises when imported) and the service's whole test suite runs
once: the test files that fail are the ones the change really affects. Each selector is then scored on the
same change: how many test files it would run, how many of the failing files it would leave out, and how many
changes it would let through (none of the files it selects fails, so CI goes green). Peers: running everything
(what the pipeline did before), and selecting by name only (test_<module>.py plus changed tests, what simple
"related tests" plugins do).
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from types import ModuleType

ROOT = Path(__file__).resolve().parent.parent
TEMPLATES = ROOT / "templates"
VARIANTS = [
    ("python-http-service", {}),
    ("event-driven-worker", {"broker": "redis-streams"}),
    ("event-driven-worker", {"broker": "rabbitmq"}),
    ("event-driven-worker", {"broker": "kafka"}),
    ("scheduled-job", {}),
]


def _selector() -> ModuleType:
    path = ROOT / "portal" / "pipelines" / "steps" / "scripts" / "affected_tests.py"
    spec = importlib.util.spec_from_file_location("affected_tests", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["affected_tests"] = module
    spec.loader.exec_module(module)
    return module


def render(path: str, answers: dict[str, str], workdir: Path) -> Path:
    from cookiecutter.main import cookiecutter

    config = {"replay_dir": str(workdir / "replay"), "cookiecutters_dir": str(workdir / "cache")}
    out = cookiecutter(
        str(TEMPLATES / path),
        no_input=True,
        extra_context=answers,
        output_dir=str(workdir / "out"),
        default_config=config,
    )
    return Path(out)


def failing_test_files(repo: Path, all_tests: list[str]) -> set[str]:
    """Run the whole suite; the test files with a failure or error (all of them when collection breaks)."""
    report = repo / "report.xml"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "PYTEST_", "OTEL_"))}
    proc = subprocess.run(
        [
            *(sys.executable, "-m", "pytest", "-q", "-p", "no:django", "-p", "no:cacheprovider"),
            *("--continue-on-collection-errors", f"--junitxml={report}"),
        ],
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    if proc.returncode not in (0, 1) or not report.exists():  # conftest or collection broke: nothing ran
        return set(all_tests)
    modules = {t.removesuffix(".py").replace("/", "."): t for t in all_tests}
    failing = set()
    for case in ET.parse(report).iter("testcase"):  # noqa: S314 - pytest's own report on this machine
        if case.find("failure") is not None or case.find("error") is not None:
            where = case.get("classname") or case.get("name") or ""  # a collection error names the module in name
            failing |= {t for m, t in modules.items() if where == m or where.startswith(m + ".")}
    report.unlink()
    return failing


@dataclass
class Score:
    selected: int = 0
    missed: int = 0
    changes_missed: int = 0

    def add(self, chosen: set[str], failing: set[str]) -> None:
        self.selected += len(chosen)
        self.missed += len(failing - chosen)
        self.changes_missed += bool(failing) and not failing & chosen  # nothing selected fails: CI goes green


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--path", action="append", help="golden path(s) to measure (default: all)")
    args = parser.parse_args()
    selector = _selector()
    started = time.monotonic()
    scores = {"ours (affected_tests.py)": Score(), "by name only": Score(), "everything": Score()}
    changes = test_files = 0
    for path, answers in VARIANTS:
        if args.path and path not in args.path:
            continue
        with tempfile.TemporaryDirectory() as tmp:
            repo = render(path, answers, Path(tmp))
            sources = selector.python_sources(repo)
            all_tests = sorted(p for p in sources if selector.is_test_file(p, "tests"))
            for module in sorted(p for p in sources if p.startswith("src/")):
                original = (repo / module).read_text()
                (repo / module).write_text(original + '\nraise RuntimeError("broken on purpose")\n')
                failing = failing_test_files(repo, all_tests)
                (repo / module).write_text(original)
                ours = set(selector.select([module], sources).tests)
                ours = set(all_tests) if ours == {"tests"} else ours
                stem = PurePosixPath(module).stem
                by_name = {t for t in all_tests if PurePosixPath(t).stem == f"test_{stem}"}
                for name, chosen in zip(scores, (ours, by_name, set(all_tests)), strict=True):
                    scores[name].add(chosen, failing)
                changes += 1
                test_files += len(all_tests)
                print(f"{path} {answers or ''} {module}: {len(failing)} failing, ours {len(ours)}/{len(all_tests)}")
    print(f"\n{changes} single-module changes, {test_files} test-file runs if everything ran each time")
    print(
        f"{'selector':<26} {'test files run':>15} {'share':>7} {'failing files missed':>21} {'changes let through':>20}"
    )
    for name, score in scores.items():
        share = score.selected / test_files if test_files else 0
        print(f"{name:<26} {score.selected:>15} {share:>7.0%} {score.missed:>21} {score.changes_missed:>20}")
    print(f"\nwall time {time.monotonic() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
