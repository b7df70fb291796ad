"""Where a service's CI pins the shared steps, and the same files with the pins moved to another version.

Only the version text changes: files are read as YAML to find the pins (so comments and strings are not mistaken
for them) and edited in place by position, so a roll-out's diff is the version refs and nothing else.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

WORKFLOW_REF = re.compile(
    r"^(?P<repo>[^/@\s]+/(?P<name>[^/@\s]+))/\.github/workflows/(?P<step>[\w.-]+)\.ya?ml@(?P<ref>\S+)$"
)
GITLAB_FILE = re.compile(r"^/?gitlab/(?P<step>[\w.-]+)\.ya?ml$")


class PinsUnreadable(ValueError):
    """A CI file that is not valid YAML."""


@dataclass(frozen=True)
class Pin:
    path: str
    kind: str  # github, gitlab
    steps: tuple[str, ...]
    ref: str
    start: int  # character offsets of the ref inside the file
    end: int


def is_ci_file(path: str) -> bool:
    pure = PurePosixPath(path)
    in_workflows = pure.parent.as_posix() == ".github/workflows" and pure.suffix in (".yml", ".yaml")
    return in_workflows or pure.name == ".gitlab-ci.yml"


def _compose(path: str, text: str) -> Node | None:
    try:
        return yaml.compose(text)
    except yaml.YAMLError as exc:
        raise PinsUnreadable(f"{path} is not valid YAML: {exc}") from exc


def _items(node: Node | None) -> dict[str, Node]:
    if not isinstance(node, MappingNode):
        return {}
    return {key.value: value for key, value in node.value if isinstance(key, ScalarNode)}


def _value_span(text: str, node: ScalarNode) -> tuple[int, int]:
    """The span of a scalar's characters without its quotes."""
    start, end = node.start_mark.index, node.end_mark.index
    if node.style in ("'", '"'):
        start, end = start + 1, end - 1
    return start, end


def github_pins(path: str, text: str, repo_name: str) -> list[Pin]:
    root = _compose(path, text)
    jobs = _items(_items(root).get("jobs")) if root is not None else {}
    pins = []
    for job in jobs.values():
        uses = _items(job).get("uses")
        if not isinstance(uses, ScalarNode):
            continue
        match = WORKFLOW_REF.match(uses.value)
        if match is None or match["name"] != repo_name:
            continue
        start, end = _value_span(text, uses)
        ref_start = start + text[start:end].rindex("@") + 1
        pins.append(Pin(path, "github", (match["step"],), match["ref"], ref_start, end))
    return pins


def _includes(root: Node) -> list[Node]:
    include = _items(root).get("include")
    if isinstance(include, SequenceNode):
        return list(include.value)
    return [include] if include is not None else []


def _files(node: Node | None) -> tuple[str, ...]:
    values: list[Any] = node.value if isinstance(node, SequenceNode) else [node] if node is not None else []
    steps = (GITLAB_FILE.match(v.value) for v in values if isinstance(v, ScalarNode))
    return tuple(m["step"] for m in steps if m)


def gitlab_pins(path: str, text: str, repo_name: str) -> list[Pin]:
    root = _compose(path, text)
    pins = []
    for include in [] if root is None else _includes(root):
        fields = _items(include)
        project, ref = fields.get("project"), fields.get("ref")
        if not isinstance(project, ScalarNode) or PurePosixPath(project.value).name != repo_name:
            continue
        if not isinstance(ref, ScalarNode):
            continue
        start, end = _value_span(text, ref)
        pins.append(Pin(path, "gitlab", _files(fields.get("file")), ref.value, start, end))
    return pins


def pins_find(path: str, text: str, repo_name: str) -> list[Pin]:
    """Every reference to the shared steps (the repository named repo_name, any owner) in one CI file."""
    if PurePosixPath(path).name == ".gitlab-ci.yml":
        return gitlab_pins(path, text, repo_name)
    return github_pins(path, text, repo_name)


def pins_bump(text: str, pins: list[Pin], version: str) -> str:
    """The file with each pin's ref replaced by version (pins from this file only)."""
    for pin in sorted(pins, key=lambda p: p.start, reverse=True):
        text = text[: pin.start] + version + text[pin.end :]
    return text
