"""Exploration: maps and statistics of a collection (projections, clusters, film statistics)."""
