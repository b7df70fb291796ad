#!/usr/bin/env python3
# ruff: noqa: T201, S310  -- a command-line step that prints to the CI log; the URL is the configured server
"""Wait until Argo CD has synced an Application to a commit and reports it healthy (its REST API, read only).

ARGOCD_SERVER (https://argocd.example.com) and ARGOCD_TOKEN come from the environment. Exit codes: 0 synced and
healthy, 1 the sync failed, the app degraded or time ran out (the last status is printed), 2 Argo CD refused the call.
Standard library only.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

FAILED_PHASES = ("Failed", "Error")


@dataclass(frozen=True)
class AppState:
    sync: str
    revision: str
    health: str
    phase: str
    message: str

    def describe(self) -> str:
        text = f"sync {self.sync} at {self.revision[:12] or '?'}, health {self.health}"
        return text + (f", last operation {self.phase}: {self.message}" if self.phase else "")


def app_state(application: dict[str, Any]) -> AppState:
    """The parts of an Application's status that say whether a deploy is done."""
    status = application.get("status") or {}
    operation = status.get("operationState") or {}
    return AppState(
        sync=(status.get("sync") or {}).get("status", "Unknown"),
        revision=(status.get("sync") or {}).get("revision", ""),
        health=(status.get("health") or {}).get("status", "Unknown"),
        phase=operation.get("phase", ""),
        message=operation.get("message", ""),
    )


def verdict(state: AppState, revision: str) -> str:
    """done, failed or wait."""
    at_revision = state.revision == revision
    if at_revision and state.sync == "Synced" and state.health == "Healthy":
        return "done"
    if at_revision and (state.phase in FAILED_PHASES or state.health == "Degraded"):
        return "failed"
    return "wait"


def application_get(server: str, token: str, app: str, *, refresh: bool) -> dict[str, Any]:
    query = "?refresh=normal" if refresh else ""
    request = urllib.request.Request(
        f"{server.rstrip('/')}/api/v1/applications/{urllib.parse.quote(app, safe='')}{query}",
        headers={"Authorization": f"Bearer {token}", "Accept": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        answer: dict[str, Any] = json.loads(response.read())
        return answer


def wait(
    app: str,
    revision: str,
    *,
    timeout: float,
    interval: float = 10.0,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> int:
    server, token = os.environ.get("ARGOCD_SERVER", ""), os.environ.get("ARGOCD_TOKEN", "")
    if not server or not token:
        print("::error::Set ARGOCD_SERVER (a variable) and ARGOCD_TOKEN (a secret) to wait for Argo CD.")
        return 2
    deadline, state, first = clock() + timeout, None, True
    while True:
        try:
            state = app_state(application_get(server, token, app, refresh=first))
        except urllib.error.HTTPError as exc:
            if exc.code in (401, 403, 404):
                print(f"::error::Argo CD answered {exc.code} for application {app}: check the name and the token.")
                return 2
            print(f"Argo CD answered {exc.code}; trying again")
        except (urllib.error.URLError, TimeoutError, ConnectionError) as exc:
            print(f"Argo CD unreachable ({exc}); trying again")
        first = False
        if state is not None:
            print(f"{app}: {state.describe()}")
            outcome = verdict(state, revision)
            if outcome == "done":
                return 0
            if outcome == "failed":
                print(f"::error::{app} did not deploy {revision[:12]}: {state.describe()}")
                return 1
        if clock() >= deadline:
            last = state.describe() if state else "never reached"
            print(f"::error::{app} not synced and healthy at {revision[:12]} after {timeout:.0f}s ({last})")
            return 1
        sleep(interval)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--app", required=True)
    parser.add_argument("--revision", required=True, help="the commit that must be deployed")
    parser.add_argument("--timeout", type=float, default=600)
    parser.add_argument("--interval", type=float, default=10)
    args = parser.parse_args(argv)
    return wait(args.app, args.revision, timeout=args.timeout, interval=args.interval)


if __name__ == "__main__":
    sys.exit(main())
