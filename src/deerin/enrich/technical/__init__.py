"""Technical checks: black, colour bars, frozen picture, silence, line-up tone, loudness.

Archive tapes carry line-up bars and tone, black leader, dropouts and freezes from
tired machines, and programmes at any loudness. Finding them by hand means watching
the tape; here one ffmpeg pass over each file finds them as time-coded events
(``tech.json``), which the exports turn into WebVTT, SRT, CSV or JSON.
"""
