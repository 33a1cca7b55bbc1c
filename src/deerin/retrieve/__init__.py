"""Retrieval: search a collection by words, text on screen, images, faces and meaning."""
