from __future__ import annotations

import fakeredis
import pytest

from app.sources.redis_streams import RedisStreamSource


@pytest.fixture
def redis() -> fakeredis.FakeRedis:
    return fakeredis.FakeRedis()


@pytest.fixture
def stream(redis: fakeredis.FakeRedis) -> RedisStreamSource:
    return RedisStreamSource(redis, stream="events", group="workers", consumer="worker-1")


def test_messages_are_read_through_the_consumer_group(redis: fakeredis.FakeRedis, stream: RedisStreamSource) -> None:
    redis.xadd("events", {"body": b'{"type": "a"}', "traceparent": "00-abc-def-01"})

    (message,) = stream.receive(10, 0)

    assert message.body == b'{"type": "a"}'
    assert message.headers == {"traceparent": "00-abc-def-01"}
    assert stream.receive(10, 0) == []  # delivered once to this group


def test_ack_removes_the_message_from_the_pending_list(redis: fakeredis.FakeRedis, stream: RedisStreamSource) -> None:
    redis.xadd("events", {"body": b"{}"})
    (message,) = stream.receive(10, 0)

    stream.ack(message)

    assert redis.xpending("events", "workers")["pending"] == 0


def test_reject_copies_the_message_to_the_dead_letter_stream(
    redis: fakeredis.FakeRedis, stream: RedisStreamSource
) -> None:
    redis.xadd("events", {"body": b"broken"})
    (message,) = stream.receive(10, 0)

    stream.reject(message)

    ((_id, fields),) = redis.xrange("events.dead-letter")
    assert fields[b"body"] == b"broken"
    assert redis.xpending("events", "workers")["pending"] == 0


def test_an_existing_group_is_reused(redis: fakeredis.FakeRedis, stream: RedisStreamSource) -> None:
    RedisStreamSource(redis, stream="events", group="workers", consumer="worker-2")

    assert [group["name"] for group in redis.xinfo_groups("events")] == [b"workers"]
