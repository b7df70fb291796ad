"""AIOps: anomaly detection over metric series, with no Django in it."""
