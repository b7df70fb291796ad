"""The shared steps' versions (steps/versions.yaml): which is current, what each changed, how they order."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

VERSION = re.compile(r"^v(\d+)(?:\.(\d+))?(?:\.(\d+))?$")
GITLAB_PIN = re.compile(r'^\s+PLATFORM_PIPELINES_VERSION:\s*"?([^"\s#]+)"?', re.MULTILINE)


@dataclass(frozen=True)
class Version:
    version: str
    date: str
    changes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Catalogue:
    current: str
    versions: list[Version]

    def get(self, version: str) -> Version | None:
        return next((v for v in self.versions if v.version == version), None)


def version_key(version: str) -> tuple[int, int, int] | None:
    """v2 < v2.1 < v10; None for refs that are not versions (main, a commit)."""
    match = VERSION.match(version)
    if match is None:
        return None
    major, minor, patch = (int(part) if part else 0 for part in match.groups())
    return major, minor, patch


def catalogue_load(steps_dir: Path) -> Catalogue:
    data = yaml.safe_load((steps_dir / "versions.yaml").read_text())
    versions = [
        Version(version=str(v["version"]), date=str(v.get("date", "")), changes=[str(c) for c in v.get("changes", [])])
        for v in data.get("versions", [])
    ]
    return Catalogue(current=str(data["current"]), versions=versions)


def changes_between(catalogue: Catalogue, old: str, new: str) -> list[Version]:
    """The versions after old up to new, newest first (everything up to new when old is not a version)."""
    new_key, old_key = version_key(new), version_key(old)
    if new_key is None:
        return []
    return sorted(
        (
            v
            for v in catalogue.versions
            if (key := version_key(v.version)) is not None and key <= new_key and (old_key is None or key > old_key)
        ),
        key=lambda v: version_key(v.version) or (0, 0, 0),
        reverse=True,
    )


def changelog_markdown(versions: list[Version]) -> str:
    return "\n\n".join(
        f"### {v.version}" + (f" ({v.date})" if v.date else "") + "\n" + "\n".join(f"- {c}" for c in v.changes)
        for v in versions
    )


def steps_problems(steps_dir: Path) -> list[str]:
    """What is wrong with the steps folder as a publishable version ([] when it can be published)."""
    try:
        catalogue = catalogue_load(steps_dir)
    except (OSError, yaml.YAMLError, KeyError, TypeError) as exc:
        return [f"versions.yaml cannot be read: {exc}"]
    problems = []
    if version_key(catalogue.current) is None:
        problems.append(f"current version {catalogue.current!r} is not a version like v1 or v2.1")
    if catalogue.get(catalogue.current) is None:
        problems.append(f"current version {catalogue.current} has no entry (and no changes) in versions.yaml")
    for path in sorted((steps_dir / "gitlab").glob("*.yml")):
        pinned = GITLAB_PIN.findall(path.read_text())
        if pinned != [catalogue.current] * len(pinned) or not pinned:
            problems.append(
                f"gitlab/{path.name} sets PLATFORM_PIPELINES_VERSION to {pinned or 'nothing'}, "
                f"not {catalogue.current}: its jobs would fetch the wrong scripts"
            )
    return problems
