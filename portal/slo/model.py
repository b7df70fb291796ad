"""The portal's own SLO model, which every spec format is read into and written out of."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from portal.slo.promql import Matcher, Selector

DEFAULT_PERIOD = timedelta(days=30)


@dataclass(frozen=True)
class RatioSLI:
    """Bad (or good) events over all events, each a PromQL query over a `{{.window}}` range."""

    total_query: str
    error_query: str = ""
    good_query: str = ""


@dataclass(frozen=True)
class LatencySLI:
    """Requests faster than a histogram bucket bound (`le`), out of all requests the histogram counted."""

    histogram: str
    threshold: str
    matchers: tuple[Matcher, ...] = ()
    grouping: tuple[str, ...] = ()

    def bucket(self) -> str:
        """Return the selector of requests at or under the threshold."""
        return str(Selector(f"{self.histogram}_bucket", (*self.matchers, Matcher("le", "=", self.threshold))))

    def count(self) -> str:
        """Return the selector of all requests."""
        return str(Selector(f"{self.histogram}_count", self.matchers))


@dataclass(frozen=True)
class RawSLI:
    """An error ratio (0 to 1) some other rule already computes, as one PromQL query over a `{{.window}}` range."""

    error_ratio_query: str


SLI = RatioSLI | LatencySLI | RawSLI


@dataclass(frozen=True)
class AlertMeta:
    """Whether one severity of the multi-window burn-rate alert is generated, and what it carries."""

    enabled: bool = True
    labels: dict[str, str] = field(default_factory=dict)
    annotations: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class BurnRateCondition:
    """One single-window burn-rate alert (OpenSLO's AlertCondition of kind burnrate)."""

    alert: str
    severity: str
    op: str
    threshold: float
    lookback: timedelta
    alert_after: timedelta = timedelta(0)
    description: str = ""


@dataclass(frozen=True)
class Alerting:
    """The alerts of one SLO: Sloth's page and ticket multi-window alerts, plus any single-window conditions."""

    name: str = ""
    labels: dict[str, str] = field(default_factory=dict)
    annotations: dict[str, str] = field(default_factory=dict)
    page: AlertMeta = field(default_factory=AlertMeta)
    ticket: AlertMeta = field(default_factory=AlertMeta)
    conditions: tuple[BurnRateCondition, ...] = ()

    @classmethod
    def off(cls, conditions: tuple[BurnRateCondition, ...] = ()) -> Alerting:
        """Return alerting with both multi-window alerts switched off."""
        return cls(page=AlertMeta(enabled=False), ticket=AlertMeta(enabled=False), conditions=conditions)


@dataclass(frozen=True)
class SLO:
    """One objective for one service: what is measured, how much of it must be good, over which period."""

    id: str
    service: str
    name: str
    objective: float
    sli: SLI
    period: timedelta = DEFAULT_PERIOD
    description: str = ""
    labels: dict[str, str] = field(default_factory=dict)
    alerting: Alerting = field(default_factory=Alerting)


@dataclass(frozen=True)
class Source:
    """The spec format an SLO came from: its API version and Sloth's name for the generation mode."""

    spec: str
    mode: str


@dataclass(frozen=True)
class SLOSpec:
    """Every SLO read from one file, with the object metadata a PrometheusRule for them should carry."""

    slos: tuple[SLO, ...]
    source: Source
    name: str
    namespace: str = ""
    labels: dict[str, str] = field(default_factory=dict)
    annotations: dict[str, str] = field(default_factory=dict)
