"""Links a person can open for a LogQL query over a range: Grafana Explore when GRAFANA_URL is set, else the portal."""

from __future__ import annotations

import json
import re
from urllib.parse import urlencode

from django.conf import settings
from django.urls import reverse

from portal.integrations.grafana import explore_url


def logs_link(logql: str, *, start: float, end: float) -> str:
    """Grafana Explore on the Loki datasource, or the portal's logs page with the query and range.

    Absolute (SITE_URL) like trace links, so it still opens from a postmortem, a chat message or an e-mail.
    """
    if settings.GRAFANA_URL:
        return explore_url(
            grafana_url=settings.GRAFANA_URL,
            datasource_type="loki",
            datasource_uid=settings.GRAFANA_LOKI_UID,
            query={"expr": logql, "queryType": "range"},
            start=start,
            end=end,
        )
    query = urlencode({"query": logql, "start": int(start), "end": int(end) + 1})
    return f"{settings.SITE_URL.rstrip('/')}{reverse('web:logs')}?{query}"


def selector(**labels: str) -> str:
    """A stream selector with exact matchers, values quoted as LogQL strings."""
    return "{" + ", ".join(f"{name}={json.dumps(value)}" for name, value in labels.items()) + "}"


def template_filter(template: str, *, negate: bool = False) -> str:
    """A line filter (|~, or !~ when negated) with a regular expression matching the lines of a mined template."""
    parts = [re.sub(r"([\\.^$|?*+()\[\]{}])", r"\\\1", part) for part in template.split("<*>")]
    regex = ".*?".join(parts)
    op = "!~" if negate else "|~"
    return f"{op} `{regex}`" if "`" not in regex else f"{op} {json.dumps(regex)}"
