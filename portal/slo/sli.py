"""Turn an SLI into the PromQL that Sloth would record as its error ratio over one window."""

from __future__ import annotations

import re
from datetime import timedelta

from portal.slo.model import SLI, LatencySLI, RatioSLI, RawSLI
from portal.slo.promql import Selector, parse_selector, render_window

_RATE = re.compile(
    r"^\s*sum\s*(?:by\s*\((?P<grouping>[^)]*)\)\s*)?\(\s*rate\(\s*(?P<selector>.+?)\s*\[\s*\{\{\s*\.window\s*\}\}\s*\]\s*\)\s*\)\s*$",
    re.DOTALL,
)

# Sloth maps OpenSLO's good/total ratio to a raw error ratio with exactly this text (internal/openslo/spec.go).
_GOOD_RATIO = """
  1 - (
    (
      {good}
    )
    /
    (
      {total}
    )
  )
"""


def rate_query(selector: str, grouping: tuple[str, ...] = ()) -> str:
    """Return the per-second rate of a counter over the window, summed (by the grouping labels, if any)."""
    by = f" by ({', '.join(grouping)}) " if grouping else ""
    return f"sum{by}(rate({selector}[{{{{.window}}}}]))"


def selector_of_rate(query: str) -> tuple[Selector, tuple[str, ...]] | None:
    """Recognise a query `rate_query` could have written and return its selector and grouping, else None."""
    found = _RATE.match(query)
    if not found:
        return None
    try:
        selector = parse_selector(found.group("selector"))
    except ValueError:
        return None
    grouping = tuple(g.strip() for g in (found.group("grouping") or "").split(",") if g.strip())
    return selector, grouping


def events_queries(sli: SLI) -> tuple[str, str] | None:
    """Return the (bad events, all events) query templates of an SLI that counts bad events, else None."""
    if isinstance(sli, LatencySLI):
        total = rate_query(sli.count(), sli.grouping)
        return f"({total} - {rate_query(sli.bucket(), sli.grouping)})", total
    if isinstance(sli, RatioSLI) and sli.error_query:
        return sli.error_query, sli.total_query
    return None


def good_events_queries(sli: SLI) -> tuple[str, str] | None:
    """Return the (good events, all events) query templates of an SLI, where it can say which events are good."""
    if isinstance(sli, LatencySLI):
        return rate_query(sli.bucket(), sli.grouping), rate_query(sli.count(), sli.grouping)
    if isinstance(sli, RatioSLI) and sli.good_query:
        return sli.good_query, sli.total_query
    return None


def raw_error_ratio_query(sli: SLI) -> str | None:
    """Return the error-ratio query template of an SLI Sloth would hold as `raw`, else None."""
    if isinstance(sli, RawSLI):
        return sli.error_ratio_query
    if isinstance(sli, RatioSLI) and sli.good_query:
        return _GOOD_RATIO.format(good=sli.good_query, total=sli.total_query)
    return None


def error_ratio_expr(sli: SLI, window: timedelta) -> str:
    """Return the expression Sloth records as `slo:sli_error:ratio_rate<window>`."""
    events = events_queries(sli)
    template = f"({events[0]})\n/\n({events[1]})\n" if events else f"({raw_error_ratio_query(sli)})"
    return render_window(template, window)
