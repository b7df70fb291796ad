"""The batch work of one run: replace the example with the job's own logic."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class BatchResult:
    items_processed: int


def run_batch(started_at: datetime) -> BatchResult:
    """Do one run's work; raise to mark the run as failed."""
    logger.info("batch started at %s", started_at.isoformat())
    return BatchResult(items_processed=0)
