"""The risk summary the portal keeps up to date as one comment on a pull request (Markdown, GitHub and GitLab)."""

from __future__ import annotations

from typing import Any

import yaml

MARKER = "<!-- platform-portal:change-risk -->"
ICONS = {"low": "🟢", "medium": "🟡", "high": "🟠", "critical": "🔴"}


def comment_markdown(
    *,
    service: str,
    score: int,
    level: str,
    factors: list[dict[str, Any]],
    strategy: dict[str, Any],
    rollback: dict[str, Any] | None,
    head_sha: str,
    link: str = "",
) -> str:
    """The comment body: score, the factors that make it, the rollout strategy and, when high, the rollback plan."""
    lines = [
        MARKER,
        f"### {ICONS.get(level, '')} Change risk: **{level}** ({score}/100) for `{service}`",
        "",
        "| points | why |",
        "|---:|---|",
        *(f"| {f['points']:+d} | {_cell(f['reason'])} |" for f in factors),
        f"| **{score}** | total |",
        "",
        f"**Rollout: {strategy['name'].replace('_', ' ')}.** {strategy['reason']}",
    ]
    if "argo_rollouts" in strategy:
        fragment = yaml.safe_dump({"strategy": strategy["argo_rollouts"]}, sort_keys=False).rstrip()
        lines += ["", "<details><summary>Argo Rollouts strategy</summary>", ""]
        lines += ["```yaml", "# Rollout spec (argoproj.io/v1alpha1)", fragment, "```", "</details>"]
    if rollback:
        lines += ["", "**Rollback plan**", "", *(f"1. {step}" for step in rollback["steps"])]
        if rollback.get("migration_caveat"):
            lines += ["", f"> ⚠️ {rollback['migration_caveat']}"]
    footer = f"Assessed at `{head_sha[:12]}`" if head_sha else "Assessed"
    lines += ["", f"<sub>{footer} by the platform portal{f' ([details]({link}))' if link else ''}.</sub>"]
    return "\n".join(lines)


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")
