"""The tests run on real PostgreSQL with pgvector."""

from __future__ import annotations

from django.db import connection


def test_pgvector_is_installed_in_the_test_database(db: None) -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT extversion FROM pg_extension WHERE extname = 'vector'")
        assert cursor.fetchone() is not None
        cursor.execute("CREATE EXTENSION IF NOT EXISTS vector")
        cursor.execute("CREATE TEMP TABLE docs (id int, embedding vector(3))")
        cursor.execute("INSERT INTO docs VALUES (1, '[1,0,0]'), (2, '[0,1,0]'), (3, '[0.9,0.1,0]')")
        cursor.execute("SELECT id FROM docs ORDER BY embedding <=> '[1,0,0]' LIMIT 2")
        assert [row[0] for row in cursor.fetchall()] == [1, 3]


def test_the_database_is_postgresql(db: None) -> None:
    assert connection.vendor == "postgresql"
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version_num")
        assert int(cursor.fetchone()[0]) >= 150000
