"""Home: services by tier with SLO health, open incidents, pending approvals, and this month's cost."""

from __future__ import annotations

from typing import Any

from portal.web import selectors
from portal.web.charts import sparkline, trend_percent
from portal.web.finops import daily_totals, finops_read
from portal.web.views.base import PortalView


def cost_overview(days: int = 30) -> dict[str, Any]:
    """Cost over the last `days`, its change against the days before, and a daily trend line."""
    total = finops_read("cost_total", days=days)
    daily = finops_read("cost_by_day", days=days, group_by="team")
    if not total.ok or not daily.ok:
        return {"error": total.error or daily.error}
    values = [cost for _, cost in daily_totals(daily.value or [])]
    return {
        "total": total.value["total"],
        "previous": total.value["previous"],
        "currency": total.value.get("currency", "USD"),
        "change": trend_percent(total.value["total"], total.value["previous"] or None),
        "trend": sparkline(values, label=f"Daily cost over the last {days} days", width=240, height=48),
        "empty": not values,
    }


class HomeView(PortalView):
    template_name = "web/home.html"
    section = "home"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        tiers = selectors.services_by_tier()
        context.update(
            tiers=tiers,
            health=selectors.health_counts(tiers),
            incidents=list(selectors.incidents_active()[:10]),
            pending=list(selectors.actions_pending()[:5]),
            cost=cost_overview(),
        )
        return context
