"""The golden-path registry: each templates/<path>/golden-path.yaml describes a path and its parameters."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jsonschema
import yaml
from django.conf import settings

from portal.core.errors import ApplicationError, NotFound

TEMPLATE_MARKERS = ("{{", "{%", "{#")


@dataclass(frozen=True)
class GoldenPath:
    name: str
    title: str
    description: str
    version: str
    parameters: dict[str, Any]
    template_dir: Path
    environments: tuple[str, ...] = ("dev", "staging", "prod")
    deploy_path: str = "deploy/{environment}"
    gitops_extras: tuple[str, ...] = field(default_factory=tuple)
    tags: tuple[str, ...] = field(default_factory=tuple)

    def context_keys(self) -> set[str]:
        """The variables the cookiecutter template declares."""
        return set(json.loads((self.template_dir / "cookiecutter.json").read_text()))


def _load(folder: Path) -> GoldenPath:
    meta = yaml.safe_load((folder / "golden-path.yaml").read_text())
    return GoldenPath(
        name=meta.get("name", folder.name),
        title=meta.get("title", folder.name),
        description=meta.get("description", ""),
        version=str(meta.get("version", "1.0.0")),
        parameters=meta.get("parameters") or {"type": "object"},
        template_dir=folder,
        environments=tuple(meta.get("environments") or ("dev", "staging", "prod")),
        deploy_path=meta.get("deploy_path", "deploy/{environment}"),
        gitops_extras=tuple(meta.get("gitops_extras") or ()),
        tags=tuple(meta.get("tags") or ()),
    )


def golden_path_list() -> list[GoldenPath]:
    root = Path(settings.GOLDEN_PATHS_DIR)
    return [_load(folder) for folder in sorted(root.iterdir()) if (folder / "golden-path.yaml").is_file()]


def golden_path_get(name: str) -> GoldenPath:
    for path in golden_path_list():
        if path.name == name:
            return path
    raise NotFound(f"No golden path named '{name}'.", fields={"path": ["not found"]})


def parameters_validate(path: GoldenPath, parameters: Any) -> dict[str, Any]:
    """Check parameters against the path's JSON Schema; answer 400 naming each bad field."""
    if not isinstance(parameters, dict):
        raise ApplicationError("parameters must be an object.", fields={"parameters": ["must be an object"]})
    validator = jsonschema.Draft202012Validator(path.parameters)
    fields: dict[str, list[str]] = {}
    for error in sorted(validator.iter_errors(parameters), key=lambda e: list(e.absolute_path)):
        where = ".".join(str(p) for p in error.absolute_path)
        if error.validator == "required":
            where = str(error.message.split("'")[1])
        elif error.validator == "additionalProperties":
            extra = sorted(set(parameters) - set(path.parameters.get("properties", {})))
            for name in extra:
                fields.setdefault(f"parameters.{name}", []).append("unknown parameter")
            continue
        fields.setdefault(f"parameters.{where}" if where else "parameters", []).append(error.message)
    for key, value in parameters.items():
        if isinstance(value, str) and any(ord(ch) < 32 and ch not in "\t" for ch in value) and key != "description":
            # jsonschema's `pattern` searches: "orders\n" would pass "^...$" and reach the template.
            fields.setdefault(f"parameters.{key}", []).append("must not contain control characters")
        if isinstance(value, str) and any(marker in value for marker in TEMPLATE_MARKERS):
            # Cookiecutter renders context values as Jinja: template syntax in input could execute.
            fields.setdefault(f"parameters.{key}", []).append("must not contain template syntax ({{, {% or {#)")
    if fields:
        first = next(iter(fields))
        raise ApplicationError(f"{first}: {fields[first][0]}", fields=fields)
    return parameters
