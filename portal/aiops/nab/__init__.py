"""Numenta Anomaly Benchmark: corpus loading, the published scoring rules and the Windowed Gaussian baseline."""
