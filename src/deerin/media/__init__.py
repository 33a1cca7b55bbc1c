"""Media plumbing shared by every module: probe, identity, decode, cut and render."""
