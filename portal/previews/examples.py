"""Every Kubernetes object the previews app renders, for a sample service (label and policy checks read these)."""

from __future__ import annotations

from portal.previews.render import (
    Obj,
    PreviewSpec,
    PullRequestRef,
    application,
    applicationset,
    preview_objects,
)


def example_spec(provider: str = "github") -> PreviewSpec:
    return PreviewSpec(
        service="payments-api",
        team="payments",
        cost_centre="cc-1234",
        provider=provider,
        repository="acme/payments-api" if provider == "github" else "acme/payments/payments-api",
        repo_url=f"https://{provider}.com/acme/payments-api",
        image="ghcr.io/example-org/payments-api",
        gitlab_project="4242" if provider == "gitlab" else "",
    )


def example_manifests() -> list[Obj]:
    """The ApplicationSets (GitHub and GitLab), one generated Application and the preview's namespace objects."""
    pull = PullRequestRef(
        number=42, branch="feature/faster-refunds", head_sha="3f9c2a1b7e5d4c6a8b9e0f1a2b3c4d5e6f7a8b9c"
    )
    github, gitlab = example_spec("github"), example_spec("gitlab")
    return [
        applicationset(github),
        applicationset(gitlab),
        application(github, pull),
        *preview_objects(github, pull, replicas=github.replicas),
    ]
