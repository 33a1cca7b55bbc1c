"""Stages, the runner that applies them to a video, and executors that spread videos
over processes (local) or machines (Ray). Stages never know which executor runs them."""
