"""What portal/settings.py reads from the environment, found by parsing it (it is never imported here)."""

from __future__ import annotations

import ast
from pathlib import Path

SETTINGS = Path(__file__).resolve().parents[2] / "portal" / "settings.py"
READERS = {"env", "envbool", "envint", "envlist"}


def settings_env_names(source: str | None = None) -> set[str]:
    """Names passed as the first argument of env(), envbool(), envint() and envlist() in settings.py."""
    tree = ast.parse(SETTINGS.read_text() if source is None else source)
    return {
        node.args[0].value
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id in READERS
        and node.args
        and isinstance(node.args[0], ast.Constant)
        and isinstance(node.args[0].value, str)
    }
