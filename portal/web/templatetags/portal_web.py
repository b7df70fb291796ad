"""Formatting for the portal's pages: percentages, money, durations, sizes, and the chart includes."""

from __future__ import annotations

import math
from datetime import timedelta
from typing import Any

from django import template

from portal.web.charts import Chart, Sparkline

register = template.Library()

STATUS_ORDER = {"exhausted": 0, "warning": 1, "unknown": 2, "ok": 3}


def _number(value: Any) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


@register.filter
def percent(value: Any, digits: int = 1) -> str:
    """0.9234 -> '92.3%'."""
    number = _number(value)
    return "n/a" if number is None else f"{number * 100:.{digits}f}%"


@register.filter
def money(value: Any) -> str:
    """1234.5 -> '$1,234.50'."""
    number = _number(value)
    if number is None:
        return "n/a"
    return f"-${abs(number):,.2f}" if number < 0 else f"${number:,.2f}"


@register.filter
def signed_percent(value: Any) -> str:
    """12.345 (already in percent) -> '+12.3%'."""
    number = _number(value)
    return "n/a" if number is None else f"{number:+.1f}%"


def duration_text(seconds: float | None) -> str:
    """Seconds as '45 s', '36 min', '2 h 5 min' or '3 d 4 h'."""
    if seconds is None or not math.isfinite(seconds):
        return "n/a"
    seconds = max(0.0, seconds)
    if seconds < 60:
        return f"{seconds:.0f} s" if seconds >= 1 or seconds == 0 else "under 1 s"
    minutes = round(seconds / 60)
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    days, hours = divmod(hours, 24)
    return f"{days} d {hours} h" if hours else f"{days} d"


@register.filter
def duration(value: Any) -> str:
    """A timedelta or a number of seconds, for people."""
    if isinstance(value, timedelta):
        return duration_text(value.total_seconds())
    return duration_text(_number(value))


@register.filter
def bytes_size(value: Any) -> str:
    number = _number(value)
    if number is None:
        return "n/a"
    for unit in ("B", "KiB", "MiB", "GiB"):
        if abs(number) < 1024 or unit == "GiB":
            return f"{number:.0f} {unit}" if unit == "B" else f"{number:.1f} {unit}"
        number /= 1024
    return f"{number:.1f} GiB"


@register.filter
def cores(value: Any) -> str:
    number = _number(value)
    return "n/a" if number is None else f"{number * 1000:.0f}m" if number < 1 else f"{number:.2f}"


@register.filter
def status_label(status: str) -> str:
    return {"ok": "OK", "warning": "At risk", "exhausted": "Budget spent", "unknown": "No data"}.get(status, status)


@register.filter
def get(mapping: Any, key: Any) -> Any:
    return mapping.get(key) if isinstance(mapping, dict) else None


@register.inclusion_tag("web/_chart.html")
def chart(chart: Chart | None, chart_id: str) -> dict[str, Any]:
    return {"chart": chart, "chart_id": chart_id}


@register.inclusion_tag("web/_sparkline.html")
def spark(line: Sparkline | None) -> dict[str, Any]:
    return {"line": line}


@register.filter
def safe_url(value: Any) -> str:
    """Only http(s) and site-relative links: a javascript: or data: URL from stored data becomes '#'."""
    text = str(value or "").strip()
    if text.lower().startswith(("http://", "https://")) or (text.startswith("/") and not text.startswith("//")):
        return text
    return "#"


@register.filter
def words(value: Any) -> str:
    """memory_leak -> memory leak."""
    return str(value or "").replace("_", " ")
