"""Default SLOs by tier, written as Sloth specs over the metrics every golden path exposes."""

from __future__ import annotations

import yaml

AVAILABILITY = {1: 99.9, 2: 99.5, 3: 99.0}
LATENCY = {1: 99.0, 2: 95.0, 3: 90.0}
LATENCY_THRESHOLD = 0.25  # seconds; a bucket bound of the golden paths' request histogram


def default_spec(service: str, tier: int) -> str:
    """A Sloth prometheus/v1 spec with an availability and a latency SLO for the tier."""
    selector = f'service="{service}"'
    page = {"labels": {"severity": "page"}, "annotations": {"summary": f"{service} is burning its error budget"}}
    ticket = {"labels": {"severity": "ticket"}}
    spec = {
        "version": "prometheus/v1",
        "service": service,
        "labels": {"owner": "platform-portal", "tier": str(tier)},
        "slos": [
            {
                "name": "requests-availability",
                "objective": AVAILABILITY.get(tier, 99.0),
                "description": "Requests that do not fail with a 5xx.",
                "sli": {
                    "events": {
                        "error_query": f'sum(rate(http_requests_total{{{selector},code=~"5.."}}[{{{{.window}}}}]))',
                        "total_query": f"sum(rate(http_requests_total{{{selector}}}[{{{{.window}}}}]))",
                    }
                },
                "alerting": {"name": "ServiceAvailability", "page_alert": page, "ticket_alert": ticket},
            },
            {
                "name": "requests-latency",
                "objective": LATENCY.get(tier, 90.0),
                "description": f"Requests served within {int(LATENCY_THRESHOLD * 1000)} ms.",
                "sli": {
                    "events": {
                        "error_query": (
                            f"(sum(rate(http_request_duration_seconds_count{{{selector}}}[{{{{.window}}}}]))"
                            f" - sum(rate(http_request_duration_seconds_bucket{{{selector},"
                            f'le="{LATENCY_THRESHOLD}"}}[{{{{.window}}}}])))'
                        ),
                        "total_query": f"sum(rate(http_request_duration_seconds_count{{{selector}}}[{{{{.window}}}}]))",
                    }
                },
                "alerting": {"name": "ServiceLatency", "page_alert": page, "ticket_alert": ticket},
            },
        ],
    }
    return yaml.safe_dump(spec, sort_keys=False)
