"""Logs: a small explorer that evidence links open when Grafana is not configured, and the log-cost page."""

from __future__ import annotations

import math
import time
from datetime import UTC, datetime
from typing import Any

from portal.core.errors import ApplicationError
from portal.finops.log_report import log_cost_report, log_cost_services
from portal.integrations.errors import IntegrationError
from portal.integrations.logs import logs
from portal.web.charts import Series, time_chart
from portal.web.views.base import PortalView

COST_DAYS = {"1": 1, "7": 7, "30": 30}
LEVEL_LINES = {"info": "line-a", "debug": "line-b", "warn": "line-budget", "error": "line-cost"}
MAX_EXPLORER_LINES = 500
MAX_EXPLORER_RANGE = 7 * 86400


def _float(raw: str | None, default: float) -> float:
    """A number from the query string; anything else (text, nan, inf, a date past 2100) is the default."""
    try:
        value = float(raw) if raw else default
    except ValueError:
        return default
    return value if math.isfinite(value) and 0 <= value < 4.1e9 else default


def _gb(value: float) -> str:
    return f"{value / 1e9:.2f} GB" if value >= 1e8 else f"{value / 1e6:.1f} MB"


class LogsView(PortalView):
    """Run one LogQL log query over a range and show the lines (newest first), saying when the limit cut them."""

    template_name = "web/logs.html"
    section = "logs"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        params = self.request.GET
        now = time.time()
        end = _float(params.get("end"), now)
        start = _float(params.get("start"), end - 3600)
        limit = min(max(int(_float(params.get("limit"), 200)), 1), MAX_EXPLORER_LINES)
        query = params.get("query", "").strip()
        context.update(
            query=query,
            start=start,
            end=end,
            limit=limit,
            start_text=datetime.fromtimestamp(start, UTC).strftime("%Y-%m-%d %H:%M:%S UTC"),
            end_text=datetime.fromtimestamp(end, UTC).strftime("%Y-%m-%d %H:%M:%S UTC"),
        )
        if not query:
            return context
        if not 0 < end - start <= MAX_EXPLORER_RANGE:
            context["query_error"] = "The range must end after it starts and span at most 7 days."
            return context
        try:
            result = logs().query_range(query, start=start, end=end, limit=limit)
        except IntegrationError as exc:
            context["query_error"] = exc.message
            return context
        rows = sorted(result.entries(), key=lambda item: -item[1].ts)
        context.update(
            rows=[
                {
                    "time": datetime.fromtimestamp(entry.ts, UTC).strftime("%Y-%m-%d %H:%M:%S.%f")[:-3],
                    "labels": labels,
                    "line": entry.line,
                }
                for labels, entry in rows
            ],
            truncated=result.truncated,
        )
        return context


class LogCostView(PortalView):
    """Log volume by level over days, cost, and recommendations with their savings and the config to apply."""

    template_name = "web/log_cost.html"
    section = "log-cost"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        days = COST_DAYS.get(self.request.GET.get("days", "7"), 7)
        context.update(days=days, day_choices=list(COST_DAYS))
        try:
            report = log_cost_report(log_cost_services(self.request.user), days=days)
        except (IntegrationError, ApplicationError) as exc:
            context["report_error"] = getattr(exc, "message", str(exc))
            return context
        context["report"] = report
        series = [
            Series(level, points, css=LEVEL_LINES.get(level, "line-a"))
            for level, points in report["daily_by_level"].items()
        ]
        context["volume_chart"] = time_chart(
            title=f"Log volume per day by level, last {days} day{'s' if days != 1 else ''}",
            series=[Series(s.label, [(t + 43200, v) for t, v in s.points], s.css) for s in series],
            start=report["start"],
            end=report["end"],
            fmt=_gb,
            width=1100,
            height=240,
            empty="No log volume in this period.",
        )
        context["savings_bars"] = _bars(report["recommendations"])
        return context


def _bars(recommendations: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Horizontal bars for the recommendations that save money, widest for the largest saving."""
    saving = [r for r in recommendations if r["monthly_saving"] > 0][:12]  # the list comes largest first
    top = max((r["monthly_saving"] for r in saving), default=0.0) or 1.0
    return [
        {
            "title": r["title"],
            "label": f"{r['service']}: {r['kind']} of {r['details'].get('log_type') or 'pattern'} logs",
            "saving": r["monthly_saving"],
            "width": round(600 * r["monthly_saving"] / top, 1),
            "y": 26 * i,
        }
        for i, r in enumerate(saving)
    ]
