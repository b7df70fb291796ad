"""Pure parts of the pages: chart geometry, formatting, Markdown, and the golden-path form's values."""

from __future__ import annotations

from pathlib import Path

from portal.core.models import User
from portal.scaffolder.registry import GoldenPath
from portal.web.charts import Series, nice_step, sparkline, time_chart, trend_percent, value_ticks
from portal.web.forms import GoldenPathRunForm
from portal.web.markdown import markdown_html
from portal.web.templatetags.portal_web import duration_text, money, percent, safe_url


def test_ticks_are_round_numbers_covering_the_values() -> None:
    assert nice_step(0.93) == 0.25
    assert nice_step(430) == 200
    low, high, ticks = value_ticks(0, 0.248, str)
    assert (low, high, ticks) == (0, 0.3, [0, 0.1, 0.2, 0.3])


def test_a_gap_in_time_starts_a_new_line_segment() -> None:
    chart = time_chart(
        title="t", series=[Series("s", [(0, 1), (10, 2), (100, 3), (110, 4)])], start=0, end=110, fmt=str
    )
    assert chart.lines[0].d.count("M") == 2
    assert chart.lines[0].latest == "4"


def test_a_chart_without_data_says_why_and_keeps_its_title() -> None:
    chart = time_chart(title="Latency", series=[Series("p99", [])], start=0, end=60, fmt=str, empty="no metrics")
    assert chart.empty == "no metrics"
    assert chart.description == "Latency: no metrics"


def test_markers_outside_the_time_range_are_left_out_and_described() -> None:
    chart = time_chart(
        title="Errors",
        series=[Series("5xx", [(0, 0.1), (60, 0.2)])],
        start=0,
        end=60,
        fmt=lambda v: f"{v:.1f}",
        markers=[(30, "deploy", "v2"), (600, "deploy", "later"), (45, "anomaly", "up")],
    )
    assert [m.label for m in chart.markers] == ["v2", "up"]
    assert chart.description == "Errors: 5xx from 0.1 to 0.2, latest 0.2; 1 anomaly marker(s), 1 deploy marker(s)."


def test_values_map_into_the_plot_area_with_y_growing_downwards() -> None:
    chart = time_chart(title="t", series=[Series("s", [(0, 0.0), (10, 1.0)])], start=0, end=10, fmt=str)
    first, last = chart.lines[0].d.split(" L")
    assert first == f"M{chart.left}.0 {chart.bottom}.0"
    assert float(last.split()[0]) == chart.right
    assert float(last.split()[1]) < chart.bottom


def test_a_sparkline_needs_two_values_and_starts_at_zero() -> None:
    assert sparkline([1.0], label="x") is None
    line = sparkline([5.0, 5.0, 5.0], label="steady")
    assert line is not None
    assert len({segment.split()[-1] for segment in line.d.split("L")}) == 1, "a steady series is a flat line"


def test_trend_is_a_percentage_change_or_nothing() -> None:
    assert trend_percent(110, 100) == 10
    assert trend_percent(5, 0) is None
    assert trend_percent(None, 3) is None


def test_formatting_for_people() -> None:
    assert duration_text(0) == "0 s"
    assert duration_text(0.4) == "under 1 s"
    assert duration_text(36 * 60) == "36 min"
    assert duration_text(2 * 3600 + 300) == "2 h 5 min"
    assert duration_text(3 * 86400 + 4 * 3600) == "3 d 4 h"
    assert duration_text(None) == "n/a"
    assert money(1234.5) == "$1,234.50"
    assert percent(0.92345) == "92.3%"
    assert percent(float("nan")) == "n/a"


def test_only_web_links_are_kept() -> None:
    assert safe_url("https://github.com/x") == "https://github.com/x"
    assert safe_url("/services/x") == "/services/x"
    assert safe_url("javascript:alert(1)") == "#"
    assert safe_url("//evil.example/x") == "#"
    assert safe_url(None) == "#"


def test_markdown_keeps_structure_and_escapes_html() -> None:
    html = markdown_html(
        "# Title\n\n- one\n- two\n\n```yaml\na: <b>\n```\n\n<img src=x onerror=alert(1)>\n\n[x](javascript:alert(1))"
    )
    assert "<h1>Title</h1>" in html
    assert "<li>one</li>" in html
    assert '<pre><code class="language-yaml">a: &lt;b&gt;\n</code></pre>' in html
    assert "<img" not in html
    assert 'href="javascript' not in html


def _path(properties: dict) -> GoldenPath:
    return GoldenPath(
        name="p",
        title="P",
        description="",
        version="1",
        template_dir=Path("."),
        parameters={"type": "object", "required": ["name"], "properties": properties},
    )


def test_the_run_form_follows_the_schema_and_keeps_meaningful_empty_values() -> None:
    path = _path(
        {
            "name": {"type": "string", "maxLength": 63},
            "tier": {"type": "integer", "enum": [1, 2, 3], "default": 3},
            "otlp": {"type": "string", "pattern": "^(https?://.+)?$", "default": "http://collector"},
            "system": {"type": "string", "pattern": "^[a-z]+$"},
        }
    )
    form = GoldenPathRunForm({"name": "ledger", "tier": "2", "otlp": "", "system": ""}, path=path, user=User())
    assert form.is_valid(), form.errors
    assert form.parameters() == {"name": "ledger", "tier": 2, "otlp": ""}
    assert not GoldenPathRunForm({"tier": "2"}, path=path, user=User()).is_valid()
