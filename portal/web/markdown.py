"""Markdown to safe HTML: CommonMark with raw HTML turned off, so text from postmortems cannot inject markup."""

from __future__ import annotations

from functools import cache

from django.utils.safestring import SafeString, mark_safe
from markdown_it import MarkdownIt


@cache
def _renderer() -> MarkdownIt:
    # html=False escapes any HTML in the source; markdown-it's link check drops javascript:, vbscript: and data:.
    return MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False}).enable("table")


def markdown_html(text: str) -> SafeString:
    """Render Markdown (headings, lists, code blocks, tables, links) to HTML that is safe to embed."""
    return mark_safe(_renderer().render(text or ""))  # noqa: S308 - html=False escapes every tag in the source
