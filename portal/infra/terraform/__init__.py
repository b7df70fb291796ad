"""Terraform: one module call per request, written the way `terraform fmt` writes it (pure).

The modules themselves live in the platform's module repository; their interface (variables.tf per
kind, shipped in modules/) is what these calls may pass. Tags carry the five standard labels.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from portal.infra.kinds import ResourceKind
from portal.infra.spec import ResourceSpec

MODULES_DIR = Path(__file__).parent / "modules"
INDENT = "  "
_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]*$")
TYPES = {"string": "string", "integer": "number", "boolean": "bool"}
# "version" is a module block's own meta-argument (the module's version): the engine's version goes by another name.
RENAMES = {"version": "engine_version"}
# Variables every module takes besides the kind's parameters, in the order calls pass them.
COMMON_VARIABLES = {
    "name": "The resource's name; unique in the account.",
    "environment": "The portal environment (dev, staging, prod, ...).",
    "connection_secret_path": "Secret store path the module writes the connection details to.",
}


def hcl_string(value: str) -> str:
    """A quoted HCL string: JSON escapes plus HCL's own template markers doubled."""
    return json.dumps(value).replace("${", "$${").replace("%{", "%%{")


def hcl_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    return hcl_string(str(value))


def hcl_key(key: str) -> str:
    return key if _IDENTIFIER.match(key) and "-" not in key else hcl_string(key)


def aligned(pairs: list[tuple[str, str]], depth: int) -> list[str]:
    """Consecutive one-line attributes with their '=' in one column, as terraform fmt aligns them."""
    width = max((len(key) for key, _ in pairs), default=0)
    return [f"{INDENT * depth}{key.ljust(width)} = {value}" for key, value in pairs]


def variable(parameter: str) -> str:
    return RENAMES.get(parameter, parameter)


def module_name(spec: ResourceSpec) -> str:
    return spec.name.replace("-", "_")


def module_call(spec: ResourceSpec, *, source: str, request_id: str) -> str:
    """The .tf file for one request: a module block with the parameters, the secret path and the tags."""
    arguments = [
        ("name", hcl_value(spec.name)),
        ("environment", hcl_value(spec.environment)),
        *[(variable(key), hcl_value(spec.parameters[key])) for key in spec.kind.properties if key in spec.parameters],
        ("connection_secret_path", hcl_value(spec.secret_path)),
    ]
    tags = [(hcl_string(key), hcl_string(value)) for key, value in spec.labels.items()]
    lines = [
        f"# Requested through the platform portal (resource request {request_id}).",
        "# Change it through the portal; a hand edit is overwritten by the next request.",
        f"module {hcl_string(module_name(spec))} {{",
        *aligned([("source", hcl_string(source))], 1),
        "",
        *aligned(arguments, 1),
        "",
        f"{INDENT}tags = {{",
        *aligned(tags, 2),
        f"{INDENT}}}",
        "}",
    ]
    return "\n".join(lines) + "\n"


def module_source(template: str, kind: ResourceKind) -> str:
    return template.format(kind=kind.name)


def variables_tf(kind: ResourceKind) -> str:
    """The interface of a kind's module (its variables.tf): what module_call may pass."""
    blocks = [_variable(name, "string", description) for name, description in COMMON_VARIABLES.items()]
    for name, rules in kind.properties.items():
        blocks.append(_variable(variable(name), TYPES[rules["type"]], rules.get("description", name.replace("_", " "))))
    blocks.append(
        _variable("tags", "map(string)", "Labels for cost allocation and ownership (the five standard keys).")
    )
    return "\n".join(blocks)


def _variable(name: str, type_: str, description: str) -> str:
    body = aligned([("type", type_), ("description", hcl_string(description))], 1)
    return "\n".join([f"variable {hcl_string(name)} {{", *body, "}", ""])
