"""Interaction: creative uses of an enriched collection (supercuts, edits, descriptions)."""
