"""A LogQL subset, parsed and evaluated in process (the sandbox answers LogQL the way Loki would).

Log queries: a stream selector ({a="x", b=~"y.*"}), line filters (|= != |~ !~), parsers (| json, | logfmt,
| pattern "<_> <status> ...", | regexp "(?P<x>...)") and label filters after them (= != =~ !~ > >= < <= ==).
Metric queries: count_over_time, bytes_over_time, rate and bytes_rate over [range], optionally inside
sum/count/max/min/avg by (...) or without (...). No Django here.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from portal.integrations.metrics.base import window_seconds

Labels = dict[str, str]
RANGE_FUNCTIONS = ("count_over_time", "bytes_over_time", "rate", "bytes_rate")
AGGREGATIONS = ("sum", "count", "max", "min", "avg")
_TOKEN = re.compile(
    r"""\s*(?:
    (?P<string>"(?:[^"\\]|\\.)*"|`[^`]*`)
    |(?P<duration>\[\s*\d+[smhdw]\s*\])
    |(?P<op>\|=|\|~|!=|!~|=~|==|>=|<=|=|>|<|\||\{|\}|\(|\)|,)
    |(?P<elapsed>\d+(?:\.\d+)?(?:ns|us|µs|ms|s|m|h)(?![A-Za-z_]))
    |(?P<number>-?\d+(?:\.\d+)?(?![A-Za-z_]))
    |(?P<ident>[A-Za-z_][A-Za-z0-9_.]*)
    )""",
    re.VERBOSE,
)


class LogQLError(ValueError):
    """The query is not in the supported LogQL subset; the message says where."""


@dataclass(frozen=True)
class Matcher:
    name: str
    op: str  # = != =~ !~
    value: str

    def matches(self, labels: Labels) -> bool:
        actual = labels.get(self.name, "")
        if self.op == "=":
            return actual == self.value
        if self.op == "!=":
            return actual != self.value
        found = re.fullmatch(self.value, actual) is not None
        return found if self.op == "=~" else not found


@dataclass(frozen=True)
class Stage:
    kind: str  # line | parser | label
    op: str
    name: str = ""
    value: str = ""
    compiled: re.Pattern[str] | None = None
    elapsed: bool = False  # the value is a duration (10s, 250ms): compare the label as one


@dataclass(frozen=True)
class LogQuery:
    matchers: tuple[Matcher, ...]
    stages: tuple[Stage, ...] = ()

    def selects(self, labels: Labels) -> bool:
        return all(m.matches(labels) for m in self.matchers)

    def line_filters(self) -> tuple[Stage, ...]:
        return tuple(s for s in self.stages if s.kind == "line")

    def process(self, labels: Labels, line: str) -> Labels | None:
        """The entry's labels after the pipeline (extracted labels added), or None when a stage drops it."""
        current = dict(labels)
        for stage in self.stages:
            if stage.kind == "line":
                if not _line_passes(stage, line):
                    return None
            elif stage.kind == "parser":
                for key, value in _parse(stage, line).items():
                    name = _sanitize(key)
                    current[f"{name}_extracted" if name in labels else name] = value  # as Loki renames clashes
            elif not _label_passes(stage, current):
                return None
        return current


@dataclass(frozen=True)
class MetricQuery:
    function: str  # count_over_time | bytes_over_time | rate | bytes_rate
    inner: LogQuery
    range_seconds: int
    aggregation: str = ""  # sum | count | max | min | avg, or "" for none
    grouping: tuple[str, ...] | None = None  # labels kept (by) or dropped (without)
    without: bool = False

    def group_key(self, labels: Labels) -> Labels:
        if not self.aggregation:
            return labels
        if self.without:
            return {k: v for k, v in labels.items() if k not in (self.grouping or ())}
        return {k: labels[k] for k in (self.grouping or ()) if k in labels}


@dataclass
class _Parser:
    tokens: list[tuple[str, str]]
    pos: int = 0
    text: str = field(default="")

    def peek(self, offset: int = 0) -> tuple[str, str]:
        index = self.pos + offset
        return self.tokens[index] if index < len(self.tokens) else ("end", "")

    def take(self, kind: str, value: str | None = None) -> str:
        got_kind, got = self.peek()
        if got_kind != kind or (value is not None and got != value):
            want = value or kind
            raise LogQLError(f"expected {want} but found '{got or 'the end'}' in: {self.text}")
        self.pos += 1
        return got

    def accept(self, kind: str, value: str) -> bool:
        if self.peek() == (kind, value):
            self.pos += 1
            return True
        return False


def _tokens(text: str) -> list[tuple[str, str]]:
    out, pos = [], 0
    while pos < len(text):
        if text[pos:].strip() == "":
            break
        found = _TOKEN.match(text, pos)
        if not found or found.end() == pos:
            raise LogQLError(f"cannot read '{text[pos : pos + 20]}' in: {text}")
        kind = found.lastgroup or ""
        out.append((kind, found.group(kind)))
        pos = found.end()
    return out


def _unquote(token: str) -> str:
    if token.startswith("`"):
        return token[1:-1]
    return str(json.loads(token))


def parse_log_query(text: str) -> LogQuery:
    """Parse a log query; LogQLError names what is wrong."""
    parser = _Parser(_tokens(text), text=text)
    query = _log_query(parser)
    if parser.peek()[0] != "end":
        raise LogQLError(f"unexpected '{parser.peek()[1]}' in: {text}")
    return query


def parse_metric_query(text: str) -> MetricQuery:
    """Parse a metric query; LogQLError names what is wrong."""
    parser = _Parser(_tokens(text), text=text)
    aggregation, grouping, without = "", None, False
    if parser.peek()[0] == "ident" and parser.peek()[1] in AGGREGATIONS:
        aggregation = parser.take("ident")
        grouping, without = _grouping(parser)
        parser.take("op", "(")
    function = parser.take("ident")
    if function not in RANGE_FUNCTIONS:
        raise LogQLError(f"'{function}' is not a supported range function ({', '.join(RANGE_FUNCTIONS)})")
    parser.take("op", "(")
    inner = _log_query(parser)
    duration = parser.take("duration")
    parser.take("op", ")")
    if aggregation:
        parser.take("op", ")")
        if grouping is None:
            grouping, without = _grouping(parser)
    if parser.peek()[0] != "end":
        raise LogQLError(f"unexpected '{parser.peek()[1]}' in: {text}")
    seconds = window_seconds(duration.strip("[] "))
    return MetricQuery(function, inner, seconds, aggregation, grouping if aggregation else None, without)


def _grouping(parser: _Parser) -> tuple[tuple[str, ...] | None, bool]:
    if parser.peek() not in (("ident", "by"), ("ident", "without")):
        return None, False
    without = parser.take("ident") == "without"
    parser.take("op", "(")
    names: list[str] = []
    while not parser.accept("op", ")"):
        names.append(parser.take("ident"))
        parser.accept("op", ",")
    return tuple(names), without


def _log_query(parser: _Parser) -> LogQuery:
    parser.take("op", "{")
    matchers: list[Matcher] = []
    while not parser.accept("op", "}"):
        name = parser.take("ident")
        op = parser.take("op")
        if op not in ("=", "!=", "=~", "!~"):
            raise LogQLError(f"'{op}' is not a stream matcher operator (=, !=, =~, !~)")
        value = _unquote(parser.take("string"))
        if op in ("=~", "!~"):
            _compile(value)
        matchers.append(Matcher(name, op, value))
        parser.accept("op", ",")
    if not any(m.op in ("=", "=~") and not re.fullmatch(m.value, "") for m in matchers if m.op in ("=", "=~")):
        raise LogQLError("a stream selector needs at least one matcher that does not match empty values")
    stages: list[Stage] = []
    while parser.peek()[0] == "op" and parser.peek()[1] in ("|=", "!=", "|~", "!~", "|"):
        stages.append(_stage(parser))
    return LogQuery(tuple(matchers), tuple(stages))


def _compile(pattern: str) -> re.Pattern[str]:
    try:
        return re.compile(pattern)
    except re.error as exc:
        raise LogQLError(f"'{pattern}' is not a valid regular expression: {exc}") from exc


def _stage(parser: _Parser) -> Stage:
    op = parser.take("op")
    if op != "|":
        value = _unquote(parser.take("string"))
        return Stage("line", op, value=value, compiled=_compile(value) if "~" in op else None)
    name = parser.take("ident")
    if name in ("json", "logfmt"):
        return Stage("parser", name)
    if name == "pattern":
        value = _unquote(parser.take("string"))
        return Stage("parser", "pattern", value=value, compiled=_pattern_regex(value))
    if name == "regexp":
        value = _unquote(parser.take("string"))
        return Stage("parser", "regexp", value=value, compiled=_compile(value))
    op = parser.take("op")
    if op not in ("=", "!=", "=~", "!~", ">", ">=", "<", "<=", "=="):
        raise LogQLError(f"'{op}' is not a label filter operator")
    kind, raw = parser.peek()
    parser.take(kind)
    if kind not in ("string", "number", "elapsed"):
        raise LogQLError(f"a label filter compares with a string, a number or a duration, not '{raw}'")
    if kind == "elapsed":
        return Stage("label", op, name=name, value=repr(elapsed_seconds(raw)), elapsed=True)
    value = _unquote(raw) if kind == "string" else raw
    return Stage("label", op, name=name, value=value, compiled=_compile(value) if "~" in op else None)


_UNITS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}
_ELAPSED = re.compile(r"((?:\d+(?:\.\d+)?(?:ns|us|µs|ms|s|m|h))+)")


def elapsed_seconds(text: str) -> float | None:
    """A Go duration (250ms, 1.5s, 1h30m) in seconds, or None when the text is not one."""
    if not _ELAPSED.fullmatch(text):
        return None
    return sum(float(n) * _UNITS[u] for n, u in re.findall(r"(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)", text))


def _pattern_regex(pattern: str) -> re.Pattern[str]:
    parts = re.split(r"(<[A-Za-z_][A-Za-z0-9_]*>)", pattern)
    if not any(p.startswith("<") and p.endswith(">") and p != "<_>" for p in parts):
        raise LogQLError(f'pattern "{pattern}" names no capture like <status>')
    out, captures = "", [p for p in parts if p.startswith("<") and p.endswith(">")]
    last_capture = len(parts) - 1 - parts[::-1].index(captures[-1])
    for index, part in enumerate(parts):
        if part.startswith("<") and part.endswith(">"):
            greedy = index == last_capture and all(not p for p in parts[index + 1 :])
            body = ".*" if greedy else ".*?"
            out += f"({body})" if part == "<_>" else f"(?P<{part[1:-1]}>{body})"
        else:
            out += re.escape(part)
    return re.compile(out)


def _line_passes(stage: Stage, line: str) -> bool:
    if stage.op == "|=":
        return stage.value in line
    if stage.op == "!=":
        return stage.value not in line
    assert stage.compiled is not None
    found = stage.compiled.search(line) is not None
    return found if stage.op == "|~" else not found


def _sanitize(key: str) -> str:
    return re.sub(r"[^A-Za-z0-9_]", "_", key)


def _flatten(value: object, prefix: str = "") -> dict[str, str]:
    if isinstance(value, dict):
        out: dict[str, str] = {}
        for key, inner in value.items():
            out.update(_flatten(inner, f"{prefix}_{key}" if prefix else str(key)))
        return out
    if isinstance(value, list):
        return {}  # Loki's json parser skips arrays
    if value is None:
        return {prefix: ""}
    return {prefix: value if isinstance(value, str) else json.dumps(value)}


_LOGFMT = re.compile(r'([A-Za-z_][A-Za-z0-9_.\-]*)=("(?:[^"\\]|\\.)*"|\S*)')


def _parse(stage: Stage, line: str) -> dict[str, str]:
    if stage.op == "json":
        try:
            document = json.loads(line)
        except ValueError:
            return {"__error__": "JSONParserErr"}
        return _flatten(document) if isinstance(document, dict) else {"__error__": "JSONParserErr"}
    if stage.op == "logfmt":
        return {k: (json.loads(v) if v.startswith('"') else v) for k, v in _LOGFMT.findall(line)}
    assert stage.compiled is not None
    found = stage.compiled.match(line) if stage.op == "pattern" else stage.compiled.search(line)
    return {k: v for k, v in found.groupdict().items() if v is not None} if found else {}


_COMPARE: dict[str, Callable[[float, float], bool]] = {
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    "==": lambda a, b: a == b,
    "=": lambda a, b: a == b,
    "!=": lambda a, b: a != b,
}


def _label_passes(stage: Stage, labels: Labels) -> bool:
    actual = labels.get(stage.name, "")
    if stage.op in ("=~", "!~"):
        assert stage.compiled is not None
        found = stage.compiled.fullmatch(actual) is not None
        return found if stage.op == "=~" else not found
    if stage.elapsed:
        seconds = elapsed_seconds(actual)
        return seconds is not None and _COMPARE[stage.op](seconds, float(stage.value))
    if not re.fullmatch(r"-?\d+(\.\d+)?", stage.value):
        if stage.op not in ("=", "!="):
            raise LogQLError(f"'{stage.op}' compares numbers; '{stage.value}' is not one")
        return (actual == stage.value) == (stage.op == "=")
    try:
        number = float(actual)
    except ValueError:
        return False  # Loki marks the line with __error__; a filter never keeps it
    return _COMPARE[stage.op](number, float(stage.value))
