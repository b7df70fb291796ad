"""Rate limits and retries shared by the GitHub and GitLab adapters."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TypeVar

from portal.integrations.errors import IntegrationError

T = TypeVar("T")

DEFAULT_WAIT = 60.0  # GitHub: "wait for at least one minute" when a limit names no reset


class NotFound(IntegrationError):
    """The provider has no such thing (404, or a repository with no commit yet); read methods turn it into None."""


def rate_limit_delay(headers: Mapping[str, str], now: float) -> float | None:
    """Seconds until a rate limit lets requests through again, or None when the headers name no limit."""
    lower = {key.lower(): value for key, value in headers.items()}
    retry_after = lower.get("retry-after", "")
    if retry_after.strip().isdigit():
        return float(retry_after)
    reset = lower.get("x-ratelimit-reset") or lower.get("ratelimit-reset")
    remaining = lower.get("x-ratelimit-remaining", lower.get("ratelimit-remaining"))
    if reset and reset.strip().isdigit() and remaining == "0":
        return max(0.0, float(reset) - now)
    return None


def rate_limited(provider: str, delay: float | None) -> IntegrationError:
    """The error for a refused request that may go through once the limit resets."""
    wait = DEFAULT_WAIT if delay is None else delay
    return IntegrationError(
        f"{provider} rate limit reached; it lets requests through again in {wait:.0f} s.",
        permanent=False,
        retry_after=wait,
    )


@dataclass(frozen=True)
class Retrier:
    """Run a provider call, translating its failures; wait out rate limits while the waits stay within max_wait."""

    errors: tuple[type[Exception], ...]
    sleep: Callable[[float], None] = time.sleep
    max_wait: float = 60.0  # in all, for one call
    attempts: int = 3

    def call(self, fn: Callable[[], T], translate: Callable[[Exception], IntegrationError]) -> T:
        catch: tuple[type[Exception], ...] = (IntegrationError, *self.errors)
        waited = 0.0
        for attempt in range(1, self.attempts + 1):
            try:
                return fn()
            except catch as exc:
                error = exc if isinstance(exc, IntegrationError) else translate(exc)
                wait = error.retry_after
                if error.permanent or wait is None or waited + wait > self.max_wait or attempt == self.attempts:
                    if error is exc:
                        raise
                    raise error from exc
            self.sleep(wait)
            waited += wait
        raise AssertionError("unreachable: the last attempt returns or raises")
