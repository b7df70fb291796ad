"""POST to an OpenAI-compatible API (OpenAI, Ollama, vLLM, llama.cpp server): timeouts, retries, one error type."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import requests

from portal.integrations.errors import IntegrationError

RETRYABLE = frozenset({408, 409, 429, 500, 502, 503, 504})
CONNECT_TIMEOUT = 5.0


@dataclass(frozen=True)
class OpenAIEndpoint:
    """One server: `base_url` ends where OpenAI's does, at /v1 (https://api.openai.com/v1, http://ollama:11434/v1)."""

    base_url: str
    api_key: str = ""
    timeout: float = 30.0
    attempts: int = 3
    max_wait: float = 20.0  # a longer Retry-After is handed to the caller (IntegrationError.retry_after)
    sleep: Callable[[float], None] = field(default=time.sleep, repr=False, compare=False)

    def post(self, path: str, body: Mapping[str, Any]) -> dict[str, Any]:
        """The JSON object answered; retries refusals a retry can help (429, 5xx, no answer) `attempts` times."""
        attempt = 1
        while True:
            try:
                return self._post_once(path, body)
            except IntegrationError as error:
                wait = error.retry_after if error.retry_after is not None else min(0.5 * 2 ** (attempt - 1), 8.0)
                if error.permanent or attempt >= self.attempts or wait > self.max_wait:
                    raise
            self.sleep(wait)
            attempt += 1

    def _post_once(self, path: str, body: Mapping[str, Any]) -> dict[str, Any]:
        url = f"{self.base_url.rstrip('/')}/{path.lstrip('/')}"
        headers = {"Authorization": f"Bearer {self.api_key}"} if self.api_key else {}
        timeouts = (min(CONNECT_TIMEOUT, self.timeout), self.timeout)
        try:
            response = requests.post(url, json=body, headers=headers, timeout=timeouts)
        except requests.Timeout as exc:
            raise IntegrationError(f"{url} did not answer within {self.timeout:g} s.", permanent=False) from exc
        except requests.RequestException as exc:
            raise IntegrationError(f"Cannot reach {url}: {type(exc).__name__}.", permanent=False) from exc
        if response.status_code >= 400:
            raise status_error(url, response)
        try:
            data = response.json()
        except ValueError as exc:
            raise IntegrationError(f"{url} answered {response.status_code} with no JSON body.") from exc
        if not isinstance(data, dict):
            raise IntegrationError(f"{url} answered JSON that is not an object.")
        return data


def status_error(url: str, response: requests.Response) -> IntegrationError:
    """The error for a refused request: permanent unless the status says a later try may succeed."""
    code, message = _api_error(response)
    status = response.status_code
    hint = " (check the API key)" if status in (401, 403) else ""
    # OpenAI answers 429 both for "slow down" and for "no credit left"; only the first passes with time.
    permanent = status not in RETRYABLE or code == "insufficient_quota"
    return IntegrationError(
        f"{url} answered {status}{hint}: {message[:300] or response.reason}",
        permanent=permanent,
        retry_after=None if permanent else retry_after(response.headers),
    )


def _api_error(response: requests.Response) -> tuple[str, str]:
    """OpenAI's {"error": {"message", "code"}} (Ollama and others: {"error": "text"}), else the body's start."""
    try:
        error = response.json().get("error")
    except (ValueError, AttributeError):
        return "", response.text[:300].strip()
    if isinstance(error, dict):
        return str(error.get("code") or ""), str(error.get("message") or "")
    return "", str(error or "")


def retry_after(headers: Mapping[str, str], now: datetime | None = None) -> float | None:
    """Seconds the server asks to wait: retry-after-ms, or Retry-After as seconds or an HTTP date.

    `headers` is case-insensitive (as requests gives them) or has lower-case names.
    """
    millis = headers.get("retry-after-ms", "")
    try:
        return max(0.0, float(millis) / 1000)
    except ValueError:
        pass
    value = headers.get("retry-after", "").strip()
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())
