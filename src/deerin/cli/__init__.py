"""The `deerin` command line."""
