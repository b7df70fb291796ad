"""One service in a roll-out: read its CI files, find the pinned version, open the pull request that bumps it."""

from __future__ import annotations

import logging
import tempfile
from pathlib import Path
from urllib.parse import urlparse

from django.conf import settings
from django.utils import timezone

from portal.integrations.errors import IntegrationError
from portal.integrations.source_control import Repository, SourceControl, source_control
from portal.pipelines.models import PipelineUsage, RolloutTarget, TargetState
from portal.pipelines.pins import Pin, PinsUnreadable, is_ci_file, pins_bump, pins_find
from portal.pipelines.versions import Catalogue, changelog_markdown, changes_between, version_key

BRANCH_PREFIX = "platform/pipelines-"
_logger = logging.getLogger(__name__)


class TargetFailed(Exception):
    """This service cannot be moved; the message says why and what to do."""


def repository_slug(repo_url: str, base_url: str) -> str:
    """owner/name from a repository URL (the source-control adapter's own URLs, or any host's path)."""
    url, base = repo_url.rstrip("/").removesuffix(".git"), base_url.rstrip("/")
    if base and url.startswith(base + "/"):
        return url[len(base) + 1 :]
    return urlparse(url).path.strip("/")


def _log(target: RolloutTarget, message: str) -> None:
    target.log = [*target.log, {"at": timezone.now().isoformat(), "message": message}]


def _finish(target: RolloutTarget, state: str, *, reason: str = "") -> None:
    target.state, target.reason, target.finished_at = state, reason, timezone.now()
    _log(target, reason or f"done: {TargetState(state).label.lower()}")
    target.save()


def target_run(target: RolloutTarget, *, version: str, catalogue: Catalogue) -> None:
    """Move one service to version, or record why it could not be moved (never raises for one service)."""
    try:
        _target_move(target, version, catalogue)
    except TargetFailed as exc:
        _finish(target, TargetState.FAILED, reason=str(exc))
    except IntegrationError as exc:
        retry = "" if exc.permanent else " This may pass on a retry: request the roll-out again."
        _finish(target, TargetState.FAILED, reason=f"{exc.message}{retry}")
    except Exception as exc:  # one service's surprise must not stop the others
        _logger.exception("pipelines roll-out %s crashed on %s", target.rollout_id, target.service.name)
        _finish(
            target,
            TargetState.FAILED,
            reason=f"Unexpected error ({type(exc).__name__}: {exc}); tell the platform team, then roll out again.",
        )


def _repository(sc: SourceControl, target: RolloutTarget) -> Repository:
    slug = repository_slug(target.service.repo_url, getattr(sc, "base_url", ""))
    target.repository = slug
    repo = sc.repository_get(slug) if slug.count("/") >= 1 else None
    if repo is None:
        raise TargetFailed(
            f"No repository {slug or target.service.repo_url!r} is reachable through "
            f"{sc.provider or 'source control'}: correct the service's repo_url in the catalog, "
            "or give the portal's token access to it."
        )
    return repo


def _pins(sc: SourceControl, slug: str, ref: str, repo_name: str) -> tuple[dict[str, str], list[Pin]]:
    files = [path for path in sc.file_list(slug, ref) if is_ci_file(path)]
    if not files:
        raise TargetFailed(
            f"{slug} has no CI file on {ref} (.github/workflows/*.yaml or .gitlab-ci.yml): add the golden path's "
            f"CI file, which calls the shared steps ({repo_name}), then roll out again."
        )
    texts = {path: (sc.file_read(slug, ref, path) or b"").decode("utf-8", errors="replace") for path in files}
    try:
        pins = [pin for path, text in texts.items() for pin in pins_find(path, text, repo_name)]
    except PinsUnreadable as exc:
        raise TargetFailed(f"{exc}; fix the file, then roll out again.") from exc
    if not pins:
        raise TargetFailed(
            f"{slug}'s CI ({', '.join(files)}) does not call the shared steps ({repo_name}): move its jobs onto "
            "them (see the golden paths' CI files) or leave this service out."
        )
    unversioned = sorted({f"{p.path}: {p.ref}" for p in pins if version_key(p.ref) is None})
    if unversioned:
        raise TargetFailed(
            f"{slug} pins the shared steps to refs that are not versions ({'; '.join(unversioned)}): "
            "pin a version (v1, v2, ...) by hand so that roll-outs can move it."
        )
    return texts, pins


def _usage(target: RolloutTarget, pins: list[Pin]) -> None:
    versions = sorted({p.ref for p in pins}, key=lambda v: version_key(v) or (0, 0, 0))
    PipelineUsage.objects.update_or_create(
        service=target.service,
        defaults={
            "version": versions[0],
            "versions": versions,
            "files": sorted({p.path for p in pins}),
            "checked_at": timezone.now(),
        },
    )
    target.from_versions = versions


def _target_move(target: RolloutTarget, version: str, catalogue: Catalogue) -> None:
    sc = source_control()
    repo = _repository(sc, target)
    _log(target, f"reading the CI files of {repo.slug} on {repo.default_branch}")
    repo_name = Path(settings.PIPELINES_REPOSITORY).name
    texts, pins = _pins(sc, repo.slug, repo.default_branch, repo_name)
    _usage(target, pins)
    new_key = version_key(version) or (0, 0, 0)
    older = [p for p in pins if (version_key(p.ref) or (0, 0, 0)) < new_key]
    _log(target, f"pins {', '.join(target.from_versions)} in {len({p.path for p in pins})} file(s)")
    if not older:
        _finish(target, TargetState.UP_TO_DATE, reason="")
        return
    target.files = sorted({p.path for p in older})
    _pull_request(sc, repo, target, texts, older, version, catalogue)
    _finish(target, TargetState.PULL_REQUEST)


def _pull_request(
    sc: SourceControl,
    repo: Repository,
    target: RolloutTarget,
    texts: dict[str, str],
    older: list[Pin],
    version: str,
    catalogue: Catalogue,
) -> None:
    branch = f"{BRANCH_PREFIX}{version}"
    with tempfile.TemporaryDirectory() as tmp:
        for path in target.files:
            out = Path(tmp) / path
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_text(pins_bump(texts[path], [p for p in older if p.path == path], version))
        sc.commit_tree(
            repo.slug,
            branch,
            root=Path(tmp),
            base_branch=repo.default_branch,
            replace=False,
            message=f"Use the platform's shared pipeline steps {version}",
        )
    _log(target, f"committed the version bump to {branch}")
    oldest = min((p.ref for p in older), key=lambda v: version_key(v) or (0, 0, 0))
    pull = sc.pull_request_open(
        repo.slug,
        source_branch=branch,
        target_branch=repo.default_branch,
        title=f"Use the platform pipelines {version}",
        body=_body(target, older, oldest, version, catalogue),
    )
    seen = RolloutTarget.objects.filter(service=target.service, pull_request_number=pull.number)
    seen = seen.filter(rollout__version=version).exclude(pk=target.pk)
    target.pull_request_url, target.pull_request_number = pull.url, pull.number
    _log(target, f"pull request #{pull.number} {'was already open' if seen.exists() else 'opened'}: {pull.url}")


def _body(target: RolloutTarget, older: list[Pin], oldest: str, version: str, catalogue: Catalogue) -> str:
    moved = "\n".join(
        f"- `{path}`: {', '.join(sorted({p.ref for p in older if p.path == path}))} -> {version}"
        for path in target.files
    )
    return (
        f"Moves this service's CI to version {version} of the platform's shared pipeline steps. "
        f"Only the version references change:\n\n{moved}\n\n"
        f"## What changed since {oldest}\n\n{changelog_markdown(changes_between(catalogue, oldest, version))}\n\n"
        f"Opened by the platform portal (pipelines roll-out {target.rollout_id}). Merge when the checks pass."
    )
