"""Answer checks for a golden-path template, run by cookiecutter before it writes anything.

Answers come from users. Cookiecutter renders every answer as a Jinja template (an unsandboxed one)
and renders hooks into Python, so two checks run on every answer:

* ``preprocess`` refuses Jinja syntax in any string cookiecutter renders from memory, except the
  expressions this template itself contains (its paths, its cookiecutter.json and its hooks);
* the ``golden_path_inputs`` filter, called from the last ``__`` variable of cookiecutter.json,
  checks every answer against the JSON Schema in ``golden-path.yaml`` (enum, pattern, length).

The pre-generation hook calls ``validate_inputs`` again, because a replayed run skips the prompt stage.

This file is identical in every template folder (a test checks it) but named after its template: Python
caches a module by name, and one process (the portal's worker) renders several templates, so a shared
name would check one template's answers against another template's schema.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import yaml
from jinja2 import Environment
from jinja2.ext import Extension

TEMPLATE_DIR = Path(__file__).resolve().parent
JINJA_SYNTAX = re.compile(r"\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}", re.DOTALL)
JINJA_MARKERS = ("{{", "{%", "{#", "}}", "%}", "#}")
STRING_CHECKS = ("enum", "pattern", "minLength", "maxLength")


class GoldenPathInputError(ValueError):
    """An answer that the golden path does not accept; the message names the field."""


def parameter_schema() -> dict[str, Any]:
    """Return the JSON Schema of this template's answers, from golden-path.yaml."""
    document = yaml.safe_load((TEMPLATE_DIR / "golden-path.yaml").read_text(encoding="utf-8"))
    return document["parameters"]


def validate_inputs(answers: Mapping[str, Any]) -> None:
    """Raise GoldenPathInputError unless every answer matches golden-path.yaml."""
    schema = parameter_schema()
    for field in schema.get("required", []):
        if field not in answers:
            raise GoldenPathInputError(f"{field}: required")
    for field, rules in schema["properties"].items():
        if field in answers:
            _check_field(field, answers[field], rules)


def _check_field(field: str, value: Any, rules: Mapping[str, Any]) -> None:
    if not isinstance(value, str):
        raise GoldenPathInputError(f"{field}: must be a string")
    if "enum" in rules and value not in rules["enum"]:
        raise GoldenPathInputError(f"{field}: must be one of {', '.join(rules['enum'])}")
    if len(value) < rules.get("minLength", 0) or len(value) > rules.get("maxLength", len(value)):
        raise GoldenPathInputError(f"{field}: length must be {rules.get('minLength', 0)}-{rules.get('maxLength')}")
    if "pattern" in rules and not re.fullmatch(rules["pattern"], value):  # fullmatch: "$" also matches before "\n"
        raise GoldenPathInputError(f"{field}: must match {rules['pattern']}")


def template_expressions() -> frozenset[str]:
    """Return every Jinja expression this template itself renders from memory."""
    texts: list[str] = [str(path.relative_to(TEMPLATE_DIR)) for path in TEMPLATE_DIR.rglob("*")]
    texts.extend(_strings(json.loads((TEMPLATE_DIR / "cookiecutter.json").read_text(encoding="utf-8"))))
    texts.extend(path.read_text(encoding="utf-8") for path in (TEMPLATE_DIR / "hooks").glob("*.py"))
    return frozenset(match for text in texts for match in JINJA_SYNTAX.findall(text))


def _strings(value: Any) -> Iterable[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


class GoldenPathInputs(Extension):
    """Jinja extension: refuses template syntax in answers and adds the golden_path_inputs filter."""

    def __init__(self, environment: Environment) -> None:
        super().__init__(environment)
        self.allowed = template_expressions()
        environment.filters["golden_path_inputs"] = _inputs_filter

    def preprocess(self, source: str, name: str | None, filename: str | None = None) -> str:
        if name is not None:  # a file of this template, loaded by name
            return source
        remainder = JINJA_SYNTAX.sub(lambda m: "" if m.group(0) in self.allowed else m.group(0), source)
        if any(marker in remainder for marker in JINJA_MARKERS):
            raise GoldenPathInputError(f"template syntax is not accepted in answers: {source[:80]!r}")
        return source


def _inputs_filter(answers: Mapping[str, Any]) -> str:
    validate_inputs({key: value for key, value in answers.items() if not key.startswith("_")})
    return "ok"

