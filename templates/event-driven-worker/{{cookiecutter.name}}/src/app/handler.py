"""The work done for one message: replace the example with the service's own logic."""

from __future__ import annotations

import json
import logging

from app.messages import Message

logger = logging.getLogger(__name__)


def handle(message: Message) -> None:
    """Process one message; an exception sends it to the dead-letter destination."""
    event = json.loads(message.body)
    logger.info("handled event %s of type %s", message.id, event.get("type", "unknown"))
