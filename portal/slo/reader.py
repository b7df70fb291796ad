"""Read a parsed YAML tree field by field, collecting every problem under its path instead of stopping at one."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from portal.slo.errors import SpecError
from portal.slo.promql import parse_duration

Node = dict[str, Any]


def at(path: str, key: str | int) -> str:
    """Join a field path and a key or list index: `slos[0].sli`."""
    if isinstance(key, int):
        return f"{path}[{key}]"
    return f"{path}.{key}" if path else key


class SpecReader:
    """Typed access to a YAML tree that records `path: reason` problems and returns harmless defaults."""

    def __init__(self) -> None:
        self.problems: dict[str, list[str]] = {}

    def report(self, path: str, reason: str | None) -> None:
        """Record a problem at a path; a None reason means there is none."""
        if reason:
            self.problems.setdefault(path or "(document)", []).append(reason)

    def check(self, message: str) -> None:
        """Raise one SpecError with every problem recorded so far."""
        if self.problems:
            raise SpecError(message, fields=dict(self.problems))

    def mapping(self, node: Node, key: str, path: str, *, required: bool = True) -> Node:
        """Return a nested mapping, or {} when it is missing or not a mapping."""
        value = node.get(key)
        if value is None:
            self.report(at(path, key), "is required" if required else None)
            return {}
        if not isinstance(value, dict):
            self.report(at(path, key), "must be a mapping")
            return {}
        return value

    def sequence(self, node: Node, key: str, path: str, *, required: bool = True) -> list[Any]:
        """Return a nested list, or [] when it is missing or not a list."""
        value = node.get(key)
        if value is None or value == []:
            self.report(at(path, key), "must list at least one item" if required else None)
            return []
        if not isinstance(value, list):
            self.report(at(path, key), "must be a list")
            return []
        return value

    def mappings(self, node: Node, key: str, path: str, *, required: bool = True) -> list[Node]:
        """Return the mappings of a nested list, reporting items of any other type."""
        items = self.sequence(node, key, path, required=required)
        for index, item in enumerate(items):
            if not isinstance(item, dict):
                self.report(at(at(path, key), index), "must be a mapping")
        return [item for item in items if isinstance(item, dict)]

    def text(self, node: Node, key: str, path: str, *, required: bool = True) -> str:
        """Return a string field, or "" when it is missing or of another type."""
        value = node.get(key)
        if value is None or value == "":
            self.report(at(path, key), "is required" if required else None)
            return ""
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            self.report(at(path, key), "must be a string")
            return ""
        return str(value)

    def number(self, node: Node, key: str, path: str, *, required: bool = True) -> float | None:
        """Return a numeric field (a number, or a string holding one), or None."""
        value = node.get(key)
        if value is None:
            self.report(at(path, key), "is required" if required else None)
            return None
        try:
            if isinstance(value, bool):
                raise ValueError
            number = float(value)
        except (TypeError, ValueError):
            self.report(at(path, key), f"must be a number, got {value!r}")
            return None
        if number != number or number in (float("inf"), float("-inf")):
            self.report(at(path, key), f"must be a finite number, got {value!r}")
            return None
        return number

    def flag(self, node: Node, key: str, path: str, *, default: bool = False) -> bool:
        """Return a boolean field, or the default."""
        value = node.get(key, default)
        if not isinstance(value, bool):
            self.report(at(path, key), f"must be true or false, got {value!r}")
            return default
        return value

    def duration(
        self, node: Node, key: str, path: str, *, required: bool = True, parse: Callable[[str], timedelta] | None = None
    ) -> timedelta | None:
        """Return a duration field such as `30d`, or None."""
        text = self.text(node, key, path, required=required)
        if not text:
            return None
        try:
            return (parse or parse_duration)(text)
        except ValueError as exc:
            self.report(at(path, key), str(exc))
            return None

    def labels(self, node: Node, key: str, path: str) -> dict[str, str]:
        """Return a map of label names to string values (numbers are taken as their text)."""
        value = node.get(key)
        if value is None:
            return {}
        if not isinstance(value, dict):
            self.report(at(path, key), "must be a mapping of names to values")
            return {}
        out: dict[str, str] = {}
        for name, item in value.items():
            if isinstance(item, bool) or not isinstance(item, str | int | float):
                self.report(at(at(path, key), str(name)), "must be a string")
                continue
            out[str(name)] = str(item)
        return out
