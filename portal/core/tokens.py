"""Service-token format and hashing (no Django imports)."""

from __future__ import annotations

import hashlib
import secrets


def token_generate(prefix_label: str) -> tuple[str, str]:
    """Return (token, public prefix). The token is shown once; only its digest is kept."""
    public = secrets.token_hex(4)
    return f"{prefix_label}_{public}_{secrets.token_urlsafe(32)}", public


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
