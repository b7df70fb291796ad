"""The one error an SLO spec can be rejected with: a message and the reasons per field path."""

from __future__ import annotations


class SpecError(Exception):
    """A spec that cannot be turned into rules; `fields` maps a path such as `slos[0].objective` to reasons."""

    def __init__(self, message: str, *, fields: dict[str, list[str]] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.fields = fields or {}

    def __str__(self) -> str:
        lines = [self.message] + [f"  {path}: {reason}" for path, reasons in self.fields.items() for reason in reasons]
        return "\n".join(lines)
