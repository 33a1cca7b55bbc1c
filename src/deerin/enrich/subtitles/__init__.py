"""Subtitle streams as time-coded text: text tracks read as they are, bitmap tracks OCR'd.

DVDs (VobSub) and Blu-rays (PGS) carry subtitles as pictures, so their words are not
searchable until they are read. The subtitles stage extracts every text subtitle track
with ffmpeg (:mod:`.text`), and decodes every bitmap track's pictures with PyAV, colours
them from the track's own palette (:mod:`.bitmaps`) and reads them with the same OCR
reader the on-screen text stage uses (:mod:`.stage`).
"""
