"""The one error type every adapter raises: it says whether trying again can help."""

from __future__ import annotations


class IntegrationError(Exception):
    """An outside system failed; `permanent` is False when a retry (after `retry_after` s) may succeed."""

    def __init__(self, message: str, *, permanent: bool = True, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.permanent = permanent
        self.retry_after = retry_after
