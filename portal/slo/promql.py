"""Prometheus text conventions: durations, Go's float printing, label matchers and the {{.window}} placeholder."""

from __future__ import annotations

import itertools
import json
import re
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

_MS = {
    "y": 365 * 24 * 3600 * 1000,
    "w": 7 * 24 * 3600 * 1000,
    "d": 24 * 3600 * 1000,
    "h": 3600 * 1000,
    "m": 60 * 1000,
    "s": 1000,
    "ms": 1,
}
_DURATION = re.compile(r"(\d+)(ms|y|w|d|h|m|s)")
_WINDOW_PLACEHOLDER = re.compile(r"\{\{\s*\.window\s*\}\}")
_TEMPLATE_ACTION = re.compile(r"\{\{.*?\}\}", re.DOTALL)
LABEL_NAME = re.compile(r"^[a-zA-Z_][a-zA-Z0-9_]*$")
METRIC_NAME = re.compile(r"^[a-zA-Z_:][a-zA-Z0-9_:]*$")
_SELECTOR = re.compile(r"^\s*(?P<metric>[a-zA-Z_:][a-zA-Z0-9_:]*)\s*(?:\{(?P<matchers>.*)\})?\s*$", re.DOTALL)
_MATCHER = re.compile(
    r'\s*(?P<name>[a-zA-Z_][a-zA-Z0-9_]*)\s*(?P<op>=~|!~|!=|=)\s*"(?P<value>(?:[^"\\]|\\.)*)"\s*(?:,|$)'
)


def parse_duration(text: str) -> timedelta:
    """Parse a Prometheus duration such as `30d`, `1h30m` or `500ms`; raise ValueError when it is not one."""
    if not text or not re.fullmatch(r"(?:\d+(?:ms|y|w|d|h|m|s))+", text):
        raise ValueError(f"{text!r} is not a duration like 5m, 1h30m or 28d")
    units = [unit for _, unit in _DURATION.findall(text)]
    order = list(_MS)
    if any(order.index(a) >= order.index(b) for a, b in itertools.pairwise(units)):
        raise ValueError(f"{text!r} is not a duration: units must go from largest to smallest, each once")
    return timedelta(milliseconds=sum(int(number) * _MS[unit] for number, unit in _DURATION.findall(text)))


def format_duration(value: timedelta) -> str:
    """Print a duration as Prometheus does: years and weeks only when exact, so 28d is `4w` and 24h is `1d`."""
    ms = round(value.total_seconds() * 1000)
    if ms == 0:
        return "0s"
    out = ""
    for unit, size in _MS.items():
        if unit in ("y", "w") and ms % size:
            continue
        if ms >= size:
            out += f"{ms // size}{unit}"
            ms %= size
    return out


def hours(value: timedelta) -> float:
    """Return a duration in hours the way Go's Duration.Hours() does (whole hours plus the remainder)."""
    whole, rest = divmod(value, timedelta(hours=1))
    return whole + rest.total_seconds() / 3600


def go_float(value: float) -> str:
    """Print a float as Go's %g and %v do: shortest round-trip digits, exponent form below 1e-4 and from 1e6."""
    if value == 0:
        return "0"
    digits, exponent = _shortest_digits(value)
    sign = "-" if value < 0 else ""
    if exponent < -4 or exponent >= 6:
        mantissa = digits[0] + ("." + digits[1:] if len(digits) > 1 else "")
        return f"{sign}{mantissa}e{'-' if exponent < 0 else '+'}{abs(exponent):02d}"
    return sign + _fixed(digits, exponent)


def go_float_fixed(value: float) -> str:
    """Print a float as Go's strconv.FormatFloat(v, 'f', -1, 64): shortest digits, never an exponent."""
    if value == 0:
        return "0"
    digits, exponent = _shortest_digits(value)
    return ("-" if value < 0 else "") + _fixed(digits, exponent)


def _shortest_digits(value: float) -> tuple[str, int]:
    """Return the shortest round-trip significant digits of a float and the decimal exponent of the first one."""
    _, digit_tuple, exp = Decimal(repr(abs(value))).normalize().as_tuple()
    digits = "".join(str(d) for d in digit_tuple)
    return digits, len(digits) + int(exp) - 1


def _fixed(digits: str, exponent: int) -> str:
    """Place the decimal point for digits whose first one sits at 10**exponent."""
    if exponent < 0:
        return "0." + "0" * (-exponent - 1) + digits
    if exponent + 1 >= len(digits):
        return digits + "0" * (exponent + 1 - len(digits))
    return digits[: exponent + 1] + "." + digits[exponent + 1 :]


def has_window_placeholder(query: str) -> bool:
    """Say whether a query has the `{{.window}}` range placeholder."""
    return bool(_WINDOW_PLACEHOLDER.search(query))


def unknown_template_actions(query: str) -> list[str]:
    """Return the Go template actions in a query other than `{{.window}}`."""
    return [action for action in _TEMPLATE_ACTION.findall(query) if not _WINDOW_PLACEHOLDER.fullmatch(action)]


def render_window(query: str, window: timedelta) -> str:
    """Put a window, printed the Prometheus way, into every `{{.window}}` placeholder."""
    return _WINDOW_PLACEHOLDER.sub(format_duration(window), query)


def quote(value: str) -> str:
    """Quote a label value the way Go's %q does for printable text."""
    return json.dumps(value, ensure_ascii=False)


def label_filter(labels: dict[str, str]) -> str:
    """Render labels as a sorted selector, `{a="1", b="2"}`, as Prometheus' LabelSet.String() does."""
    return "{" + ", ".join(f"{name}={quote(labels[name])}" for name in sorted(labels)) + "}"


@dataclass(frozen=True)
class Matcher:
    """One label matcher of a selector, such as `code=~"5.."`."""

    name: str
    op: str
    value: str

    def __str__(self) -> str:
        return f"{self.name}{self.op}{quote(self.value)}"


@dataclass(frozen=True)
class Selector:
    """A metric name with label matchers, such as `http_requests_total{job="app",code=~"5.."}`."""

    metric: str
    matchers: tuple[Matcher, ...] = ()

    def __str__(self) -> str:
        return self.metric + ("{" + ",".join(str(m) for m in self.matchers) + "}" if self.matchers else "")


def parse_selector(text: str) -> Selector:
    """Parse `metric{label="value",...}`; raise ValueError for anything more than a plain selector."""
    found = _SELECTOR.match(text)
    if not found:
        raise ValueError(f'{text!r} is not a metric selector like http_requests_total{{job="app"}}')
    body = (found.group("matchers") or "").strip()
    matchers: list[Matcher] = []
    position = 0
    while position < len(body):
        matched = _MATCHER.match(body, position)
        if not matched:
            raise ValueError(f"{text!r} has a label matcher that cannot be read at {body[position:]!r}")
        raw = json.loads('"' + matched.group("value") + '"')
        matchers.append(Matcher(matched.group("name"), matched.group("op"), raw))
        position = matched.end()
    return Selector(found.group("metric"), tuple(matchers))


def brackets_balanced(query: str) -> bool:
    """Check that (), [] and {} pair up outside quoted strings: a cheap guard before promtool sees the query."""
    pairs = {")": "(", "]": "[", "}": "{"}
    stack: list[str] = []
    quoted = ""
    escaped = False
    for char in query:
        if quoted:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == quoted:
                quoted = ""
            continue
        if char in "\"'`":
            quoted = char
        elif char in "([{":
            stack.append(char)
        elif char in pairs and (not stack or stack.pop() != pairs[char]):
            return False
    return not stack and not quoted
