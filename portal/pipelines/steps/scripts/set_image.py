#!/usr/bin/env python3
# ruff: noqa: T201  -- a command-line step: printing is how it reports to the CI log
"""Point an overlay's kustomization at a new image (kustomize's images: list), keeping the rest of the file as it is."""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path
from typing import Any

import yaml

NAMES = ("kustomization.yaml", "kustomization.yml", "Kustomization")
TOP_LEVEL_KEY = re.compile(r"^[A-Za-z_][\w-]*\s*:")


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


def without_images_block(text: str) -> str:
    """The file without its top-level images: block (comments and order elsewhere untouched)."""
    lines, out, skipping = text.splitlines(keepends=True), [], False
    for line in lines:
        if TOP_LEVEL_KEY.match(line):
            skipping = line.split(":", 1)[0].strip() == "images"
        if not skipping:
            out.append(line)
    result = "".join(out)
    return result if result.endswith("\n") or not result else result + "\n"


def set_image(overlay: Path, ref: str, name: str = "") -> bool:
    """Write the image into the overlay; False when it was already there."""
    path = kustomization_file(overlay)
    text = path.read_text(encoding="utf-8")
    document = yaml.safe_load(text) or {}
    current, entry = list(document.get("images") or []), image_entry(name, ref)
    if entry in current:
        return False
    images = images_updated(current, entry)
    block = yaml.safe_dump({"images": images}, sort_keys=False, default_flow_style=False)
    path.write_text(without_images_block(text) + block, encoding="utf-8")
    return True


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--overlay", required=True, type=Path)
    parser.add_argument("--name", default="", help="the image name the manifests use (default: the ref's repository)")
    parser.add_argument("--ref", required=True, help="<image>@sha256:... or <image>:<tag>")
    args = parser.parse_args(argv)
    changed = set_image(args.overlay, args.ref, args.name)
    print(f"{args.overlay}: {args.name or 'image'} -> {args.ref}" + ("" if changed else " (already set)"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
