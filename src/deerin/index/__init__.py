"""The store: per-video artefacts on disk (the source of truth) and the SQLite catalogue."""
