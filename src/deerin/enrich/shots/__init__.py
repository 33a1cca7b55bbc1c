"""Shot boundary detection: a small detector interface and one class per method."""
