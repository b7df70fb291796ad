"""Request parser that hands YAML bodies to the view as text (validated there, document by document)."""

from __future__ import annotations

from typing import IO, Any

from rest_framework.exceptions import ParseError
from rest_framework.parsers import BaseParser

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


class YamlTextParser(YamlParser):
    media_type = "text/yaml"


class XYamlParser(YamlParser):
    media_type = "application/x-yaml"
