"""A service: ownership, where it runs, golden path, SLOs, plots, cost, incidents, changes, rightsizing, delivery."""

from __future__ import annotations

import math
import time
from datetime import timedelta
from typing import Any, cast

from django.db.models import Q
from django.utils import timezone

from portal.catalog.models import Service
from portal.changes.selectors import assessments_visible
from portal.core.models import Membership, User
from portal.delivery.selectors import gate_evaluation_visible, judgement_visible
from portal.infra.models import ACTIVE_STATES, RequestState
from portal.infra.selectors import request_visible
from portal.previews.models import LIVE_STATES, PreviewState
from portal.previews.selectors import previews_visible_to
from portal.web import selectors
from portal.web.charts import Box, Chart, Line, Tick, path, sparkline, time_ticks, trend_percent
from portal.web.finops import daily_totals, finops_read
from portal.web.plots import RANGES, budget_burn_down, service_plots
from portal.web.views.base import PortalView


def service_cost(name: str, days: int = 30) -> dict[str, Any]:
    """The service's daily cost over `days` and the trend of its second half against its first."""
    reading = finops_read("cost_by_day", days=days, group_by="service")
    if not reading.ok:
        return {"error": reading.error}
    values = [cost for _, cost in daily_totals(reading.value or [], key=name)]
    half = len(values) // 2
    return {
        "total": sum(values),
        "change": trend_percent(sum(values[half:]), sum(values[:half])) if half else None,
        "trend": sparkline(values, label=f"Daily cost of {name} over the last {days} days", width=240, height=48),
        "empty": not values,
    }


def service_rightsizing(name: str) -> dict[str, Any]:
    reading = finops_read("rightsizing_recommendations")
    if not reading.ok:
        return {"error": reading.error}
    return {"recommendations": [r for r in reading.value or [] if r.get("service") == name]}


LATEST = 5  # rows per delivery table
HISTORY = 30  # points on a score history
FAILED_REQUESTS_SHOWN_FOR = timedelta(days=7)
OUTCOME_STATUS = {"pass": "ok", "marginal": "warning", "fail": "exhausted", "block": "exhausted", "skipped": "unknown"}
PREVIEW_STATUS = {"active": "ok", "requested": "warning", "deploying": "warning", "failed": "exhausted"}
REQUEST_STATUS = {
    "pending": "warning",
    "running": "warning",
    "awaiting_approval": "warning",
    "failed": "exhausted",
    "rejected": "exhausted",
}


def score_history(
    title: str, points: list[tuple[float, float]], *, label: str, threshold: tuple[float, str], empty: str
) -> Chart:
    """Scores from 0 to 100 over time, joined in order however far apart they are, with the line that matters."""
    width, height = 640, 180
    left, top, right, bottom = 56, 12, width - 12, height - 26
    if len(points) < 2:
        return Chart(title, f"{title}: {empty}", width, height, left, top, right, bottom, empty=empty)
    start, end = points[0][0], points[-1][0]
    if end - start < 3600:  # a burst within the hour still gets a readable time axis
        start, end = start - 1800, end + 1800
    box = Box(start, end, 0.0, 100.0, left, top, right, bottom)
    ticks = time_ticks(start, end)
    values = [v for _, v in points]
    return Chart(
        title=title,
        description=f"{title}: {len(values)} {label.lower()} from {min(values):g} to {max(values):g}, "
        f"latest {values[-1]:g}; {threshold[1]}.",
        width=width,
        height=height,
        left=left,
        top=top,
        right=right,
        bottom=bottom,
        lines=[Line(label, "line-a", path(points, box, gap=math.inf), f"{values[-1]:g}")],
        x_ticks=[
            Tick(box.x(t), text, "start" if i == 0 else "end" if i == len(ticks) - 1 else "middle")
            for i, (t, text) in enumerate(ticks)
        ],
        y_ticks=[Tick(box.y(v), f"{v:g}") for v in (0, 25, 50, 75, 100)],
        threshold=Tick(box.y(threshold[0]), threshold[1]),
    )


def _pull_request_url(comment_url: str) -> str:
    """The pull request's page: the portal's comment lives on it (GitHub, GitLab and local git alike)."""
    return comment_url.split("#", 1)[0]


def _top_factors(factors: Any, count: int = 3) -> list[dict[str, Any]]:
    """The factors that raised the score most; those that lowered it (tests, docs only, floor) are not top factors."""
    numeric = [f for f in factors or [] if isinstance(f, dict) and isinstance(f.get("points"), int | float)]
    return sorted((f for f in numeric if f["points"] > 0), key=lambda f: -f["points"])[:count]


def delivery_risk(service: Service, user: User) -> dict[str, Any]:
    """The latest change-risk assessments with their top factors, and the scores of recent changes over time."""
    found = list(
        assessments_visible(user)
        .filter(service=service)
        .defer("summary", "comment_body_posted", "files", "areas", "tests", "rollback")
        .order_by("-created_at", "-id")[:HISTORY]
    )
    rows = [
        {
            "assessment": a,
            "pr_url": _pull_request_url(a.comment_url),
            "strategy": a.strategy.get("name", "") if isinstance(a.strategy, dict) else "",
            "strategy_reason": a.strategy.get("reason", "") if isinstance(a.strategy, dict) else "",
            "factors": _top_factors(a.factors),
        }
        for a in found[:LATEST]
    ]
    points = sorted((a.at.timestamp(), float(a.score)) for a in found)
    chart = score_history(
        f"Change risk of {service.name}",
        points,
        label="Risk scores",
        threshold=(50.0, "high risk from 50"),
        empty="The trend appears once two changes have been assessed.",
    )
    return {"rows": rows, "chart": chart}


def _failing_metrics(metrics: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [m for m in metrics if isinstance(m, dict) and not m.get("passed") and not m.get("muted")]


def delivery_canary(service: Service, user: User) -> dict[str, Any]:
    """The latest canary judgements with the reasons of the metrics that did not pass, and the score history."""
    found = list(
        judgement_visible(user)
        .filter(service=service)
        .defer("baseline", "canary", "group_scores")
        .order_by("-created_at", "-id")[:HISTORY]
    )
    rows = [{"judgement": j, "score": f"{j.score:g}", "failing": _failing_metrics(j.metrics)} for j in found[:LATEST]]
    config = found[0].config if found and isinstance(found[0].config, dict) else {}
    passing = float(config.get("pass_threshold", 95.0))
    chart = score_history(
        f"Canary scores of {service.name}",
        sorted((j.created_at.timestamp(), j.score) for j in found),
        label="Canary scores",
        threshold=(passing, f"a canary passes from {passing:g}"),
        empty="The history appears once two canaries have been judged.",
    )
    return {"rows": rows, "chart": chart}


def delivery_infra(service: Service, user: User) -> dict[str, Any]:
    """The service's catalog resources with where their connection details are, and its requests in flight."""
    resources = list(service.resources.all())
    visible = request_visible(user)
    provisioned: dict[int, Any] = {}
    done = visible.filter(catalog_resource__in=resources, state=RequestState.SUCCEEDED).order_by("-finished_at")
    for request in done[:50]:
        provisioned.setdefault(cast(int, request.catalog_resource_id), request)
    since = timezone.now() - FAILED_REQUESTS_SHOWN_FOR
    open_or_failed = Q(state__in=ACTIVE_STATES) | Q(
        state__in=(RequestState.FAILED, RequestState.REJECTED), created_at__gte=since
    )
    return {
        "resources": [{"resource": r, "request": provisioned.get(r.pk)} for r in resources],
        "requests": list(visible.filter(service=service).filter(open_or_failed).order_by("-created_at")[:10]),
    }


def delivery_read(service: Service, user: User) -> dict[str, Any]:
    """Everything about shipping the service that this person may see: risk, canaries, gates, previews, infra."""
    previews = previews_visible_to(user).filter(service=service, state__in=(*LIVE_STATES, PreviewState.FAILED))
    return {
        "whole_team_view": user.is_sre or Membership.objects.filter(user=user, team_id=service.owner_id).exists(),
        "risk": delivery_risk(service, user),
        "canary": delivery_canary(service, user),
        "gates": list(gate_evaluation_visible(user).filter(service=service).order_by("-created_at", "-id")[:LATEST]),
        "previews": list(previews.order_by("expires_at")[:10]),
        "infra": delivery_infra(service, user),
        "outcome_status": OUTCOME_STATUS,
        "preview_status": PREVIEW_STATUS,
        "request_status": REQUEST_STATUS,
    }


class ServiceView(PortalView):
    template_name = "web/service.html"
    section = "home"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        service = selectors.service_get(kwargs["name"])
        window = self.request.GET.get("range", "24h")
        window = window if window in RANGES else "24h"
        now = time.time()
        definitions = list(service.slos.all())
        statuses = selectors.slo_statuses([service]).get(service.pk, [])
        by_id = {s["id"]: s for s in statuses}
        paths, registry_error = selectors.golden_paths_read()
        context.update(
            service=service,
            links=[link for link in service.links if isinstance(link, dict) and link.get("url")],
            golden_path=selectors.golden_path_standing(service, paths),
            registry_error=registry_error,
            slos=[
                {"definition": d, "status": by_id.get(d.pk, {}), "burn_down": budget_burn_down(d, now=now)}
                for d in definitions
            ],
            ranges=list(RANGES),
            range=window,
            plots=service_plots(service, hours=RANGES[window], now=now),
            cost=service_cost(service.name),
            incidents=list(selectors.service_incidents(service)),
            changes=list(selectors.service_changes(service)),
            rightsizing=service_rightsizing(service.name),
            delivery=delivery_read(service, cast(User, self.request.user)),
        )
        return context
