"""Secrets never leave the portal: every shape the redactor knows is replaced, ordinary incident text is kept."""

from __future__ import annotations

import time

import pytest

from portal.integrations.llm.redact import redact

PRIVATE_KEY = (
    "-----BEGIN RSA PRIVATE KEY-----\n"
    "MIIEowIBAAKCAQEA7bq98u1qgD3Ap0B0\nq5vC4xq9wq2d7h0Y0eYzQ==\n"
    "-----END RSA PRIVATE KEY-----"
)
JWT = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4ifQ.SflKxwRJSMeKKF2QT4fwpMeJf36P"

# (text, the secret in it)
SECRETS = [
    ("Authorization: Bearer abc.def-ghi_jkl~mno", "abc.def-ghi_jkl~mno"),
    ('curl -H "Authorization: Basic dXNlcjpodW50ZXIy" https://api', "dXNlcjpodW50ZXIy"),
    ("authorization=q1w2e3r4t5y6", "q1w2e3r4t5y6"),
    ("sent bearer 9f8e7d6c5b4a39281706 to upstream", "9f8e7d6c5b4a39281706"),
    ("token ppt_1a2b3c4d_Zm9vYmFyYmF6cXV4LXF1dXgtY29ycmVjdC1ob3JzZQ was used", "Zm9vYmFyYmF6cXV4LXF1dXgtY29y"),
    ("AWS_ACCESS_KEY_ID AKIAIOSFODNN7EXAMPLE in env", "AKIAIOSFODNN7EXAMPLE"),
    ("aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "wJalrXUtnFEMI/K7MDENG"),
    ("git clone with ghp_0123456789abcdefghijABCDEFGHIJ012345 failed", "ghp_0123456789abcdefghij"),
    ("GITHUB_TOKEN github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz", "github_pat_11ABCDEFG"),
    ("gitlab glpat-xxxxXXXXyyyyYYYY1234 expired", "glpat-xxxxXXXXyyyyYYYY1234"),
    ("OPENAI key sk-proj-abcdefghijklmnopqrstuvwx", "sk-proj-abcdefghijklmnop"),
    ("slack xoxb-1234567890-abcdefghij", "xoxb-1234567890"),
    (f"config:\n{PRIVATE_KEY}\nend", "MIIEowIBAAKCAQEA7bq98u1qgD3Ap0B0"),
    ("-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA (log cut here)", "b3BlbnNzaC1rZXktdjEAAAAA"),
    ("password=hunter2 user=admin", "hunter2"),
    ("DB_PASSWORD: 'correct horse battery'", "correct horse battery"),
    ('{"client_secret": "s3cr3t-value", "client_id": "portal"}', "s3cr3t-value"),
    ("secret: mysecretvalue", "mysecretvalue"),
    ("X-Api-Key: 5f4dcc3b5aa765d61d8327deb882cf99", "5f4dcc3b5aa765d61d8327deb882cf99"),
    ("GET /callback?state=1&access_token=abc123def&x=1", "abc123def"),
    (f"session cookie {JWT}", JWT.split(".")[2]),
    (f"id_token={JWT}", JWT.split(".")[1]),
    ("DATABASE_URL=postgresql://app:s3cr3tpw@db.internal:5432/app", "s3cr3tpw"),
    ("redis://:r3d1spw@redis:6379/0 refused", "r3d1spw"),
    ("amqp://guest:guest-pw@rabbit//", "guest-pw"),
    ("Server=db;Database=app;User Id=sa;Password=P@ssw0rd!;", "P@ssw0rd!"),
]


@pytest.mark.parametrize(("text", "secret"), SECRETS)
def test_it_removes_the_secret(text: str, secret: str) -> None:
    cleaned = redact(text)
    assert secret not in cleaned
    assert "[REDACTED" in cleaned


def test_it_keeps_what_tells_a_reader_what_was_there() -> None:
    assert redact("password=hunter2 user=admin") == "password=[REDACTED] user=admin"
    assert redact("postgresql://app:pw@db:5432/app") == "postgresql://app:[REDACTED]@db:5432/app"
    assert redact("Authorization: Bearer abcdefghijkl") == "Authorization: Bearer [REDACTED]"
    assert redact("key AKIAIOSFODNN7EXAMPLE") == "key [REDACTED:aws-key]"
    assert redact(f"before\n{PRIVATE_KEY}\nafter") == "before\n[REDACTED:private-key]\nafter"


@pytest.mark.parametrize(
    "text",
    [
        "p99 latency of checkout-api rose to 450ms after deploy v1.4.2 at 14:05 UTC",
        "Database connection pool exhausted on orders-db; 503s from https://api.example.com:8443/orders",
        "Rollback to 3f2a9c1 restored the error ratio to 0.1%; see https://grafana.example.com/d/abc?from=now-1h",
        "The token bucket refill slowed; password rotation is scheduled for Friday.",
        "Latência da API aumentou após o deploy; 内存泄漏导致服务重启",
        "",
    ],
)
def test_it_leaves_ordinary_incident_text_alone(text: str) -> None:
    assert redact(text) == text


def test_it_stays_fast_on_long_odd_input() -> None:
    started = time.perf_counter()
    for text in ("a-" * 50_000, "ab://x:" * 15_000, "password=x " * 10_000, "x" * 100_000):
        redact(text)
    assert time.perf_counter() - started < 5
