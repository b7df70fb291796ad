"""Streaming anomaly detectors over plain numbers: robust, seasonal, level-shift, trend and range, in one ensemble."""

from portal.aiops.detectors.base import Reason, Score
from portal.aiops.detectors.ensemble import SeriesDetector, Settings

__all__ = ["Reason", "Score", "SeriesDetector", "Settings"]
