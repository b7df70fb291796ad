"""Golden-path upgrades: re-render with the stored answers and apply the template's change three-way."""

from __future__ import annotations

import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from portal.catalog.models import Service
from portal.core.errors import ApplicationError, Conflict
from portal.core.permissions import AnyUser, require_write_owned_by
from portal.integrations.source_control import SourceControl, source_control
from portal.scaffolder.models import RunState, ScaffoldRun
from portal.scaffolder.registry import golden_path_get
from portal.scaffolder.steps import render, repo_slug_for, template_context


@dataclass
class UpgradeResult:
    from_version: str
    to_version: str
    changed: list[str] = field(default_factory=list)
    conflicts: list[str] = field(default_factory=list)
    left_alone: list[str] = field(default_factory=list)  # removed from the template; the team decides
    pull_request_url: str = ""


def merge_three_way(current: bytes, base: bytes, new: bytes) -> tuple[bytes, bool]:
    """git merge-file: the team's file, the template's old and new versions; returns (merged, had_conflicts)."""
    with tempfile.TemporaryDirectory() as tmp:
        paths = []
        for name, data in (("current", current), ("base", base), ("new", new)):
            target = Path(tmp) / name
            target.write_bytes(data)
            paths.append(str(target))
        proc = subprocess.run(
            [
                "git",
                "merge-file",
                "-p",
                "-L",
                "yours",
                "-L",
                "template-before",
                "-L",
                "template-now",
                *paths,
            ],
            capture_output=True,
            check=False,
        )
    if proc.returncode < 0 or proc.returncode > 127:
        raise ApplicationError(f"git merge-file failed: {proc.stderr.decode(errors='replace')}")
    return proc.stdout, proc.returncode > 0


def _scaffold_run(service: Service) -> ScaffoldRun:
    run = (
        ScaffoldRun.objects.filter(service_name=service.name, state=RunState.SUCCEEDED).order_by("-created_at").first()
    )
    if run is None:
        raise ApplicationError(
            f"{service.name} was not created by a scaffold run; there is nothing to upgrade from.",
            fields={"service": ["no scaffold run"]},
        )
    return run


def golden_path_upgrade(*, actor: AnyUser, service: Service) -> UpgradeResult:
    """Open an upgrade pull request, or report the conflicts (and open nothing)."""
    require_write_owned_by(actor, service.owner, what=f"'{service.name}'")
    path = golden_path_get(service.golden_path)
    if path.version == service.golden_path_version:
        raise Conflict(f"{service.name} is already on {path.name} {path.version}.", fields={"version": ["current"]})
    run = _scaffold_run(service)
    sc = source_control()
    slug = repo_slug_for(run)
    base_commit = run.steps.get(name="push").output["commit"]
    branch = sc.repository_get(slug).default_branch  # type: ignore[union-attr]
    result = UpgradeResult(from_version=service.golden_path_version, to_version=path.version)
    with tempfile.TemporaryDirectory() as tmp:
        repo_url = run.repo_url
        rendered = render(path, template_context(path, run, repo_slug=slug, repo_url=repo_url), Path(tmp) / "render")
        out = Path(tmp) / "out"
        _merge_all(sc, slug, base_commit, branch, rendered, out, result)
        if result.conflicts or not result.changed:
            return result
        upgrade_branch = f"golden-path-upgrade/{path.version}"
        sc.commit_tree(
            slug,
            upgrade_branch,
            root=out,
            base_branch=branch,
            replace=False,
            message=f"Upgrade to golden path {path.name} {path.version}",
        )
    pull = sc.pull_request_open(
        slug,
        source_branch=upgrade_branch,
        target_branch=branch,
        title=f"Upgrade {service.name} to {path.name} {path.version}",
        body=f"Re-rendered with the answers of scaffold run {run.id} and merged three-way with your changes.\n"
        f"Changed: {', '.join(result.changed)}"
        + (f"\nRemoved from the template (left alone): {', '.join(result.left_alone)}" if result.left_alone else ""),
    )
    result.pull_request_url = pull.url
    return result


def _merge_all(
    sc: SourceControl, slug: str, base_commit: str, branch: str, rendered: Path, out: Path, result: UpgradeResult
) -> None:
    new_files = {p.relative_to(rendered).as_posix() for p in rendered.rglob("*") if p.is_file()}
    for name in sorted(new_files | set(sc.file_list(slug, base_commit))):
        base = sc.file_read(slug, base_commit, name)
        new = (rendered / name).read_bytes() if name in new_files else None
        current = sc.file_read(slug, branch, name)
        if new in (base, current):
            continue
        if new is None:
            result.left_alone.append(name)
            continue
        merged, conflicted = (
            (new, False) if current is None or current == base else merge_three_way(current, base or b"", new)
        )
        if conflicted:
            result.conflicts.append(name)
            continue
        target = out / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(merged)
        result.changed.append(name)
