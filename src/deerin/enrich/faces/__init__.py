"""Faces and people: who is on screen, when, and the same person across films.

The faces stage finds faces in every analysis frame (YuNet), describes each one by a
128-number identity vector (SFace) and links a face from frame to frame within a shot
into appearances. The people collection step then groups faces across all films of a
collection into people, keeping each person's id from run to run, and applies the
corrections a user made (names, merges, splits), which always win over the clustering.
"""
