#!/usr/bin/env python3
# ruff: noqa: T201  -- a command-line step: printing is how it reports to the CI log
"""Point an overlay's kustomization at a new image (kustomize's images: list), keeping the rest of the file as it is.

With --version, the pods also carry that version as the label app.kubernetes.io/version (a labels: entry of its own
with includeTemplates and without includeSelectors: a Deployment's selector is immutable, so a version in it would
break every later rollout). The canary judge selects each side's series by that version.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path
from typing import Any

import yaml

NAMES = ("kustomization.yaml", "kustomization.yml", "Kustomization")
TOP_LEVEL_KEY = re.compile(r"^[A-Za-z_][\w-]*\s*:")
VERSION_LABEL = "app.kubernetes.io/version"
# Kubernetes' rule for a label value: at most 63 characters, alphanumerics, '-', '_', '.', alphanumeric at both ends.
LABEL_VALUE = re.compile(r"^[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$")
LIST_ITEM = re.compile(r"^(\s*)- ")


def kustomization_file(overlay: Path) -> Path:
    for name in NAMES:
        if (overlay / name).is_file():
            return overlay / name
    raise SystemExit(f"{overlay} has no kustomization.yaml: is the overlay path right?")


def image_entry(name: str, ref: str) -> dict[str, str]:
    """kustomize's entry for '<repository>@sha256:...' or '<repository>:<tag>'.

    name is the image as the manifests say it once the base is applied: by default the ref's own repository,
    because golden-path bases already map their placeholder to the service's image repository.
    """
    if "@" in ref:
        repository, digest = ref.split("@", 1)
        return {"name": name or repository, "newName": repository, "digest": digest}
    repository, _, tag = ref.rpartition(":")
    if not repository or "/" in tag:
        raise SystemExit(f"'{ref}' is neither <image>@<digest> nor <image>:<tag>")
    return {"name": name or repository, "newName": repository, "newTag": tag}


def images_updated(images: list[dict[str, Any]], entry: dict[str, str]) -> list[dict[str, Any]]:
    kept = [image for image in images if image.get("name") != entry["name"]]
    return [*kept, entry]


def top_level_blocks(text: str) -> list[tuple[str, str]]:
    """The file cut into (key, text) blocks at its top-level keys; key "" for what comes before the first one."""
    blocks: list[tuple[str, list[str]]] = [("", [])]
    for line in text.splitlines(keepends=True):
        if TOP_LEVEL_KEY.match(line):
            blocks.append((line.split(":", 1)[0].strip(), []))
        blocks[-1][1].append(line)
    return [(key, "".join(lines)) for key, lines in blocks if lines]


def with_newline(text: str) -> str:
    return text if text.endswith("\n") or not text else text + "\n"


def without_images_block(text: str) -> str:
    """The file without its top-level images: block (comments and order elsewhere untouched)."""
    return with_newline("".join(block for key, block in top_level_blocks(text) if key != "images"))


def version_entry(version: str) -> dict[str, Any]:
    return {"pairs": {VERSION_LABEL: version}, "includeTemplates": True}


def is_version_entry(entry: Any) -> bool:
    """A labels: entry this script wrote: the version label alone (an entry also setting others is the team's)."""
    return isinstance(entry, dict) and set(entry.get("pairs") or {}) == {VERSION_LABEL}


def version_item(version: str, indent: str) -> str:
    # Always double-quoted: an unquoted tag such as 123456e78901 or 20261125 would be read as a number.
    return (
        f"{indent}- pairs:  # set by each deploy (set_image.py --version): the canary judge selects pods by it\n"
        f'{indent}    {VERSION_LABEL}: "{version}"\n'
        f"{indent}  includeTemplates: true  # pods only, never selectors (a Deployment's selector is immutable)\n"
    )


def labels_block_with_version(block: str, version: str) -> str:
    """The labels: block with this script's entry set to version, every other entry (and comment) as it was."""
    lines = block.splitlines(keepends=True)
    head, body = lines[0], lines[1:]
    if head.split(":", 1)[1].split("#", 1)[0].strip():  # a flow-style list (labels: [...]): rewritten whole
        entries = [e for e in yaml.safe_load(block)["labels"] or [] if not is_version_entry(e)]
        dumped = (
            yaml.safe_dump({"labels": entries}, sort_keys=False, default_flow_style=False) if entries else "labels:\n"
        )
        return dumped + version_item(version, "")  # safe_dump does not indent a list under its key
    end = len(body)  # blank lines and top-level comments at the end introduce the next key: they stay below the entry
    while end and (not body[end - 1].strip() or body[end - 1].startswith("#")):
        end -= 1
    body, tail = body[:end], body[end:]
    indent = next((m.group(1) for line in body if (m := LIST_ITEM.match(line))), "  ")
    items: list[list[str]] = [[]]  # items[0]: comments before the first entry
    for line in body:
        if line.startswith(f"{indent}- "):
            items.append([])
        items[-1].append(line)
    kept = [line for item in items[1:] if not is_version_entry(yaml.safe_load("".join(item))[0]) for line in item]
    return with_newline("".join([head, *items[0], *kept])) + version_item(version, indent) + "".join(tail)


def version_conflicts(document: dict[str, Any]) -> list[str]:
    """Where the overlay would also put the version into selectors (each rollout would then be refused)."""
    found = [f"commonLabels sets {VERSION_LABEL}"] if VERSION_LABEL in (document.get("commonLabels") or {}) else []
    for number, entry in enumerate(document.get("labels") or []):
        if isinstance(entry, dict) and VERSION_LABEL in (entry.get("pairs") or {}) and entry.get("includeSelectors"):
            found.append(f"labels[{number}] sets {VERSION_LABEL} with includeSelectors: true")
    return found


def with_version(text: str, document: dict[str, Any], version: str) -> str:
    if not LABEL_VALUE.match(version):
        raise SystemExit(
            f"'{version}' cannot be a label value: at most 63 letters, digits, '-', '_' or '.', "
            "starting and ending with a letter or digit (pass the image tag, e.g. the commit's short SHA)"
        )
    if conflicts := version_conflicts(document):
        raise SystemExit(
            f"{'; '.join(conflicts)}: a version in a Deployment's selector makes every later rollout fail "
            f"(selectors are immutable). Remove {VERSION_LABEL} from there; the deploy sets it on the pods."
        )
    blocks = top_level_blocks(text)
    if not any(key == "labels" for key, _ in blocks):
        return with_newline(text) + "labels:\n" + version_item(version, "  ")
    return "".join(labels_block_with_version(block, version) if key == "labels" else block for key, block in blocks)


def set_image(overlay: Path, ref: str, name: str = "", version: str = "") -> bool:
    """Write the image (and the pods' version label when given) into the overlay; False when both were already there."""
    path = kustomization_file(overlay)
    text = path.read_text(encoding="utf-8")
    document = yaml.safe_load(text) or {}
    current, entry = list(document.get("images") or []), image_entry(name, ref)
    labelled = not version or version_entry(version) in (document.get("labels") or [])
    if entry in current and labelled:
        return False
    if not labelled:
        text = with_version(text, document, version)
    if entry not in current:
        block = yaml.safe_dump({"images": images_updated(current, entry)}, sort_keys=False, default_flow_style=False)
        text = without_images_block(text) + block
    path.write_text(text, encoding="utf-8")
    return True


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--overlay", required=True, type=Path)
    parser.add_argument("--name", default="", help="the image name the manifests use (default: the ref's repository)")
    parser.add_argument("--ref", required=True, help="<image>@sha256:... or <image>:<tag>")
    parser.add_argument(
        "--version",
        default="",
        help=f"label the pods {VERSION_LABEL}=VERSION (the image tag the canary step compares); empty: no label",
    )
    args = parser.parse_args(argv)
    changed = set_image(args.overlay, args.ref, args.name, args.version)
    labelled = f" ({VERSION_LABEL}={args.version})" if args.version else ""
    print(f"{args.overlay}: {args.name or 'image'} -> {args.ref}{labelled}" + ("" if changed else " (already set)"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
