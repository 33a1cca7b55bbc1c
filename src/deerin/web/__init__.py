"""The web side of DEERIn: the HTTP API (and, later, the pages) served by `deerin serve`."""
