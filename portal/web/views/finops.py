"""FinOps: cost this month against the last, daily trend, cost by team and service, idle resources, rightsizing."""

from __future__ import annotations

from datetime import UTC, datetime, time
from typing import Any

from portal.web.charts import Series, sparkline, time_chart, trend_percent
from portal.web.finops import daily_totals, finops_read, totals_by_key
from portal.web.views.base import PortalView

DAYS = {"7": 7, "30": 30, "90": 90}


def _money(value: float) -> str:
    return f"${value:,.0f}" if value >= 100 else f"${value:,.2f}"


def cost_breakdown(rows: list[dict[str, Any]], days: int) -> list[dict[str, Any]]:
    """Each team's or service's total, share and daily trend line."""
    totals = totals_by_key(rows)
    grand = sum(total for _, total, _ in totals) or 1.0
    return [
        {"key": key, "total": total, "share": total / grand, "trend": sparkline(daily, label=f"{key}, {days} days")}
        for key, total, daily in totals
    ]


class FinopsView(PortalView):
    template_name = "web/finops.html"
    section = "finops"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        days = DAYS.get(self.request.GET.get("days", "30"), 30)
        total = finops_read("cost_total", days=days)
        by_team = finops_read("cost_by_day", days=days, group_by="team")
        by_service = finops_read("cost_by_day", days=days, group_by="service")
        idle = finops_read("idle_resources")
        rightsizing = finops_read("rightsizing_recommendations")
        context.update(days=days, day_choices=list(DAYS), total=total, idle=idle, rightsizing=rightsizing)
        if total.ok:
            context["change"] = trend_percent(total.value["total"], total.value["previous"] or None)
        for name, reading in (("teams", by_team), ("services", by_service)):
            context[name] = cost_breakdown(reading.value or [], days) if reading.ok else []
            context[f"{name}_error"] = reading.error
        if by_team.ok and by_team.value:
            points = [
                (datetime.combine(day, time(12), UTC).timestamp(), cost) for day, cost in daily_totals(by_team.value)
            ]
            context["daily_chart"] = time_chart(
                title=f"Daily cost over the last {days} days",
                series=[Series("cost per day", points, css="line-cost")],
                start=points[0][0] - 43200,
                end=points[-1][0] + 43200,
                fmt=_money,
                width=1100,
                height=240,
            )
        if idle.ok:
            context["idle_saving"] = sum(float(r.get("monthly_saving") or 0) for r in idle.value or [])
        if rightsizing.ok:
            context["rightsizing_saving"] = sum(float(r.get("monthly_saving") or 0) for r in rightsizing.value or [])
        return context
