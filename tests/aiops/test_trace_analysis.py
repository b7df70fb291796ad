"""Trace-aware root cause: the deepest span whose own work changed names the culprit, not the caller that alerted."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from rest_framework.test import APIClient

from portal.aiops.analysis.service import incident_analyse
from portal.aiops.analysis.traces import anomalies, span_stats, trace_link
from portal.incidents.models import Incident
from portal.integrations.metrics import metrics
from portal.integrations.traces import Span, Trace

TOKEN = "am-test-token"


def _span(
    trace: str, span: str, parent: str | None, service: str, start: float, duration: float, status: str = "ok"
) -> Span:
    return Span(trace, span, parent, service, f"GET /{service}", start, duration, status)


def _chain(trace: str, own: dict[str, float], failed: tuple[str, ...] = ()) -> Trace:
    """front -> a -> b, each span lasting its own time plus its child's."""
    b = _span(trace, "b", "a", "b", 0.02, own["b"], "error" if "b" in failed else "ok")
    a = _span(trace, "a", "f", "a", 0.01, own["a"] + b.duration, "error" if "a" in failed else "ok")
    front = _span(trace, "f", None, "front", 0.0, own["front"] + a.duration)
    return Trace(trace, [front, a, b])


def test_self_time_subtracts_children_once() -> None:
    trace = _chain("t1", {"front": 0.03, "a": 0.02, "b": 0.5})
    spans = {s.service: s for s in trace.spans}
    assert trace.self_time(spans["front"]) == pytest.approx(0.03)
    assert trace.self_time(spans["a"]) == pytest.approx(0.02)
    assert trace.self_time(spans["b"]) == pytest.approx(0.5)
    assert trace.depth(spans["b"]) == 2


def test_only_the_span_whose_own_work_grew_is_anomalous() -> None:
    before = [
        _chain(f"b{i}", {"front": 0.03 + i / 1000, "a": 0.02 + i / 2000, "b": 0.05 + i / 1000}) for i in range(30)
    ]
    after = [_chain(f"a{i}", {"front": 0.03 + i / 1000, "a": 0.02 + i / 2000, "b": 0.55 + i / 1000}) for i in range(30)]
    found = anomalies(span_stats(before), span_stats(after))
    assert [(kind, now.service) for kind, _, now, *_ in found] == [
        ("latency", "b")
    ]  # the callers' own work is the same


def test_errors_that_appear_in_a_span_are_anomalous_and_noise_is_not() -> None:
    own = {"front": 0.03, "a": 0.02, "b": 0.05}
    before = [_chain(f"b{i}", own, ("b",) if i == 0 else ()) for i in range(40)]
    after = [_chain(f"a{i}", own, ("a",) if i % 3 == 0 else ()) for i in range(40)]
    found = anomalies(span_stats(before), span_stats(after))
    assert [(kind, now.service) for kind, _, now, *_ in found] == [("errors", "a")]
    same = anomalies(span_stats(before), span_stats(before))
    assert same == []


def test_links_open_grafana_explore_on_tempo_or_the_portals_trace_page(settings) -> None:
    settings.GRAFANA_URL = ""
    settings.SITE_URL = "https://portal.example.com"
    assert trace_link("ab" * 16, start=0, end=60) == f"https://portal.example.com/traces/{'ab' * 16}"
    settings.GRAFANA_URL = "https://grafana.example.com"
    settings.GRAFANA_TEMPO_UID = "tempo-prod"
    link = trace_link("ab" * 16, start=0, end=60)
    assert link.startswith("https://grafana.example.com/explore?")
    assert "tempo-prod" in link
    assert "ab" * 16 in link


def _alert_from_alertmanager(service: str, starts_at: float) -> int:
    payload = {
        "version": "4",
        "groupKey": '{}:{alertname="HighLatencyP99"}',
        "status": "firing",
        "receiver": "portal",
        "groupLabels": {"alertname": "HighLatencyP99"},
        "commonLabels": {"alertname": "HighLatencyP99", "service": service},
        "commonAnnotations": {},
        "externalURL": "http://alertmanager:9093",
        "alerts": [
            {
                "status": "firing",
                "labels": {"alertname": "HighLatencyP99", "service": service, "severity": "critical"},
                "annotations": {"summary": f"p99 latency of {service} above 500ms"},
                "startsAt": datetime.fromtimestamp(starts_at, UTC).isoformat().replace("+00:00", "Z"),
                "endsAt": "0001-01-01T00:00:00Z",
                "generatorURL": "http://prometheus/graph",
                "fingerprint": "deep0001",
            }
        ],
    }
    response = APIClient().post(
        "/api/v1/incidents/webhooks/alertmanager", payload, format="json", HTTP_AUTHORIZATION=f"Bearer {TOKEN}"
    )
    assert response.status_code == 202, response.content
    return int(response.json()["alerts"][0]["incident"])


def test_a_dependency_three_hops_down_is_named_not_the_front_end_that_alerted(demo_world: Path, settings) -> None:
    settings.ALERTMANAGER_WEBHOOK_TOKEN = TOKEN
    settings.GRAFANA_URL = ""
    now = time.time()
    slow_since = now - 20 * 60
    metrics().scenario_start("dependency-slowdown", "catalog-search", start=slow_since)  # type: ignore[attr-defined]
    incident_id = _alert_from_alertmanager("checkout-api", slow_since + 5 * 60)

    hypotheses = incident_analyse(incident_id, now=now)

    assert Incident.objects.get(pk=incident_id).service.name == "checkout-api"
    top = hypotheses[0]
    ranked = [(h.title, h.confidence) for h in hypotheses]
    assert top.service is not None, ranked
    assert top.service.name == "catalog-search", ranked
    trace = next(e for e in top.evidence if e["kind"] == "trace")
    assert trace["supports"]
    assert len(trace["data"]["trace_id"]) == 32
    assert trace["data"]["link"].endswith(f"/traces/{trace['data']['trace_id']}")
    assert trace["data"]["path"][0] == "checkout-api"
    assert trace["data"]["path"][-1] == "catalog-search"
    assert trace["data"]["after"] > trace["data"]["before"] + 0.3  # the scenario adds 0.5 s of own work
    entry = Incident.objects.get(pk=incident_id).timeline.get(message__startswith="traces: catalog-search")
    assert entry.data["link"] == trace["data"]["link"]
    assert slow_since <= entry.at.timestamp() <= now


def test_the_trace_page_shows_the_waterfall_to_people_who_signed_in(demo_world: Path) -> None:
    from portal.core.models import User
    from portal.integrations.traces import traces
    from tests.conftest import client_for

    sre = User.objects.get(username="sam")

    now = time.time()
    metrics().scenario_start("dependency-slowdown", "catalog-search", start=now - 600)  # type: ignore[attr-defined]
    found = traces().search(service="catalog-search", start=now - 300, end=now, limit=1)[0]
    page = client_for(sre).get(f"/traces/{found.trace_id}")
    assert page.status_code == 200
    text = page.content.decode()
    for service in ("checkout-api", "cart-service", "catalog-search"):
        assert service in text
    assert client_for(sre).get(f"/traces/{'0' * 31}1").status_code == 404
    assert client_for(None).get(f"/traces/{found.trace_id}").status_code == 302  # to the sign-in page
