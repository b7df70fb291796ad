"""Prometheus text conventions: durations, Go's float printing, selectors."""

from __future__ import annotations

from datetime import timedelta

import pytest

from portal.slo.promql import (
    Matcher,
    Selector,
    brackets_balanced,
    format_duration,
    go_float,
    go_float_fixed,
    label_filter,
    parse_duration,
    parse_selector,
    render_window,
    unknown_template_actions,
)


@pytest.mark.parametrize(
    ("text", "printed"),
    [("30d", "30d"), ("28d", "4w"), ("7d", "1w"), ("24h", "1d"), ("72h", "3d"), ("90m", "1h30m"), ("365d", "1y")],
)
def test_durations_print_as_prometheus_prints_them(text: str, printed: str) -> None:
    assert format_duration(parse_duration(text)) == printed


def test_durations_parse_compound_values() -> None:
    assert parse_duration("1h30m") == timedelta(minutes=90)
    assert parse_duration("500ms") == timedelta(milliseconds=500)


@pytest.mark.parametrize("text", ["", "30", "30x", "d", "1m1h", "1h1h", "-5m", "5 m"])
def test_durations_reject_what_prometheus_rejects(text: str) -> None:
    with pytest.raises(ValueError, match="is not a duration"):
        parse_duration(text)


@pytest.mark.parametrize(
    ("value", "printed"),
    [
        (0.9990000000000001, "0.9990000000000001"),
        (0.0009999999999999432, "0.0009999999999999432"),
        (6.0, "6"),
        (30.0, "30"),
        (0.0001, "0.0001"),
        (1e-05, "1e-05"),
        (123456.0, "123456"),
        (1e6, "1e+06"),
        (0.0, "0"),
        (-2.5, "-2.5"),
    ],
)
def test_floats_print_as_gos_percent_g(value: float, printed: str) -> None:
    assert go_float(value) == printed


def test_fixed_floats_never_use_an_exponent() -> None:
    assert go_float_fixed(99.9) == "99.9"
    assert go_float_fixed(95.0) == "95"
    assert go_float_fixed(1e-05) == "0.00001"


def test_selectors_parse_matchers_of_every_kind() -> None:
    selector = parse_selector('http_requests_total{job="app", code=~"5..",path!="/a\\"b",x!~""}')

    assert selector == Selector(
        "http_requests_total",
        (
            Matcher("job", "=", "app"),
            Matcher("code", "=~", "5.."),
            Matcher("path", "!=", '/a"b'),
            Matcher("x", "!~", ""),
        ),
    )
    assert str(selector) == 'http_requests_total{job="app",code=~"5..",path!="/a\\"b",x!~""}'


@pytest.mark.parametrize("text", ["sum(rate(x[5m]))", "x{job=app}", "x{job=}", "{job='a'}", "x[5m]"])
def test_selectors_reject_anything_more_than_a_selector(text: str) -> None:
    with pytest.raises(ValueError, match=r"selector|matcher"):
        parse_selector(text)


def test_the_window_placeholder_takes_any_spacing() -> None:
    assert (
        render_window("rate(x[{{.window}}]) + rate(y[{{ .window }}])", timedelta(days=28))
        == "rate(x[4w]) + rate(y[4w])"
    )
    assert unknown_template_actions("x[{{.window}}] > {{ .threshold }}") == ["{{ .threshold }}"]


def test_brackets_are_checked_outside_strings() -> None:
    assert brackets_balanced('sum(rate(x{path="(("}[5m]))')
    assert not brackets_balanced("sum(rate(x[5m])")
    assert not brackets_balanced("sum(rate(x[5m)))")


def test_label_filters_are_sorted_and_quoted() -> None:
    assert label_filter({"b": "2", "a": 'x"y'}) == '{a="x\\"y", b="2"}'
