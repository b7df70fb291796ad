"""Load an adapter named by a dotted path in settings (Django-style pluggable backends)."""

from __future__ import annotations

from functools import cache
from typing import Any

from django.conf import settings
from django.utils.module_loading import import_string


@cache
def _load(dotted_path: str, options: tuple[tuple[str, Any], ...]) -> Any:
    return import_string(dotted_path)(**dict(options))


def backend(setting: str) -> Any:
    """The configured implementation for a capability: settings.<setting> = {"BACKEND": ..., "OPTIONS": {...}}."""
    config = getattr(settings, setting)
    options = tuple(sorted((k, v) for k, v in config.get("OPTIONS", {}).items()))
    return _load(config["BACKEND"], options)


def backends_reset() -> None:
    """Forget loaded adapters (tests change settings)."""
    _load.cache_clear()
