"""Pick the message source from the environment: the broker in a cluster, memory when BROKER=memory."""

from __future__ import annotations

from collections.abc import Mapping

from app.messages import MessageSource
from app.sources.memory import InMemorySource


def source_from_env(env: Mapping[str, str]) -> MessageSource:
    if env.get("BROKER") == "memory":
        return InMemorySource()
{%- if cookiecutter.broker == "redis-streams" %}
    from app.sources.redis_streams import RedisStreamSource as BrokerSource
{%- elif cookiecutter.broker == "rabbitmq" %}
    from app.sources.rabbitmq import RabbitMqSource as BrokerSource
{%- elif cookiecutter.broker == "kafka" %}
    from app.sources.kafka import KafkaSource as BrokerSource
{%- endif %}

    return BrokerSource.from_env(env)
