"""Policy evaluation: Rego in process (regopy, the default) or an OPA server's REST API."""

from __future__ import annotations

import hashlib
import json
from abc import ABC, abstractmethod
from pathlib import Path
from typing import Any

import requests

from portal.integrations.errors import IntegrationError


class PolicyEngine(ABC):
    version: str = ""

    @abstractmethod
    def evaluate(self, rule: str, input: dict[str, Any]) -> Any:
        """The value of data.<rule> for input; IntegrationError when it cannot be evaluated or is undefined."""


class RegoInProcess(PolicyEngine):
    def __init__(self, policy_dir: str) -> None:
        self.files = sorted(Path(policy_dir).glob("*.rego"))
        sources = [(f.name, f.read_text()) for f in self.files]
        digest = hashlib.sha256("".join(name + src for name, src in sources).encode()).hexdigest()[:12]
        self.version = f"rego:{digest}"
        self.sources = sources

    def evaluate(self, rule: str, input: dict[str, Any]) -> Any:
        import regopy

        interpreter = regopy.Interpreter()
        try:
            for name, source in self.sources:
                interpreter.add_module(name, source)
            interpreter.set_input(input)
            raw = interpreter.query(f"data.{rule}")
        except Exception as exc:
            raise IntegrationError(f"The policy could not be evaluated: {exc}") from exc
        try:
            return json.loads(str(raw))["expressions"][0]
        except (ValueError, KeyError, IndexError, TypeError) as exc:
            raise IntegrationError(f"The policy gave no answer for data.{rule}: {str(raw)[:200]}") from exc


class OpaServer(PolicyEngine):
    def __init__(self, url: str, timeout: float = 5.0) -> None:
        self.url = url.rstrip("/")
        self.timeout = timeout
        self.version = f"opa:{self.url}"

    def evaluate(self, rule: str, input: dict[str, Any]) -> Any:
        try:
            response = requests.post(
                f"{self.url}/v1/data/{rule.replace('.', '/')}", json={"input": input}, timeout=self.timeout
            )
        except requests.RequestException as exc:
            raise IntegrationError(f"OPA at {self.url} did not answer: {exc}", permanent=False) from exc
        if response.status_code != 200:
            raise IntegrationError(f"OPA answered {response.status_code}: {response.text[:200]}")
        body = response.json()
        if "result" not in body:
            raise IntegrationError(f"OPA has no value for data.{rule} (undefined)")
        return body["result"]


def policy_engine() -> PolicyEngine:
    from portal.integrations.backends import backend

    engine: PolicyEngine = backend("POLICY")
    return engine
