"""Enrichment: time-coded descriptions of what is seen and heard in each video."""
