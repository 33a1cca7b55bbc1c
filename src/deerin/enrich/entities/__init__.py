"""Entities: named people, organisations, places and dates in everything said and read."""
