#!/usr/bin/env python3
# ruff: noqa: T201, S603, S607  -- a command-line step that prints to the CI log and runs git
"""Select the tests a change can affect, so that a pull request runs those and not the whole suite.

A changed test file runs itself. A changed module runs every test that imports it, directly or through other
modules (a conftest.py that imports it counts for every test beside and below it), and tests named after it
(test_<module>.py). Code loaded by name counts as imported: dotted strings ("app.urls" in a URLconf or
INSTALLED_APPS) and the DJANGO_SETTINGS_MODULE the test configuration names. A change to dependencies,
configuration, a conftest.py or a test helper runs everything, and so does anything this script cannot judge
(no base commit, git failing).
Standard library only: it runs before the project's own dependencies are installed.
"""

from __future__ import annotations

import argparse
import ast
import fnmatch
import json
import re
import subprocess
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

EVERYTHING = (
    "requirements*.txt",
    "constraints*.txt",
    "*.lock",
    "pyproject.toml",
    "setup.py",
    "setup.cfg",
    "Pipfile",
    "tox.ini",
    "noxfile.py",
    "pytest.ini",
    ".python-version",
    "conftest.py",
)
SOURCE_ROOTS = ("", "src")
DOTTED = re.compile(r"^[A-Za-z_]\w*(\.[A-Za-z_]\w*)+$")  # "portal.pipelines.urls": code loaded by name
SETTINGS_MODULE = re.compile(r"DJANGO_SETTINGS_MODULE\s*[=:]\s*[\"']?([\w.]+)")
TEST_CONFIG = ("pyproject.toml", "pytest.ini", "setup.cfg", "tox.ini")
SKIPPED_FOLDERS = {".git", ".venv", "venv", "node_modules", "__pycache__", ".platform-pipelines", "build", "dist"}
ZERO_SHA = "0" * 40


@dataclass(frozen=True)
class Selection:
    selection: str  # all, affected, none
    tests: list[str] = field(default_factory=list)
    reason: str = ""


def is_test_file(path: str, tests_dir: str) -> bool:
    pure = PurePosixPath(path)
    inside = pure.parts[: len(PurePosixPath(tests_dir).parts)] == PurePosixPath(tests_dir).parts
    return inside and pure.suffix == ".py" and (pure.name.startswith("test_") or pure.name.endswith("_test.py"))


def module_names(path: str) -> list[str]:
    """The dotted names a file can be imported by, one per source root it sits under."""
    pure = PurePosixPath(path)
    if pure.suffix != ".py":
        return []
    names = []
    for root in SOURCE_ROOTS:
        root_parts = PurePosixPath(root).parts if root else ()
        if pure.parts[: len(root_parts)] != root_parts:
            continue
        parts = list(pure.with_suffix("").parts[len(root_parts) :])
        if parts and parts[-1] == "__init__":
            parts.pop()
        if parts and all(part.isidentifier() for part in parts):
            names.append(".".join(parts))
    return names


def _with_parents(name: str) -> set[str]:
    """Importing a.b.c runs a and a.b as well."""
    parts = name.split(".")
    return {".".join(parts[:i]) for i in range(1, len(parts) + 1)}


def imported_modules(source: str, module: str, is_package: bool) -> set[str]:
    """Every module a file's imports can load (unparsable files import nothing we can see)."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return set()
    package = module if is_package else module.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                found |= _with_parents(alias.name)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".") if package else []
                anchor = anchor[: len(anchor) - (node.level - 1)] if node.level > 1 else anchor
                base = ".".join([*anchor, *([base] if base else [])])
            if base:
                found |= _with_parents(base)
            found |= {f"{base}.{alias.name}" if base else alias.name for alias in node.names}
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and DOTTED.match(node.value):
            found |= _with_parents(node.value)  # include("app.urls"), INSTALLED_APPS, import_string(...)
    return found


def _dependents(sources: Mapping[str, str], implicit: Iterable[str]) -> dict[str, set[str]]:
    """Module name -> files that import it; every conftest.py imports the implicit modules (a settings module)."""
    importers: dict[str, set[str]] = {}
    for path, source in sources.items():
        for module in module_names(path):
            imported = imported_modules(source, module, path.endswith("__init__.py"))
            if PurePosixPath(path).name == "conftest.py":
                imported |= {name for module in implicit for name in _with_parents(module)}
            for name in imported:
                importers.setdefault(name, set()).add(path)
    return importers


def _affected_files(changed: Iterable[str], sources: Mapping[str, str], implicit: Iterable[str]) -> set[str]:
    """Changed files plus every file that imports one of them, transitively."""
    importers = _dependents(sources, implicit)
    seen: set[str] = set()
    queue = [path for path in changed if path.endswith(".py")]
    while queue:
        path = queue.pop()
        if path in seen:
            continue
        seen.add(path)
        for module in module_names(path):
            queue.extend(importers.get(module, set()) - seen)
    return seen


def _runs_everything(path: str, tests_dir: str) -> str:
    name = PurePosixPath(path).name
    if any(fnmatch.fnmatch(name, pattern) for pattern in EVERYTHING):
        return f"{path} changes dependencies or test configuration"
    inside_tests = PurePosixPath(path).parts[: len(PurePosixPath(tests_dir).parts)] == PurePosixPath(tests_dir).parts
    if inside_tests and not is_test_file(path, tests_dir):
        return f"{path} is a test helper or fixture"
    return ""


def select(
    changed: Iterable[str], sources: Mapping[str, str], *, tests_dir: str = "tests", implicit: Iterable[str] = ()
) -> Selection:
    """Which tests to run for the changed paths, given every Python file's source (path -> text).

    implicit names modules the test runner loads by configuration (Django's settings module), which every
    conftest.py then counts as importing.
    """
    changed = sorted(set(changed))
    for path in changed:
        reason = _runs_everything(path, tests_dir)
        if reason:
            return Selection("all", [tests_dir], reason)
    affected = _affected_files(changed, sources, implicit)
    # A conftest.py that imports the change hands it, through fixtures, to every test beside and below it.
    fixture_roots = [PurePosixPath(p).parent for p in affected if PurePosixPath(p).name == "conftest.py"]
    stems = {PurePosixPath(path).stem for path in changed if path.endswith(".py")}
    tests = {path for path in sources if is_test_file(path, tests_dir)}
    chosen = {path for path in tests if path in affected}
    chosen |= {path for path in tests for root in fixture_roots if PurePosixPath(path).is_relative_to(root)}
    chosen |= {path for path in tests if PurePosixPath(path).stem.removeprefix("test_") in stems}
    if not chosen:
        return Selection("none", [], f"no test imports any of {len(changed)} changed file(s)")
    return Selection("affected", sorted(chosen), f"{len(chosen)} of {len(tests)} test files import the change")


def configured_modules(root: Path) -> list[str]:
    """Modules the test configuration names (DJANGO_SETTINGS_MODULE in pyproject.toml, pytest.ini ...)."""
    found = []
    for name in TEST_CONFIG:
        if (root / name).is_file():
            found += SETTINGS_MODULE.findall((root / name).read_text(encoding="utf-8", errors="replace"))
    return sorted(set(found))


def python_sources(root: Path) -> dict[str, str]:
    sources = {}
    for path in sorted(root.rglob("*.py")):
        relative = path.relative_to(root)
        if SKIPPED_FOLDERS.isdisjoint(relative.parts[:-1]):
            sources[relative.as_posix()] = path.read_text(encoding="utf-8", errors="replace")
    return sources


def changed_files(base: str, head: str, root: Path) -> list[str] | None:
    """Paths changed between the merge base of base and head, or None when git cannot tell."""
    proc = subprocess.run(
        ["git", "diff", "--name-only", "--no-renames", "--relative", f"{base}...{head}"],
        cwd=root,
        capture_output=True,
        text=True,
        check=False,
    )
    return [line for line in proc.stdout.splitlines() if line] if proc.returncode == 0 else None


def selection_for(base: str, head: str, root: Path, tests_dir: str, changed: list[str] | None) -> Selection:
    if changed is None:
        if not base or base == ZERO_SHA:
            return Selection("all", [tests_dir], "no base commit to compare with")
        changed = changed_files(base, head, root)
        if changed is None:
            return Selection("all", [tests_dir], f"git cannot diff {base}...{head} (shallow clone?)")
    return select(changed, python_sources(root), tests_dir=tests_dir, implicit=configured_modules(root))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", default="", help="base commit (pull request base); empty: run everything")
    parser.add_argument("--head", default="HEAD")
    parser.add_argument("--root", default=".", help="the repository's (or service's) folder")
    parser.add_argument("--tests", default="tests", help="folder of the tests, relative to --root")
    parser.add_argument("--changed", nargs="*", help="changed paths instead of asking git")
    parser.add_argument("--github-output", default="", help="append selection= and tests= to this file")
    parser.add_argument("--print", action="store_true", help="print only the paths to give pytest")
    args = parser.parse_args(argv)
    result = selection_for(args.base, args.head, Path(args.root), args.tests.rstrip("/"), args.changed)
    print(f"test selection: {result.selection} ({result.reason})", file=sys.stderr)
    if args.github_output:
        with open(args.github_output, "a", encoding="utf-8") as out:
            out.write(f"selection={result.selection}\ntests={' '.join(result.tests)}\n")
    if args.print:
        print(" ".join(result.tests))
    elif not args.github_output:
        print(json.dumps({"selection": result.selection, "tests": result.tests, "reason": result.reason}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
