"""Cardinality benchmark (not a test): a synthetic target of many series and the pinned
Prometheus measured with prod's flags (scripts/benchmark-cardinality)."""
