"""Remove secrets from text before it leaves the portal (to a language model or a hosted embeddings API)."""

from __future__ import annotations

import re

# Each rule keeps what tells a reader what was there (the key name, the scheme, the user) and
# replaces only the secret. Order matters: whole blocks first, then the shapes of known tokens,
# then values named by a key, which would otherwise cut a token or a URL in half.
_KEY_WORDS = (
    r"password|passwd|pwd|passphrase|secret|token|api[_-]?key|access[_-]?key|private[_-]?key"
    r"|credentials?|auth[_-]?key|session[_-]?key|signing[_-]?key"
)
_RULES: tuple[tuple[re.Pattern[str], str], ...] = (
    (
        re.compile(
            r"-----BEGIN ([A-Z0-9 ]*)PRIVATE KEY( BLOCK)?-----.*?(-----END [A-Z0-9 ]*PRIVATE KEY( BLOCK)?-----|\Z)",
            re.DOTALL,
        ),
        "[REDACTED:private-key]",
    ),
    # scheme://user:password@host -> scheme://user:[REDACTED]@host
    (re.compile(r"\b([a-zA-Z][a-zA-Z0-9+.-]{0,30}://[^\s:/@]{0,200}:)[^\s@]{1,200}@"), r"\1[REDACTED]@"),
    (re.compile(r"\beyJ[A-Za-z0-9_-]{5,}\.eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*"), "[REDACTED:jwt]"),
    (re.compile(r"\bppt_[A-Za-z0-9_-]{8,}"), "[REDACTED:portal-token]"),
    (re.compile(r"\b(?:AKIA|ASIA|AGPA|AIDA|AROA|ANPA)[A-Z0-9]{16}\b"), "[REDACTED:aws-key]"),
    (re.compile(r"\bgh[pousr]_[A-Za-z0-9]{30,}\b"), "[REDACTED:github-token]"),
    (re.compile(r"\bgithub_pat_[A-Za-z0-9_]{30,}\b"), "[REDACTED:github-token]"),
    (re.compile(r"\bglpat-[A-Za-z0-9_-]{20,}"), "[REDACTED:gitlab-token]"),
    (re.compile(r"\bxox[abeoprs]-[A-Za-z0-9-]{10,}"), "[REDACTED:slack-token]"),
    (re.compile(r"\bsk-[A-Za-z0-9_-]{20,}"), "[REDACTED:api-key]"),
    # Authorization: Bearer x / Basic x / token x, then Authorization: x, then a bare "Bearer x".
    (
        re.compile(r"(?i)\b(authorization[\"']?\s*[:=]\s*[\"']?(?:bearer|basic|token|digest)\s+)[^\s\"',;]+"),
        r"\1[REDACTED]",
    ),
    (
        re.compile(r"(?i)\b(authorization[\"']?\s*[:=]\s*[\"']?)(?!bearer|basic|token|digest|\[REDACTED)[^\s\"',;]+"),
        r"\1[REDACTED]",
    ),
    (re.compile(r"(?i)\b(bearer\s+)(?!\[REDACTED)[A-Za-z0-9._~+/=-]{8,}"), r"\1[REDACTED]"),
    # password=x, "client_secret": "x", DB_PASSWORD: 'x y', X-Api-Key: x
    (
        re.compile(
            rf"(?i)((?:{_KEY_WORDS})[\w.-]{{0,40}}[\"']?\s*[:=]\s*)"
            r"(?!\[REDACTED)(\"[^\"\n]*\"|'[^'\n]*'|[^\s\"',;&}\]]+)"
        ),
        r"\1[REDACTED]",
    ),
)


def redact(text: str) -> str:
    """The text with every secret this module recognises replaced by a [REDACTED...] marker."""
    for pattern, replacement in _RULES:
        text = pattern.sub(replacement, text)
    return text
