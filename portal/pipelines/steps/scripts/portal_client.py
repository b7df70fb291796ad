#!/usr/bin/env python3
# ruff: noqa: T201, S310  -- a command-line step that prints to the CI log; the URL is the configured server
"""Talk to the platform portal from a pipeline: canary judgements, quality gates and change events.

PORTAL_URL and PORTAL_TOKEN come from the environment (the token from a secret, never from the command line);
PORTAL_IDEMPOTENCY_KEY, when set, is sent as the Idempotency-Key header.
Exit codes: 0 pass (or recorded), 1 the portal said fail or block, 2 the call itself failed (say what to fix).
Standard library only.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from typing import Any

RETRIES = 3
TIMEOUT = 30
SETUP = (
    "set PORTAL_URL (the portal's address: the portal-url input or the PORTAL_URL variable) and PORTAL_TOKEN "
    "(a portal service token: an organisation secret on GitHub, passed with `secrets: inherit`; a masked CI/CD "
    "variable of the group on GitLab). Without them this step fails, so nothing it guards goes ahead."
)


class PortalError(Exception):
    """The portal could not be asked, or refused the request."""


def post(path: str, body: dict[str, Any], *, sleep: Callable[[float], None] = time.sleep) -> dict[str, Any]:
    """POST JSON to the portal; retry network errors and 5xx answers, never 4xx."""
    url, token = os.environ.get("PORTAL_URL", "").rstrip("/"), os.environ.get("PORTAL_TOKEN", "")
    missing = [name for name, value in (("PORTAL_URL", url), ("PORTAL_TOKEN", token)) if not value]
    if missing:
        raise PortalError(f"{' and '.join(missing)} not set: {SETUP}")
    request = urllib.request.Request(
        f"{url}{path}",
        data=json.dumps(body).encode(),
        method="POST",
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json", "Accept": "application/json"},
    )
    key = os.environ.get("PORTAL_IDEMPOTENCY_KEY", "")
    if key:  # a retried call (here or a re-sent job) is judged once
        request.add_header("Idempotency-Key", key)
    for attempt in range(1, RETRIES + 1):
        try:
            with urllib.request.urlopen(request, timeout=TIMEOUT) as response:
                answer: dict[str, Any] = json.loads(response.read() or b"{}")
                return answer
        except urllib.error.HTTPError as exc:
            if exc.code in (401, 403):
                raise PortalError(
                    f"{path} answered {exc.code}: {_error_message(exc)}; PORTAL_TOKEN must be a valid portal "
                    "service token that may act for this service"
                ) from exc
            if exc.code < 500 or attempt == RETRIES:
                raise PortalError(f"{path} answered {exc.code}: {_error_message(exc)}") from exc
        except (urllib.error.URLError, TimeoutError, ConnectionError) as exc:
            if attempt == RETRIES:
                raise PortalError(
                    f"cannot reach the portal at {url} after {RETRIES} attempts: {exc}; check PORTAL_URL "
                    "(and that the runners can reach it)"
                ) from exc
        sleep(2**attempt)
    raise PortalError("unreachable")  # the loop returns or raises


def _error_message(exc: urllib.error.HTTPError) -> str:
    """The portal's {"error": {"message", "fields"}} when it sent one."""
    try:
        error = json.loads(exc.read()).get("error", {})
    except (ValueError, AttributeError):
        return exc.reason or "no details"
    fields = "; ".join(f"{name}: {', '.join(reasons)}" for name, reasons in (error.get("fields") or {}).items())
    return f"{error.get('message', exc.reason)}" + (f" ({fields})" if fields else "")


def _outputs(path: str, values: dict[str, Any]) -> None:
    if path:
        with open(path, "a", encoding="utf-8") as out:
            out.writelines(f"{key}={value}\n" for key, value in values.items())


def canary(args: argparse.Namespace) -> int:
    if not args.baseline:
        print(f"No baseline version: nothing ran in {args.environment} before {args.canary}; nothing to judge against.")
        _outputs(args.github_output, {"outcome": "", "score": ""})
        return 0
    answer = post(
        "/api/v1/delivery/canary/judgements",
        {
            "service": args.service,
            "environment": args.environment,
            "baseline": {"version": args.baseline},
            "canary": {"version": args.canary},
        },
    )
    outcome, score = answer.get("outcome", ""), answer.get("score", "")
    print(f"canary {args.canary} against {args.baseline}: {outcome} (score {score})")
    for reason in answer.get("reasons", []):
        print(f"  - {reason if isinstance(reason, str) else json.dumps(reason)}")
    _outputs(args.github_output, {"outcome": outcome, "score": score})
    if outcome == "fail" or (outcome == "marginal" and args.fail_on_marginal):
        return 1
    if outcome == "marginal":
        print("::warning::The canary judgement is marginal: read the reasons before promoting.")
    return 0 if outcome in ("pass", "marginal") else _unexpected(outcome)


def gate(args: argparse.Namespace) -> int:
    answer = post(
        "/api/v1/delivery/gates/evaluate",
        {"service": args.service, "environment": args.environment, "version": args.version},
    )
    outcome = answer.get("outcome", "")
    print(f"quality gates for {args.service} {args.version} -> {args.environment}: {outcome}")
    for reason in answer.get("reasons", []):
        print(f"  {reason}")
    for item in answer.get("gates", []):
        if isinstance(item, dict):
            name, result = item.get("name", "?"), item.get("outcome", item.get("status", ""))
            print(f"  - {name}: {result} {item.get('reason', item.get('message', ''))}".rstrip())
        else:
            print(f"  - {item}")
    _outputs(args.github_output, {"outcome": outcome})
    if outcome == "block":
        return 1
    return 0 if outcome == "pass" else _unexpected(outcome)


def change(args: argparse.Namespace) -> int:
    body = {
        "service": args.service,
        "environment": args.environment or None,
        "kind": args.kind,
        "status": args.status,
        "version": args.version,
        "link": args.link,
        "external_id": args.external_id,
        "description": args.description,
    }
    answer = post("/api/v1/changes", {key: value for key, value in body.items() if value not in ("", None)})
    print(f"recorded {args.kind} of {args.service} as change {answer.get('id')}")
    return 0


def _unexpected(outcome: str) -> int:
    print(f"The portal answered an outcome this step does not know ({outcome!r}); treating it as a failure.")
    return 1


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = root.add_subparsers(dest="command", required=True)
    judge = commands.add_parser("canary", help="judge a canary against its baseline")
    judge.add_argument("--baseline", required=True)
    judge.add_argument("--canary", required=True)
    judge.add_argument("--fail-on-marginal", action="store_true")
    gates = commands.add_parser("gate", help="evaluate the quality gates for a version")
    gates.add_argument("--version", required=True)
    record = commands.add_parser("change", help="record a change event (a deploy, a pipeline run)")
    record.add_argument("--kind", default="deploy", choices=["deploy", "pipeline", "rollback", "config"])
    record.add_argument("--status", default="succeeded", choices=["started", "succeeded", "failed", "unknown"])
    record.add_argument("--version", default="")
    record.add_argument("--link", default="")
    record.add_argument("--external-id", default="", help="the same id twice is stored once")
    record.add_argument("--description", default="")
    for command in (judge, gates, record):
        command.add_argument("--service", required=True)
        command.add_argument("--environment", required=command is not record, default="")
        command.add_argument("--github-output", default="")
    return root


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    handler = {"canary": canary, "gate": gate, "change": change}[args.command]
    try:
        return handler(args)
    except PortalError as exc:
        print(f"::error::{exc}")
        return 2


if __name__ == "__main__":
    sys.exit(main())
