"""On-screen text: what the pictures say, as time-coded events.

Intertitles, credits, captions, signs and slates carry names, dates and places that no
other signal gives. The text stage reads every analysis frame with PP-OCRv4 (through
RapidOCR's ONNX sessions, :mod:`.ocr`), gates the expensive recogniser behind a cheap
detector and a repeated-frame check (:mod:`.stage`), and turns the frame-by-frame
readings into events that start when a text appears and end when it goes
(:mod:`.events`). The subtitles stage reuses the same reader for bitmap subtitles.
"""
