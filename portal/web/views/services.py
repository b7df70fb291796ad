"""A service: ownership, where it runs, its golden path, SLOs, plots, cost, incidents, changes, rightsizing."""

from __future__ import annotations

import time
from typing import Any

from portal.web import selectors
from portal.web.charts import sparkline, trend_percent
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
        )
        return context
