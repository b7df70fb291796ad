"""YAML in and out: bodies reach the view as text (validated there, document by document)."""

from __future__ import annotations

from typing import IO, Any

from rest_framework.exceptions import ParseError
from rest_framework.parsers import BaseParser
from rest_framework.renderers import BaseRenderer

MAX_BYTES = 2 * 1024 * 1024


class YamlParser(BaseParser):
    media_type = "application/yaml"

    def parse(self, stream: IO[bytes], media_type: str | None = None, parser_context: Any = None) -> Any:
        body = stream.read(MAX_BYTES + 1)
        if len(body) > MAX_BYTES:
            raise ParseError(f"The YAML body is larger than {MAX_BYTES // 1024} KiB.")
        try:
            return body.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise ParseError("The YAML body must be UTF-8 text.") from exc


class CsvParser(YamlParser):
    """CSV bodies as text (FOCUS bills)."""

    media_type = "text/csv"


class YamlTextParser(YamlParser):
    media_type = "text/yaml"


class XYamlParser(YamlParser):
    media_type = "application/x-yaml"


class EntitiesYamlRenderer(BaseRenderer):
    """Render {"items": [...]} as a multi-document catalog-info.yaml (?format=yaml or Accept: application/yaml)."""

    media_type = "application/yaml"
    format = "yaml"
    charset = "utf-8"

    def render(self, data: Any, accepted_media_type: str | None = None, renderer_context: Any = None) -> bytes:
        from portal.catalog.entities import entities_yaml

        if isinstance(data, dict) and "items" in data:
            return entities_yaml(data["items"]).encode()
        return entities_yaml([data]).encode()
