"""Speech: transcripts of what is said, with faster-whisper."""
