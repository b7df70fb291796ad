"""Log evidence for an incident: new and surging log patterns after a split time, and error counts by service.

For each service, warning and error lines over the whole range are sampled in slices and mined into templates
(Drain); each round excludes the templates already found, so rare lines (one OOM kill among thousands of 5xx)
surface too. Each template is then counted exactly before and after the split with LogQL count_over_time: a
pattern absent before is new; one whose rate rose is surging when a one-sided binomial test says so.
"""

from __future__ import annotations

import logging
import math
import re
from dataclasses import dataclass

from django.conf import settings
from scipy.stats import binom  # type: ignore[import-untyped,unused-ignore]

from portal.aiops.logpatterns import PatternMiner
from portal.integrations.errors import IntegrationError
from portal.integrations.logs import LogsSource, logs
from portal.integrations.logs.links import logs_link, template_filter

logger = logging.getLogger(__name__)

NOTABLE_LEVELS = "error|warn|warning|fatal|critical|panic"
SLICES = 6  # the range is sampled in this many slices
LINES_PER_SLICE = 200
ROUNDS = 4  # sampling rounds, each excluding the templates already found (rare lines surface)
MIN_NEW = 3  # a new pattern needs at least this many lines after the split
MIN_SURGE_RATIO = 2.0
MAX_P_VALUE = 0.001
MAX_SCORE = 50.0
SERVICE_NAME = re.compile(r"^[A-Za-z0-9_.:-]{1,200}$")


@dataclass(frozen=True)
class LogFinding:
    service: str
    kind: str  # "new_pattern" | "surging_pattern" | "error_count"
    pattern: str  # mined template, e.g. "timeout after <*>ms calling <*>"
    level: str  # "error" | "warn" | "info" | ...
    before: int  # count in [start, split)
    after: int  # count in [split, end]
    first_seen: float | None  # unix seconds of the first occurrence at or after split
    example: str  # one real line
    link: str  # Grafana Explore URL when GRAFANA_URL is set, else the portal's own logs page with the LogQL and range
    score: float  # strength, comparable across services (higher = more unusual)


def surge_score(before: float, after: float, before_seconds: float, after_seconds: float) -> float:
    """-log10 of the chance of at least `after` of the lines falling after the split if the rate had not changed."""
    n = round(before + after)
    k = round(after)
    if n <= 0 or k <= 0:
        return 0.0
    share = after_seconds / (before_seconds + after_seconds)
    p_value = float(binom.sf(k - 1, n, share))
    return MAX_SCORE if p_value <= 0 else min(-math.log10(p_value), MAX_SCORE)


def rate_ratio(before: float, after: float, before_seconds: float, after_seconds: float) -> float:
    """After-rate over before-rate, with one pseudo-line before so a new pattern has a finite ratio."""
    return (after / after_seconds) / ((before + 1) / before_seconds)


def _slices(start: float, end: float) -> list[tuple[float, float]]:
    width = (end - start) / SLICES
    return [(start + i * width, start + (i + 1) * width) for i in range(SLICES)]


def _discover(source: LogsSource, query: str, start: float, end: float) -> PatternMiner:
    """Mine the notable lines' templates: sample evenly, then again without the templates found, until no new lines."""
    miner = PatternMiner()
    for _ in range(ROUNDS):
        known = " ".join(template_filter(p.template, negate=True) for p in miner.patterns())
        lines = [
            entry.line
            for a, b in _slices(start, end)
            for _, entry in source.query_range(
                f"{query} {known}".strip(), start=a, end=b, limit=LINES_PER_SLICE, direction="forward"
            ).entries()
        ]
        if not lines:
            break
        for line in lines:
            miner.add(line)
    return miner


def _count(source: LogsSource, query: str, *, at: float, seconds: float) -> int:
    series = source.metric_instant(f"sum(count_over_time({query} [{max(int(seconds), 1)}s]))", at=at)
    return round(sum(s.points[0][1] for s in series if s.points))


def _level_in(line: str) -> str:
    found = re.search(r"\blevel=\"?(\w+)", line)
    return found.group(1).lower() if found else ""


def _error_counts(source: LogsSource, service: str, start: float, split: float, end: float) -> tuple[int, int]:
    label, level = settings.LOGS_SERVICE_LABEL, settings.LOGS_LEVEL_LABEL
    base = "{" + f'{label}="{service}", {level}=~"error|fatal|critical|panic"' + "}"

    def count(at: float, seconds: float) -> int:
        series = source.metric_instant(f"sum(count_over_time({base} [{max(int(seconds), 1)}s]))", at=at)
        return round(sum(s.points[0][1] for s in series if s.points))

    return count(split, split - start), count(end, end - split)


def _service_findings(source: LogsSource, service: str, start: float, split: float, end: float) -> list[LogFinding]:
    label, level_label = settings.LOGS_SERVICE_LABEL, settings.LOGS_LEVEL_LABEL
    notable = "{" + f'{label}="{service}", {level_label}=~"{NOTABLE_LEVELS}"' + "}"
    miner = _discover(source, notable, start, end)
    findings = [
        finding
        for pattern in miner.patterns()
        if (finding := _pattern_finding(source, service, notable, pattern.template, start, split, end))
    ]
    errors = "{" + f'{label}="{service}", {level_label}=~"error|fatal|critical|panic"' + "}"
    before = _count(source, errors, at=split, seconds=split - start)
    after = _count(source, errors, at=end, seconds=end - split)
    if before or after:
        sample = source.query_range(errors, start=split, end=end, limit=1, direction="forward").entries()
        findings.append(
            LogFinding(
                service=service,
                kind="error_count",
                pattern="",
                level="error",
                before=before,
                after=after,
                first_seen=None,
                example=sample[0][1].line if sample else "",
                link=logs_link(errors, start=start, end=end),
                score=round(surge_score(before, after, split - start, end - split), 3),
            )
        )
    return findings


def _pattern_finding(
    source: LogsSource, service: str, notable: str, template: str, start: float, split: float, end: float
) -> LogFinding | None:
    query = f"{notable} {template_filter(template)}"
    before = _count(source, query, at=split, seconds=split - start)
    after = _count(source, query, at=end, seconds=end - split)
    before_s, after_s = split - start, end - split
    new = before == 0 and after >= MIN_NEW
    score = surge_score(before, after, before_s, after_s)
    surging = (
        not new
        and rate_ratio(before, after, before_s, after_s) >= MIN_SURGE_RATIO
        and score >= -math.log10(MAX_P_VALUE)
    )
    if not (new or surging):
        return None
    first = source.query_range(query, start=split, end=end, limit=1, direction="forward").entries()
    labels, entry = first[0] if first else ({}, None)
    line = entry.line if entry else ""
    logql = "{" + f'{settings.LOGS_SERVICE_LABEL}="{service}"' + "} " + template_filter(template)
    return LogFinding(
        service=service,
        kind="new_pattern" if new else "surging_pattern",
        pattern=template,
        level=labels.get(settings.LOGS_LEVEL_LABEL) or _level_in(line),
        before=before,
        after=after,
        first_seen=entry.ts if entry else None,
        example=line,
        link=logs_link(logql, start=start, end=end),
        score=round(score, 3),
    )


def log_findings(services: list[str], *, start: float, split: float, end: float) -> list[LogFinding]:
    """Sorted by score, strongest first; IntegrationError propagates only for configuration errors."""
    if not start < split < end:
        logger.warning("no log evidence: the range needs start < split < end (%s, %s, %s)", start, split, end)
        return []
    source = logs()
    findings: list[LogFinding] = []
    for service in dict.fromkeys(services):
        if not SERVICE_NAME.match(service):
            logger.warning("skipping log evidence for %r: not a valid label value", service)
            continue
        try:
            findings.extend(_service_findings(source, service, start, split, end))
        except IntegrationError as exc:
            if exc.permanent:
                raise
            logger.warning("no log evidence for %s: %s", service, exc.message)
    return sorted(findings, key=lambda f: (-f.score, f.service, f.kind, f.pattern))
