"""Prompt texts for the LLM, kept apart from code: <name>.system.txt and <name>.user.txt with $placeholders."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from string import Template

PROMPTS_DIR = Path(__file__).resolve().parent
NAME = re.compile(r"^[a-z][a-z0-9_]*$")


@dataclass(frozen=True)
class Prompt:
    system: str
    user: str


def prompt_placeholders(name: str) -> set[str]:
    """The $placeholders a prompt's texts hold."""
    return {key for part in _templates(name) for key in part.get_identifiers()}


def prompt_render(name: str, **values: str) -> Prompt:
    """The named prompt with its placeholders filled; ValueError when a value is missing or not used."""
    wanted = prompt_placeholders(name)
    missing, unknown = wanted - values.keys(), values.keys() - wanted
    if missing or unknown:
        raise ValueError(f"Prompt '{name}': missing {sorted(missing)}, not used {sorted(unknown)}.")
    system, user = (part.substitute(values).strip() for part in _templates(name))
    return Prompt(system=system, user=user)


def _templates(name: str) -> tuple[Template, Template]:
    if not NAME.match(name) or not (PROMPTS_DIR / f"{name}.user.txt").is_file():
        raise ValueError(f"There is no prompt '{name}'.")
    return (
        Template((PROMPTS_DIR / f"{name}.system.txt").read_text(encoding="utf-8")),
        Template((PROMPTS_DIR / f"{name}.user.txt").read_text(encoding="utf-8")),
    )
